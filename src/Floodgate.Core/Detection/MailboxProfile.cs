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

    public void Remember(TrackedMessage message)
    {
        _ring[_next] = message;
        _next = (_next + 1) % _ring.Length;
    }

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
