using Floodgate.Core.Detection;
using Floodgate.Storage.Enforcement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Enforcement;

/// <summary>
/// Writes the offenses decided in memory to the database (offense, suspension, incident, contact
/// task, audit), retrying until it succeeds: nothing decided is lost to a busy database.
/// </summary>
internal sealed partial class OffenseWriter(EnforcementService enforcement, EnforcementStore store, ILogger<OffenseWriter> logger) : BackgroundService
{
    public const string Actor = "detector";

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
                        var recorded = await store.RecordOffenseAsync(ToRecord(offense), Actor, stoppingToken);
                        enforcement.Recorded(offense);
                        LogRecorded(logger, offense.Mailbox.Address, recorded.IncidentId, recorded.ContactTaskId);
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

    /// <summary>
    /// The evidence kept with an offense is the offender's own messages (its damages are counted
    /// from them); a campaign's other mailboxes are named in the signals.
    /// </summary>
    internal static NewOffense ToRecord(PendingOffense offense)
    {
        var m = offense.Mailbox;
        var evidence = new List<EvidenceMessage>();
        foreach (var e in offense.Result.Evidence)
        {
            if (e.MailboxId == m.Id)
            {
                evidence.Add(e);
            }
        }

        if (offense.Result.Current is { } current && current.MailboxId == m.Id)
        {
            evidence.Add(current);
        }

        evidence.Sort(static (a, b) => a.At.CompareTo(b.At));
        return new NewOffense(offense.At, m.Client.Id, m.Domain.Id, m.Id, m.Address, offense.Step, offense.Result.Score, Actor, offense.Result.Signals, evidence, offense.Reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offense of {Mailbox} recorded: incident {Incident}, contact task {Task}")]
    private static partial void LogRecorded(ILogger logger, string mailbox, long incident, long task);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the offense of {Mailbox} (attempt {Attempt}): {Error}; retrying")]
    private static partial void LogWriteFailed(ILogger logger, string mailbox, int attempt, string error);
}
