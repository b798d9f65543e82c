using Floodgate.Core.Blocklists;
using Floodgate.Doors.Blocklists;
using Floodgate.Storage.Blocklists;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Web.Blocklists;

/// <summary>
/// Serve's blocklist watch: every <see cref="BlocklistOptions.Interval"/>, one round of
/// <see cref="BlocklistChecker"/> over the configured addresses and domains, applied by
/// <see cref="BlocklistStore"/> (state, history and the outbox events in one transaction; the
/// notification dispatcher sends them). The first round runs at start, so a listing that happened
/// while serve was down is seen at once. Does nothing when no address or domain is configured.
/// </summary>
public sealed partial class BlocklistWatch(BlocklistOptions options, BlocklistStore store, TimeProvider time, ILogger<BlocklistWatch> logger, IRoundLease? lease = null) : BackgroundService
{
    private readonly BlocklistChecker _checker = new(BlocklistChecker.ResolverFor(options), options.Timeout, options.MaxConcurrency);

    // A round started by hand (a test, a later CLI) and the timed one never interleave their writes.
    private readonly SemaphoreSlim _round = new(1, 1);

    public BlocklistOptions Options => options;

    /// <summary>One round now: check every pair, store what it found, raise the events it calls for.</summary>
    public async Task<BlocklistRoundOutcome> RunRoundAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _round.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var results = await _checker.CheckAsync(options.Addresses, options.Domains, options.Zones, cancellationToken).ConfigureAwait(false);
            var outcome = await store.ApplyRoundAsync(results, now, options.AlertSuppression, cancellationToken).ConfigureAwait(false);
            BlocklistMetrics.Observe(results, outcome);
            if (outcome.NotChecked > 0)
                LogNotChecked(logger, outcome.NotChecked, results.Count, _checker.Resolver.ToString());
            return outcome;
        }
        finally
        {
            _round.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Watches)
        {
            LogOff(logger);
            return;
        }

        // Out of the host's start: the first round waits on DNS.
        await Task.Yield();
        using var timer = new PeriodicTimer(options.Interval, time);
        do
        {
            try
            {
                // Several nodes: the one that takes the lease runs the round, for a little less than
                // the interval, so the next round is anyone's again.
                if (lease is null || await lease.TryTakeAsync("blocklist-round", options.Interval * 0.9, stoppingToken).ConfigureAwait(false))
                {
                    await RunRoundAsync(time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database that did not answer: nothing was stored, the next round asks again.
                LogRoundFailed(logger, ex.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    public override void Dispose()
    {
        _round.Dispose();
        base.Dispose();
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The blocklist watch is off: no Blocklists:Addresses or Blocklists:Domains are configured")]
    private static partial void LogOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blocklist round: {NotChecked} of {Pairs} pairs were not checked (resolver {Resolver}); their stored state is unchanged")]
    private static partial void LogNotChecked(ILogger logger, int notChecked, int pairs, string resolver);

    [LoggerMessage(Level = LogLevel.Error, Message = "The blocklist round failed: {Error}")]
    private static partial void LogRoundFailed(ILogger logger, string error);
}
