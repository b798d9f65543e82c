using System.Collections.Concurrent;
using System.Diagnostics;
using Floodgate.Storage;
using Floodgate.Storage.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Web.Notifications;

/// <summary>
/// Sends what the outbox holds. Every poll: looks for overdue contact tasks (every
/// <see cref="NotificationOptions.OverdueScanInterval"/>), fans new events out into deliveries,
/// then takes as many due deliveries as there are free slots (<see cref="NotificationOptions.MaxConcurrency"/>)
/// and sends each, recording the attempt. A failed attempt is due again after an exponential
/// back-off with jitter; after <see cref="NotificationOptions.MaxAttempts"/> it is failed for good.
/// Nothing lives only in memory: a restart finds every pending row in the database, and a row taken
/// by a process that died is due again once its lease ends (at least once; receivers deduplicate by
/// the event id).
/// </summary>
internal sealed partial class NotificationDispatcher(
    NotificationStore store,
    IDbContextFactory<FloodgateDbContext> dbFactory,
    NotificationContent content,
    WebhookSender webhooks,
    EmailSender email,
    NotificationOptions options,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    private const int Batch = 100;

    // How long a send in flight may finish after the host asked to stop; then it is cut off and its row waits for its lease.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<long, Task> _sending = new();
    private readonly CancellationTokenSource _abort = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        using var slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        var nextScan = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var (id, task) in _sending)
                {
                    if (task.IsCompleted)
                        _sending.TryRemove(id, out _);
                }

                var now = time.GetUtcNow();
                if (now >= nextScan)
                {
                    await NotificationOutbox.AddOverdueContactTasksAsync(dbFactory, now, Batch, stoppingToken).ConfigureAwait(false);
                    nextScan = now + options.OverdueScanInterval;
                }

                await store.FanOutAsync(options.Email, Batch, options.AbuseDesk?.Trim(), stoppingToken).ConfigureAwait(false);
                var free = slots.CurrentCount;
                if (free > 0)
                {
                    foreach (var work in await store.ClaimDueAsync(options.ClaimLease, free, stoppingToken).ConfigureAwait(false))
                    {
                        await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                        _sending[work.DeliveryId] = Task.Run(async () =>
                        {
                            try
                            {
                                await DeliverAsync(work, _abort.Token).ConfigureAwait(false);
                            }
                            finally
                            {
                                slots.Release();
                            }
                        }, CancellationToken.None);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A database that did not answer: the rows are still there at the next poll.
                LogPollFailed(logger, ex.Message);
            }

            try
            {
                await Task.Delay(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Sends in flight finish (their own timeouts bound them) unless they outlast the grace.
        var inFlight = Task.WhenAll(_sending.Values);
        if (await Task.WhenAny(inFlight, Task.Delay(StopGrace, time, CancellationToken.None)).ConfigureAwait(false) != inFlight)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await inFlight.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    /// <summary>The wait after <paramref name="attempts"/> failed attempts: initial × 2^(attempts−1), capped, spread by the jitter.</summary>
    internal static TimeSpan Backoff(int attempts, NotificationOptions options, double random)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var delay = Math.Min(options.RetryInitialDelay.TotalMilliseconds * Math.Pow(2, exponent), options.RetryMaxDelay.TotalMilliseconds);
        var spread = delay * (1 - options.RetryJitter + (2 * options.RetryJitter * random));
        return TimeSpan.FromMilliseconds(Math.Min(spread, options.RetryMaxDelay.TotalMilliseconds));
    }

    private async Task DeliverAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        SendResult result;
        try
        {
            var data = content.Data(work);
            result = work.Channel == DeliveryChannel.Webhook
                ? await webhooks.SendAsync(work, data, cancellationToken).ConfigureAwait(false)
                : await email.SendAsync(work, data, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: nothing is recorded; the row is due again when its lease ends.
            return;
        }
        catch (Exception ex)
        {
            result = new SendResult(SendKind.Retry, null, null, $"{ex.GetType().Name}: {ex.Message}");
        }

        var at = time.GetUtcNow();
        var elapsed = (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var state = result.Kind switch
        {
            SendKind.Delivered => DeliveryState.Delivered,
            SendKind.Retry when work.Attempt < options.MaxAttempts => DeliveryState.Pending,
            _ => DeliveryState.Failed,
        };
        var error = result.Kind == SendKind.Retry && state == DeliveryState.Failed
            ? $"{result.Error} (gave up after {work.Attempt} attempts; retry by hand)"
            : result.Error;
        DateTimeOffset? next = null;
        if (state == DeliveryState.Pending)
        {
            var wait = Backoff(work.Attempt, options, Random.Shared.NextDouble());
            if (result.RetryAfter is { } asked && asked > wait)
                wait = asked < options.RetryMaxDelay ? asked : options.RetryMaxDelay;
            next = at + wait;
        }

        try
        {
            await store.RecordAttemptAsync(work.DeliveryId, new AttemptOutcome(at, state, result.StatusCode, result.Reply, error, elapsed, next), CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The send happened but its record did not: the lease makes it due again, and it is sent twice.
            LogRecordFailed(logger, work.DeliveryId, ex.Message);
            return;
        }

        if (state == DeliveryState.Delivered)
            LogDelivered(logger, work.Type, work.EventId, work.Channel, work.Attempt);
        else
            LogAttemptFailed(logger, work.Type, work.EventId, work.Channel, work.Attempt, state, error);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notifications are off (Notifications:Enabled=false): events are recorded, nothing is sent")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "The notification dispatcher's poll failed: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The attempt of delivery {Delivery} was not recorded ({Error}); it will be sent again")]
    private static partial void LogRecordFailed(ILogger logger, long delivery, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {Type} {EventId} delivered by {Channel} (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string type, Guid eventId, DeliveryChannel channel, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Type} {EventId} by {Channel} failed (attempt {Attempt}, now {State}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string type, Guid eventId, DeliveryChannel channel, int attempt, DeliveryState state, string? error);
}
