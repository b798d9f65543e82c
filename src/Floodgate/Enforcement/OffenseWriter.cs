using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Enforcement;

/// <summary>Writes the offenses decided in memory to the database, retrying until it succeeds.</summary>
internal sealed partial class OffenseWriter(EnforcementService enforcement, AccountStore accounts, ILogger<OffenseWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var offense in enforcement.Pending.ReadAllAsync(stoppingToken))
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await WriteAsync(offense, stoppingToken);
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogWriteFailed(logger, offense.Mailbox.Address, attempt, ex.Message);
                        await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt)), stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private Task WriteAsync(PendingOffense offense, CancellationToken cancellationToken)
    {
        var m = offense.Mailbox;
        return offense.Step switch
        {
            LadderStep.SuspendMailbox => accounts.SetStatusAsync(AccountScope.Mailbox, m.Id, AccountStatus.Suspended, offense.Reason, "detector", cancellationToken),
            LadderStep.SuspendDomain => accounts.SetStatusAsync(AccountScope.Domain, m.Domain.Id, AccountStatus.Suspended, offense.Reason, "detector", cancellationToken),
            _ => accounts.SetStatusAsync(AccountScope.Client, m.Client.Id, AccountStatus.Terminated, offense.Reason, "detector", cancellationToken),
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the offense of {Mailbox} (attempt {Attempt}): {Error}; retrying")]
    private static partial void LogWriteFailed(ILogger logger, string mailbox, int attempt, string error);
}
