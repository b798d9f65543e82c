using System.Collections.Concurrent;

namespace Floodgate.Doors;

/// <summary>
/// A log line per key at most once a minute: an unknown login asks at every RCPT of every message,
/// and the log must stay readable (the metric counts every one). Bounded: forgets everything past
/// 10,000 keys.
/// </summary>
internal sealed class LogOnce
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _last = new(StringComparer.Ordinal);

    public bool ShouldLog(string key, DateTimeOffset now)
    {
        if (_last.TryGetValue(key, out var last) && now - last < Interval)
        {
            return false;
        }

        if (_last.Count >= 10_000)
        {
            _last.Clear();
        }

        _last[key] = now;
        return true;
    }
}
