using System.Collections.Concurrent;

namespace Floodgate.Core.Accounts;

/// <summary>
/// Counts failed logins per client address and per login over a window, so password guessing is
/// slowed per source and per target. Successful logins do not clear the address count: a
/// guesser with one valid account must not reset its budget.
/// </summary>
public sealed class LoginThrottle(TimeProvider time, LoginThrottleOptions options)
{
    private readonly ConcurrentDictionary<string, Failures> _byAddress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Failures> _byLogin = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when the address or the login has used up its failures in the window.</summary>
    public bool IsBlocked(string address, string login)
    {
        var now = time.GetUtcNow();
        return Over(_byAddress, address, options.MaxFailuresPerAddress, now) || Over(_byLogin, login, options.MaxFailuresPerLogin, now);
    }

    public void RecordFailure(string address, string login)
    {
        var now = time.GetUtcNow();
        _byAddress.GetOrAdd(address, static _ => new Failures()).Add(now, options.Window);
        _byLogin.GetOrAdd(login, static _ => new Failures()).Add(now, options.Window);
        if (_byAddress.Count + _byLogin.Count > options.MaxTracked)
        {
            Sweep(now);
        }
    }

    public void RecordSuccess(string login) => _byLogin.TryRemove(login, out _);

    private bool Over(ConcurrentDictionary<string, Failures> map, string key, int max, DateTimeOffset now) =>
        map.TryGetValue(key, out var f) && f.Count(now, options.Window) >= max;

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, f) in _byAddress)
        {
            if (f.Count(now, options.Window) == 0)
            {
                _byAddress.TryRemove(key, out _);
            }
        }

        foreach (var (key, f) in _byLogin)
        {
            if (f.Count(now, options.Window) == 0)
            {
                _byLogin.TryRemove(key, out _);
            }
        }
    }

    private sealed class Failures
    {
        private readonly Queue<DateTimeOffset> _times = new();

        public void Add(DateTimeOffset now, TimeSpan window)
        {
            lock (_times)
            {
                Trim(now, window);
                _times.Enqueue(now);
            }
        }

        public int Count(DateTimeOffset now, TimeSpan window)
        {
            lock (_times)
            {
                Trim(now, window);
                return _times.Count;
            }
        }

        private void Trim(DateTimeOffset now, TimeSpan window)
        {
            while (_times.Count > 0 && now - _times.Peek() >= window)
            {
                _times.Dequeue();
            }
        }
    }
}

public sealed class LoginThrottleOptions
{
    public int MaxFailuresPerAddress { get; set; } = 10;

    public int MaxFailuresPerLogin { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    public int MaxTracked { get; set; } = 100_000;
}
