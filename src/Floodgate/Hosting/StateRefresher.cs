using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// Keeps the in-memory account directory in step with the database: polls the state version every
/// second and reloads on change; the CLI also asks for a refresh at once after a change.
/// </summary>
internal sealed partial class StateRefresher(AccountStore store, AccountDirectory directory, Floodgate.Core.Enforcement.EnforcementService enforcement, ILogger<StateRefresher> logger) : BackgroundService, Floodgate.Web.Api.IDirectoryRefresher
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<long> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var snapshot = await store.LoadDirectoryAsync(cancellationToken);
            directory.Apply(snapshot.Clients, snapshot.DefaultPlan.Limits, snapshot.Version);
            enforcement.ReapplyPending();
            return snapshot.Version;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var version = await store.GetStateVersionAsync(stoppingToken);
                if (version != directory.Version)
                {
                    await RefreshAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the account directory: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string error);
}
