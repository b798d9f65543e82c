using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// Keeps the in-memory account directory in step with the database: polls the state version every
/// second and reloads on change; the CLI also asks for a refresh at once after a change. With several
/// nodes a change is announced on Redis and the others reload at once; the poll is the backstop
/// (Redis pub/sub does not promise delivery).
/// </summary>
internal sealed partial class StateRefresher(
    AccountStore store, AccountDirectory directory, Floodgate.Core.Enforcement.EnforcementService enforcement, ILogger<StateRefresher> logger,
    Floodgate.Storage.HotState.RedisHotState? peers = null) : BackgroundService, Floodgate.Web.Api.IDirectoryRefresher
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _peerReloads;

    /// <summary>A change made through this node (API, console, CLI): reloaded here, then announced to the other nodes.</summary>
    public async Task<long> RefreshAsync(CancellationToken cancellationToken)
    {
        var version = await ReloadAsync(cancellationToken);
        peers?.AnnounceStateChanged();
        return version;
    }

    /// <summary>
    /// Another node announced a change: reload now instead of at the next poll. Announcements that
    /// arrive during a reload are served by one more, not one each.
    /// </summary>
    public void PeerChanged()
    {
        if (Interlocked.Increment(ref _peerReloads) != 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            do
            {
                Volatile.Write(ref _peerReloads, 1);
                try
                {
                    await ReloadAsync(CancellationToken.None);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, ex.Message);
                }
            }
            while (Interlocked.Decrement(ref _peerReloads) != 0);
        });
    }

    private async Task<long> ReloadAsync(CancellationToken cancellationToken)
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
        if (peers is not null)
        {
            try
            {
                await peers.OnStateChangedAsync(PeerChanged);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // Redis is down at start: the poll keeps the directory current until it is back.
                LogRefreshFailed(logger, ex.Message);
            }
        }

        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var version = await store.GetStateVersionAsync(stoppingToken);
                if (version != directory.Version)
                {
                    await ReloadAsync(stoppingToken);
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
