using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Detection;

/// <summary>
/// What the detector remembers of one mailbox: its recent bulk-ish messages (a ring), its usual hour of
/// external recipients, the external recipients it has written to (<see cref="RecipientMemory"/>) and
/// its first contacts of the last hour. Created only for mailboxes that send external mail.
/// </summary>
internal sealed class MailboxProfile(int capacity, int recipientMemoryBytes = 0)
{
    // First contacts and external recipients in five-minute buckets over the last hour.
    private const int Buckets = 12;
    private static readonly long BucketTicks = TimeSpan.FromMinutes(5).Ticks;

    private readonly Bucket[] _buckets = new Bucket[Buckets];
    private RecipientMemory? _recipients;
    private HourlyAverage _firstContacts;

    // One day's memory: the usual hour follows the last day or so of activity.
    private const double Alpha = 1.0 / 24;

    private readonly TrackedMessage?[] _ring = new TrackedMessage?[capacity];
    private int _next;
    private HourlyAverage _external;

    public Lock Sync { get; } = new();

    public double UsualHour => _external.Usual;

    /// <summary>First contacts in a usual hour (a moving average like <see cref="UsualHour"/>).</summary>
    public double UsualFirstContacts => _firstContacts.Usual;

    /// <summary>When the recipient memory began learning; default while it has learned nothing.</summary>
    public DateTimeOffset LearningSince { get; private set; }

    public RecipientMemory? Recipients => _recipients;

    /// <summary>How many of <paramref name="recipients"/> the mailbox has never written to (all of them without a memory).</summary>
    public int CountFirstContacts(ReadOnlySpan<ulong> recipients)
    {
        if (_recipients is null)
        {
            return recipients.Length;
        }

        var first = 0;
        foreach (var r in recipients)
        {
            if (!_recipients.Contains(r))
            {
                first++;
            }
        }

        return first;
    }

    /// <summary>First contacts and external recipients relayed within the last hour (by five-minute buckets).</summary>
    public (int FirstContacts, int External) LastHour(DateTimeOffset now)
    {
        var bucket = now.UtcTicks / BucketTicks;
        int first = 0, external = 0;
        for (var i = 0; i < Buckets; i++)
        {
            ref readonly var b = ref _buckets[i];
            if (bucket - b.Stamp < Buckets && b.Stamp <= bucket)
            {
                first += b.FirstContacts;
                external += b.External;
            }
        }

        return (first, external);
    }

    /// <summary>Learns the external recipients of a relayed message; counts its first contacts.</summary>
    public void LearnRecipients(ReadOnlySpan<ulong> recipients, int external, DateTimeOffset at)
    {
        if (recipientMemoryBytes <= 0)
        {
            return;
        }

        if (_recipients is null)
        {
            _recipients = new RecipientMemory(recipientMemoryBytes);
            LearningSince = at;
        }

        var first = 0;
        foreach (var r in recipients)
        {
            if (_recipients.Add(r))
            {
                first++;
            }
        }

        var bucket = at.UtcTicks / BucketTicks;
        var slot = (int)(bucket % Buckets);
        ref var b = ref _buckets[slot];
        if (b.Stamp != bucket)
        {
            b = new Bucket { Stamp = bucket };
        }

        b.FirstContacts += first;
        b.External += external;
        _firstContacts.Add(first, at);
    }

    /// <summary>Restores a snapshot of the recipient memory (<see cref="RecipientMemory.CopyTo"/>).</summary>
    public bool RestoreRecipients(DateTimeOffset learningSince, double usualFirstContacts, ReadOnlySpan<ulong> words, int count)
    {
        var memory = new RecipientMemory(recipientMemoryBytes);
        if (recipientMemoryBytes <= 0 || !memory.TryRestore(words, count))
        {
            return false;
        }

        _recipients = memory;
        LearningSince = learningSince;
        _firstContacts = HourlyAverage.Restored(usualFirstContacts);
        return true;
    }

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
    public void CountRelayed(int external, DateTimeOffset at) => _external.Add(external, at);

    private struct Bucket
    {
        public long Stamp;
        public int FirstContacts;
        public int External;
    }

    /// <summary>
    /// An hourly moving average of a count: the hour being counted folds in when the next one starts,
    /// and idle hours (up to 30 days of them) fold in as zeros.
    /// </summary>
    private struct HourlyAverage
    {
        private long _hour;
        private int _count;

        public double Usual { get; private set; }

        public static HourlyAverage Restored(double usual) => new() { Usual = usual };

        public void Add(int count, DateTimeOffset at)
        {
            var hour = at.UtcTicks / TimeSpan.TicksPerHour;
            if (_hour == 0)
            {
                _hour = hour;
            }

            if (hour > _hour)
            {
                Usual = (Alpha * _count) + ((1 - Alpha) * Usual);
                var idle = Math.Min(hour - _hour - 1, 24 * 30);
                if (idle > 0)
                {
                    Usual *= Math.Pow(1 - Alpha, idle);
                }

                _hour = hour;
                _count = 0;
            }

            if (hour == _hour)
            {
                _count += count;
            }
        }
    }
}
