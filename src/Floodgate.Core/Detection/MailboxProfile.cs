using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Detection;

/// <summary>
/// What the detector remembers of one mailbox: its recent bulk-ish messages (a ring) and its
/// usual hour of external recipients. Created only for mailboxes that send such messages.
/// </summary>
internal sealed class MailboxProfile(int capacity)
{
    // One day's memory: the usual hour follows the last day or so of activity.
    private const double Alpha = 1.0 / 24;

    private readonly TrackedMessage?[] _ring = new TrackedMessage?[capacity];
    private int _next;
    private long _hourStamp;
    private int _hourExternal;
    private double _usualHour;

    public Lock Sync { get; } = new();

    public double UsualHour => _usualHour;

    /// <summary>
    /// Adds a message; a retry of one that was held or deferred (same Message-ID, same content)
    /// takes its place instead of being a copy of its own.
    /// </summary>
    public void Remember(TrackedMessage message)
    {
        if (message.MessageId is not null)
        {
            for (var i = 0; i < _ring.Length; i++)
            {
                if (_ring[i] is { } m && IsRetryOf(message.MessageId, message.Fingerprint, message.RecipientsHash, m))
                {
                    _ring[i] = message;
                    return;
                }
            }
        }

        _ring[_next] = message;
        _next = (_next + 1) % _ring.Length;
    }

    /// <summary>
    /// The one exemption from being a copy: the same mailbox sending again, to the same recipients, a
    /// message that did not go out (held, deferred, refused), with its Message-ID and its content
    /// (the normalised content: a retry may differ in a date or a boundary). A relayed message is a
    /// copy whatever its Message-ID says: a blast may reuse one Message-ID for every copy. The
    /// recipients are compared when both sides know them (a message rebuilt from the log does not).
    /// </summary>
    public static bool IsRetryOf(string? messageId, in ContentFingerprint fingerprint, ulong recipientsHash, TrackedMessage earlier) =>
        earlier.Outcome != Policy.Outcome.Accepted
        && messageId is not null
        && earlier.MessageId == messageId
        && !earlier.Fingerprint.IsDefault
        && !fingerprint.IsDefault
        && earlier.Fingerprint.ExactHash == fingerprint.ExactHash
        && (earlier.RecipientsHash == 0 || recipientsHash == 0 || earlier.RecipientsHash == recipientsHash);

    /// <summary>Messages from newest to oldest, within <paramref name="window"/> of now.</summary>
    public IEnumerable<TrackedMessage> Recent(DateTimeOffset now, TimeSpan window)
    {
        for (var i = 1; i <= _ring.Length; i++)
        {
            var m = _ring[(_next - i + _ring.Length) % _ring.Length];
            if (m is not null && now - m.At <= window && m.At <= now)
            {
                yield return m;
            }
        }
    }

    /// <summary>Folds relayed external recipients into the usual hour (an hourly moving average).</summary>
    public void CountRelayed(int external, DateTimeOffset at)
    {
        var hour = at.UtcTicks / TimeSpan.TicksPerHour;
        if (_hourStamp == 0)
        {
            _hourStamp = hour;
        }

        if (hour > _hourStamp)
        {
            _usualHour = Alpha * _hourExternal + (1 - Alpha) * _usualHour;
            var idle = Math.Min(hour - _hourStamp - 1, 24 * 30);
            if (idle > 0)
            {
                _usualHour *= Math.Pow(1 - Alpha, idle);
            }

            _hourStamp = hour;
            _hourExternal = 0;
        }

        if (hour == _hourStamp)
        {
            _hourExternal += external;
        }
    }
}
