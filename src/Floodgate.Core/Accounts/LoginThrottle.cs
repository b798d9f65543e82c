using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Floodgate.Core.Accounts;

/// <summary>
/// Limits password guessing. An attempt counts as a failure from the moment it begins, so parallel
/// attempts see each other; a success refunds its own count and nothing more (a guesser holding
/// one valid account must not reset its budget). Three rules:
/// <list type="bullet">
/// <item>per login and client address: <see cref="LoginThrottleOptions.MaxFailuresPerLogin"/> in the window, then refused there;</item>
/// <item>per client address across logins: <see cref="LoginThrottleOptions.MaxFailuresPerAddress"/>, then refused;</item>
/// <item>per login across addresses: past <see cref="LoginThrottleOptions.SlowdownAfter"/> failures each attempt waits
/// a doubling delay, one after another; an attempt that would wait past <see cref="LoginThrottleOptions.MaxWait"/>
/// is refused. Addresses where the login recently succeeded skip this, so guessing from many
/// addresses neither locks out nor slows down the owner.</item>
/// </list>
/// </summary>
/// <remarks>
/// One lock guards all state: an attempt reads and counts three entries at once, and each costs a
/// few dictionary operations next to the tens of milliseconds of the KDF run it allows. Memory is
/// bounded by <see cref="LoginThrottleOptions.MaxTracked"/> entries of bounded size: when full,
/// expired entries are swept (at most every window / 16), then the least recently used are evicted.
/// Evicting forgets failures, so the bound should stay well above the addresses seen in a window;
/// a flood from more addresses than that (easy with IPv6) is what the per-login slowdown is for,
/// and the entry of a login under attack is used on every attempt and so stays.
/// </remarks>
public sealed class LoginThrottle
{
    // A login's failures past this many have no effect (the delay is long capped); keeping more would only cost memory.
    private const int LoginFailuresKeptBeyondSlowdown = 64;

    private readonly TimeProvider _time;
    private readonly LoginThrottleOptions _options;
    private readonly long _window;
    private readonly long _sweepSpacing;
    private readonly long _knownLifetime;
    private readonly long _slowdownDelay;
    private readonly long _maxSlowdownDelay;
    private readonly long _maxWait;
    private readonly int _loginFailuresKept;
    private readonly Dictionary<Key, Entry> _entries = [];
    private readonly Lock _sync = new();

    // Most recently used first; eviction takes from the tail.
    private Entry? _head;
    private Entry? _tail;
    private long _lastSweep;

    public LoginThrottle(TimeProvider time, LoginThrottleOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        _time = time;
        _options = options;
        _window = options.Window.Ticks;
        _sweepSpacing = Math.Max(1, options.Window.Ticks / 16);
        _knownLifetime = options.KnownAddressLifetime.Ticks;
        _slowdownDelay = options.SlowdownDelay.Ticks;
        _maxSlowdownDelay = options.MaxSlowdownDelay.Ticks;
        _maxWait = options.MaxWait.Ticks;
        _loginFailuresKept = (int)Math.Min((long)options.SlowdownAfter + LoginFailuresKeptBeyondSlowdown, int.MaxValue);
        _lastSweep = time.GetUtcNow().UtcTicks;
    }

    /// <summary>Entries held now: never more than <see cref="LoginThrottleOptions.MaxTracked"/>.</summary>
    public int TrackedCount
    {
        get
        {
            lock (_sync)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The longest an attempt waits, slowed down or for running attempts to end.</summary>
    public TimeSpan MaxWait => _options.MaxWait;

    /// <summary>
    /// Checks the rules and, unless refused, counts the attempt as a failure, atomically: of N
    /// parallel attempts of one login and address, at most the limit are allowed.
    /// </summary>
    /// <param name="normalizedLogin">The login as <see cref="Addresses.Normalize"/> writes it (the caller's job, so every door keys alike).</param>
    public LoginAttempt Begin(string normalizedLogin, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(normalizedLogin);
        var client = AddressKey(address);
        var now = _time.GetUtcNow().UtcTicks;
        var since = now - _window;
        var pairKey = new Key(EntryKind.LoginAtAddress, normalizedLogin, client);
        var addressKey = new Key(EntryKind.Address, null, client);
        var loginKey = new Key(EntryKind.Login, normalizedLogin, default);
        lock (_sync)
        {
            // Before any entry is taken in hand: a sweep must not drop one this attempt then counts in.
            var almostFull = _entries.Count + 3 > _options.MaxTracked;
            if (now - _lastSweep >= (almostFull ? _sweepSpacing : _window))
            {
                Sweep(now);
            }

            // A refused attempt uses its entries too: a guesser that keeps trying keeps its refusal off the eviction end.
            var pair = Touch(pairKey);
            var perAddress = Touch(addressKey);
            var login = Touch(loginKey);
            // Attempts still running count as failures, but only finished failures refuse: an attempt
            // that could only pass the limit if the running ones fail waits for them instead.
            var pairFailures = pair is null ? 0 : pair.Failures.CountSince(since);
            if (pair is not null && pairFailures - pair.Pending >= _options.MaxFailuresPerLogin)
            {
                return LoginAttempt.Refused(LoginRefusal.LoginAtAddress, At(pair.Failures.ReleaseTime(_options.MaxFailuresPerLogin, _window)));
            }

            var addressFailures = perAddress is null ? 0 : perAddress.Failures.CountSince(since);
            if (perAddress is not null && addressFailures - perAddress.Pending >= _options.MaxFailuresPerAddress)
            {
                return LoginAttempt.Refused(LoginRefusal.Address, At(perAddress.Failures.ReleaseTime(_options.MaxFailuresPerAddress, _window)));
            }

            if (pairFailures >= _options.MaxFailuresPerLogin)
            {
                return LoginAttempt.Busy(LoginRefusal.LoginAtAddress);
            }

            if (addressFailures >= _options.MaxFailuresPerAddress)
            {
                return LoginAttempt.Busy(LoginRefusal.Address);
            }

            long slot = 0;
            if (login is not null && !login.IsKnown(client, now - _knownLifetime))
            {
                var failures = login.Failures.CountSince(since);
                if (failures >= _options.SlowdownAfter)
                {
                    // Attempts of one login are served one after another: each waits its delay after the previous one's slot.
                    var queueFree = Math.Max(now, login.NextSlot);
                    slot = queueFree + SlowdownTicks(failures - _options.SlowdownAfter);
                    if (slot - now > _maxWait)
                    {
                        return LoginAttempt.Refused(LoginRefusal.LoginSlowedDown, At(queueFree));
                    }
                }
            }

            login = GetOrAdd(loginKey, login);
            login.Failures.Add(now, _loginFailuresKept);
            if (slot > 0)
            {
                login.NextSlot = slot;
            }

            perAddress = GetOrAdd(addressKey, perAddress);
            perAddress.Failures.Add(now, _options.MaxFailuresPerAddress);
            perAddress.Pending++;
            pair = GetOrAdd(pairKey, pair);
            pair.Failures.Add(now, _options.MaxFailuresPerLogin);
            pair.Pending++;
            return LoginAttempt.Counted(normalizedLogin, client, now, TimeSpan.FromTicks(slot > 0 ? slot - now : 0));
        }
    }

    /// <summary>
    /// Ends an attempt <see cref="Begin"/> counted. A failure keeps its count; a success refunds it
    /// and makes the address a known address of the login. Call once per attempt; a refused attempt
    /// needs no call.
    /// </summary>
    public void End(in LoginAttempt attempt, bool succeeded) => Finish(in attempt, refund: succeeded, remember: succeeded);

    /// <summary>
    /// Ends an attempt as if it had not been made: its count refunded, the address not made a known
    /// one. For a login whose password nobody checked (the password authority was not reachable), so
    /// it told the client nothing.
    /// </summary>
    public void Refund(in LoginAttempt attempt) => Finish(in attempt, refund: true, remember: false);

    private void Finish(in LoginAttempt attempt, bool refund, bool remember)
    {
        if (attempt.Login is not { } login)
        {
            return;
        }

        var now = _time.GetUtcNow().UtcTicks;
        lock (_sync)
        {
            // An entry evicted since Begin took this attempt's count with it; one made since under the same key can
            // only lose a count of the same instant, which is as good a one to refund.
            _entries.TryGetValue(new Key(EntryKind.LoginAtAddress, login, attempt.Address), out var pair);
            _entries.TryGetValue(new Key(EntryKind.Address, null, attempt.Address), out var perAddress);
            if (pair is not null && pair.Pending > 0)
            {
                pair.Pending--;
            }

            if (perAddress is not null && perAddress.Pending > 0)
            {
                perAddress.Pending--;
            }

            if (!refund)
            {
                return;
            }

            pair?.Failures.Remove(attempt.StartedTicks);
            perAddress?.Failures.Remove(attempt.StartedTicks);

            var loginKey = new Key(EntryKind.Login, login, default);
            var entry = GetOrAdd(loginKey, Touch(loginKey));
            entry.Failures.Remove(attempt.StartedTicks);
            if (remember)
            {
                entry.Remember(attempt.Address, now, _options.KnownAddressesPerLogin);
            }
        }
    }

    /// <summary>
    /// Forgets what is known of one login: its failures (everywhere) and the addresses where it
    /// succeeded. After a new password (a reinstatement after a compromise) the owner starts with a
    /// clean budget, and the addresses the thief logged in from are no longer known ones that skip the
    /// slowdown. The per-address entries stay: an address that guessed is still counted. A scan of all
    /// entries under the lock; it runs once per password reset, not per attempt.
    /// </summary>
    /// <returns>How many entries were removed.</returns>
    public int Forget(string normalizedLogin)
    {
        ArgumentNullException.ThrowIfNull(normalizedLogin);
        var removed = 0;
        lock (_sync)
        {
            for (var entry = _head; entry is not null;)
            {
                var next = entry.Next;
                if (entry.Key.IsOf(normalizedLogin))
                {
                    Remove(entry);
                    removed++;
                }

                entry = next;
            }
        }

        return removed;
    }

    /// <summary>
    /// The key of a client address: IPv4 as its IPv4-mapped IPv6 form (so ::ffff:a.b.c.d and
    /// a.b.c.d meet), IPv6 reduced to its /64, the share one host is given (RFC 4291 2.5.4): an
    /// address limit must not be escaped by rotating within it.
    /// </summary>
    internal static UInt128 AddressKey(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[10] = 0xff;
            bytes[11] = 0xff;
            address.TryWriteBytes(bytes[12..], out _);
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            if (!address.IsIPv4MappedToIPv6)
            {
                bytes[8..].Clear();
            }
        }

        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    // 1 s, 2 s, 4 s ... up to the cap; the loop ends within log2(cap / delay) steps.
    private long SlowdownTicks(int excess)
    {
        var delay = _slowdownDelay;
        for (var i = 0; i < excess && delay < _maxSlowdownDelay; i++)
        {
            delay *= 2;
        }

        return Math.Min(delay, _maxSlowdownDelay);
    }

    private Entry? Touch(in Key key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            MoveToFront(entry);
        }

        return entry;
    }

    private Entry GetOrAdd(in Key key, Entry? found)
    {
        if (found is not null)
        {
            return found;
        }

        // The entries this attempt holds were touched (moved to the front) and MaxTracked >= 3 keeps them off the tail.
        while (_entries.Count >= _options.MaxTracked)
        {
            Remove(_tail!);
        }

        var entry = new Entry(key);
        _entries.Add(key, entry);
        entry.Next = _head;
        if (_head is not null)
        {
            _head.Previous = entry;
        }

        _head = entry;
        _tail ??= entry;
        return entry;
    }

    private void Sweep(long now)
    {
        _lastSweep = now;
        var since = now - _window;
        var knownSince = now - _knownLifetime;
        for (var entry = _tail; entry is not null;)
        {
            var previous = entry.Previous;
            if (entry.Failures.CountSince(since) == 0 && entry.NextSlot <= now && !entry.HasKnownAddresses(knownSince))
            {
                Remove(entry);
            }

            entry = previous;
        }
    }

    private void MoveToFront(Entry entry)
    {
        if (entry == _head)
        {
            return;
        }

        Unlink(entry);
        entry.Next = _head;
        _head!.Previous = entry;
        _head = entry;
    }

    private void Remove(Entry entry)
    {
        Unlink(entry);
        _entries.Remove(entry.Key);
    }

    private void Unlink(Entry entry)
    {
        if (entry.Previous is null)
        {
            _head = entry.Next;
        }
        else
        {
            entry.Previous.Next = entry.Next;
        }

        if (entry.Next is null)
        {
            _tail = entry.Previous;
        }
        else
        {
            entry.Next.Previous = entry.Previous;
        }

        entry.Previous = null;
        entry.Next = null;
    }

    private enum EntryKind : byte
    {
        Login,
        Address,
        LoginAtAddress,
    }

    private readonly struct Key(EntryKind kind, string? login, UInt128 address) : IEquatable<Key>
    {
        private readonly EntryKind _kind = kind;
        private readonly string? _login = login;
        private readonly UInt128 _address = address;

        public bool Equals(Key other) => _kind == other._kind && _address == other._address && string.Equals(_login, other._login, StringComparison.Ordinal);

        /// <summary>A login's own entry or one of its login-at-address entries.</summary>
        public bool IsOf(string login) => _kind != EntryKind.Address && string.Equals(_login, login, StringComparison.Ordinal);

        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        // HashCode is seeded per process and fed the address as four 32-bit parts (their own hashes
        // are themselves): addresses an attacker picks cannot be crafted into one bucket.
        public override int GetHashCode()
        {
            var hash = default(HashCode);
            hash.Add((byte)_kind);
            hash.Add(_login, StringComparer.Ordinal);
            hash.Add((uint)(_address >> 96));
            hash.Add((uint)(_address >> 64));
            hash.Add((uint)(_address >> 32));
            hash.Add((uint)_address);
            return hash.ToHashCode();
        }
    }

    private struct KnownAddress
    {
        public UInt128 Address;
        public long LastSuccess;
    }

    private sealed class Entry(Key key)
    {
        private KnownAddress[]? _known;
        private int _knownCount;

        public Key Key { get; } = key;

        public Entry? Previous { get; set; }

        public Entry? Next { get; set; }

        public FailureTimes Failures { get; } = new();

        /// <summary>Login entries: when the last queued attempt's slot starts.</summary>
        public long NextSlot { get; set; }

        /// <summary>Address and login-at-address entries: attempts begun and not yet ended.</summary>
        public int Pending { get; set; }

        public bool IsKnown(UInt128 address, long since)
        {
            for (var i = 0; i < _knownCount; i++)
            {
                if (_known![i].Address == address)
                {
                    return _known[i].LastSuccess > since;
                }
            }

            return false;
        }

        public bool HasKnownAddresses(long since)
        {
            for (var i = 0; i < _knownCount; i++)
            {
                if (_known![i].LastSuccess > since)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Adds or refreshes <paramref name="address"/>; when all places are taken, the one unused longest gives way.</summary>
        public void Remember(UInt128 address, long now, int max)
        {
            if (max == 0)
            {
                return;
            }

            _known ??= new KnownAddress[max];
            var oldest = 0;
            for (var i = 0; i < _knownCount; i++)
            {
                if (_known[i].Address == address)
                {
                    _known[i].LastSuccess = now;
                    return;
                }

                if (_known[i].LastSuccess < _known[oldest].LastSuccess)
                {
                    oldest = i;
                }
            }

            var place = _knownCount < max ? _knownCount++ : oldest;
            _known[place] = new KnownAddress { Address = address, LastSuccess = now };
        }
    }

    /// <summary>The start times of counted attempts, oldest first, at most a given number.</summary>
    private sealed class FailureTimes
    {
        private readonly List<long> _times = new(2);

        /// <summary>Drops the times at or before <paramref name="since"/> and counts the rest.</summary>
        public int CountSince(long since)
        {
            var expired = 0;
            while (expired < _times.Count && _times[expired] <= since)
            {
                expired++;
            }

            if (expired > 0)
            {
                _times.RemoveRange(0, expired);
            }

            return _times.Count;
        }

        public void Add(long at, int keep)
        {
            if (_times.Count >= keep)
            {
                _times.RemoveAt(0);
            }

            _times.Add(at);
        }

        public void Remove(long at)
        {
            var i = _times.LastIndexOf(at);
            if (i >= 0)
            {
                _times.RemoveAt(i);
            }
        }

        /// <summary>When the count (trimmed, at or over <paramref name="limit"/>) falls below the limit again.</summary>
        public long ReleaseTime(int limit, long window) => _times[_times.Count - limit] + window;
    }
}
