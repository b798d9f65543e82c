using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Floodgate.Storage.HotState;

/// <summary>
/// The detector's recent messages shared by the nodes: each tracked message (a fingerprint and enough
/// external recipients) a node completes goes into one Redis stream, trimmed to about
/// <see cref="MaxEntries"/>; every node reads the others' entries into its own memory (the mailbox's
/// runs, its holds, the campaign index), every <see cref="PollInterval"/> and before it judges a
/// fingerprinted message, so a blast spread over the nodes builds one run. A stream, not pub/sub: a
/// node that was away reads what it missed, as far back as the stream keeps.
/// </summary>
/// <remarks>
/// Cost: one XADD per tracked message (fire and forget) and one XREAD per fingerprinted message
/// judged; small messages (most of the traffic) touch nothing here. What stays per node: the
/// recipient memory (first contacts) and the usual hour's volume, both learned from each node's own share.
/// </remarks>
public sealed partial class RedisDetectorFeed : ITransactionObserver, ISharedDetectorMemory, IAsyncDisposable
{
    public const int MaxEntries = 100_000;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly RedisHotState _state;
    private readonly MassMailDetector _detector;
    private readonly AccountDirectory _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisKey _stream;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _poll;
    private RedisValue _position;
    private long _received;

    public RedisDetectorFeed(RedisHotState state, MassMailDetector detector, AccountDirectory directory, TimeProvider time, ILogger logger)
    {
        _state = state;
        _detector = detector;
        _directory = directory;
        _time = time;
        _logger = logger;
        _stream = state.Options.Prefix + "tracked";
        // From now: what came before is in the transaction log, which the node replayed at start.
        _position = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "-0";
        _poll = PollAsync(_stop.Token);
    }

    /// <summary>Messages of other nodes taken into this node's memory since start.</summary>
    public long Received => Interlocked.Read(ref _received);

    public void Completed(CompletedTransaction t)
    {
        if (t.Fingerprint.IsDefault || t.External < _detector.Options.MinTrackedRecipients || !_state.IsAvailable)
        {
            return;
        }

        NameValueEntry[] fields =
        [
            new("n", _state.NodeId),
            new("t", t.At.ToUnixTimeMilliseconds()),
            new("r", t.Recipients),
            new("x", t.External),
            new("f", t.Fingerprint.ToBytes()),
            new("o", (int)t.Outcome),
            new("m", t.Mailbox.Id),
            new("c", t.Mailbox.Client.Id),
            new("h", t.RecipientsHash.ToString(CultureInfo.InvariantCulture)),
            new("i", t.MessageId ?? string.Empty),
            new("s", t.Fingerprint.Subject ?? string.Empty),
            new("d", t.DestinationDomains ?? string.Empty),
        ];
        try
        {
            _state.Database.StreamAdd(_stream, fields, maxLength: MaxEntries, useApproximateMaxLength: true, flags: CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _state.Failed(e);
        }
    }

    public async ValueTask CatchUpAsync(CancellationToken cancellationToken)
    {
        if (!_state.IsAvailable)
        {
            return;
        }

        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var entries = await _state.Database.StreamReadAsync(_stream, _position, count: 500).ConfigureAwait(false);
                if (entries.Length == 0)
                {
                    return;
                }

                var now = _time.GetUtcNow();
                foreach (var entry in entries)
                {
                    _position = entry.Id;
                    if (TryRead(entry, out var message, out var from) && from != _state.NodeId)
                    {
                        var cap = _directory.TryGetMailbox(message.MailboxId, out var mailbox) ? mailbox.Client.Limits.MaxRecipientsPerMessage : 200;
                        _detector.Remember(message, now, cap);
                        Interlocked.Increment(ref _received);
                    }
                }

                if (entries.Length < 500)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _state.Failed(e);
        }
        finally
        {
            _reading.Release();
        }
    }

    private static bool TryRead(StreamEntry entry, out TrackedMessage message, out string? from)
    {
        message = null!;
        from = entry["n"];
        byte[]? bytes = entry["f"];
        if (bytes is null || !ContentFingerprint.TryFromBytes(bytes, out var fingerprint)
            || !long.TryParse((string?)entry["t"], out var at) || !int.TryParse((string?)entry["r"], out var recipients) || !int.TryParse((string?)entry["x"], out var external)
            || !int.TryParse((string?)entry["o"], out var outcome) || !int.TryParse((string?)entry["m"], out var mailbox) || !int.TryParse((string?)entry["c"], out var client)
            || !ulong.TryParse((string?)entry["h"], CultureInfo.InvariantCulture, out var hash))
        {
            // Not ours, or another version's: skipped, never fatal.
            return false;
        }

        string? id = entry["i"], subject = entry["s"], destinations = entry["d"];
        message = new TrackedMessage(DateTimeOffset.FromUnixTimeMilliseconds(at), string.IsNullOrEmpty(id) ? null : id, recipients, external, fingerprint, (Outcome)outcome, mailbox, client, hash)
        {
            Subject = string.IsNullOrEmpty(subject) ? null : subject,
            DestinationDomains = string.IsNullOrEmpty(destinations) ? null : destinations,
        };
        return true;
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await CatchUpAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogReadFailed(_logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _poll.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the other nodes' tracked messages: {Error}")]
    private static partial void LogReadFailed(ILogger logger, string error);
}
