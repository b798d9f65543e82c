using System.Collections.Concurrent;

namespace Floodgate.Core.Policy;

public enum CounterScope : byte
{
    Mailbox = 0,
    Domain = 1,
    Client = 2,
}

public readonly record struct CounterKey(CounterScope Scope, int Id);

/// <summary>What one scope sent in the current windows.</summary>
public readonly record struct WindowTotals(
    int MessagesLastHour,
    int ExternalLastHour,
    int InternalLastHour,
    int ExternalLastDay,
    int InternalLastDay);

/// <summary>
/// Sliding-window counters per mailbox, domain and client. The in-process store is the default;
/// a shared store (Redis) implements the same contract for several nodes.
/// </summary>
public interface ICounterStore
{
    WindowTotals Read(CounterKey key, DateTimeOffset now);

    void Add(CounterKey key, DateTimeOffset at, int messages, int external, int @internal);

    /// <summary>When the hour window of <paramref name="key"/> next frees capacity (for a retry hint).</summary>
    DateTimeOffset NextHourRelease(CounterKey key, DateTimeOffset now);

    /// <summary>When the day window of <paramref name="key"/> next frees capacity.</summary>
    DateTimeOffset NextDayRelease(CounterKey key, DateTimeOffset now);

    int Count { get; }
}

/// <summary>
/// The default store: one <see cref="SlidingWindow"/> per key in this process. Lock per key; keys
/// never contend with each other.
/// </summary>
public sealed class InProcessCounterStore : ICounterStore
{
    private readonly ConcurrentDictionary<CounterKey, SlidingWindow> _windows = new();

    public int Count => _windows.Count;

    public WindowTotals Read(CounterKey key, DateTimeOffset now) =>
        _windows.TryGetValue(key, out var w) ? w.Read(now) : default;

    public void Add(CounterKey key, DateTimeOffset at, int messages, int external, int @internal)
    {
        if (!_windows.TryGetValue(key, out var w))
        {
            w = _windows.GetOrAdd(key, static _ => new SlidingWindow());
        }

        w.Add(at, messages, external, @internal);
    }

    public DateTimeOffset NextHourRelease(CounterKey key, DateTimeOffset now) =>
        _windows.TryGetValue(key, out var w) ? w.NextHourRelease(now) : now;

    public DateTimeOffset NextDayRelease(CounterKey key, DateTimeOffset now) =>
        _windows.TryGetValue(key, out var w) ? w.NextDayRelease(now) : now;
}

/// <summary>
/// An hour window of 12 five-minute buckets and a day window of 24 one-hour buckets. The window
/// therefore slides in steps of one bucket: a count leaves the hour window between 55 and 60
/// minutes after it was made. About 500 bytes per key.
/// </summary>
public sealed class SlidingWindow
{
    internal const int HourBuckets = 12;
    internal const int DayBuckets = 24;
    private static readonly long HourBucketTicks = TimeSpan.FromMinutes(5).Ticks;
    private static readonly long DayBucketTicks = TimeSpan.FromHours(1).Ticks;

    private readonly HourSlot[] _hour = new HourSlot[HourBuckets];
    private readonly DaySlot[] _day = new DaySlot[DayBuckets];
    private readonly Lock _lock = new();

    public void Add(DateTimeOffset at, int messages, int external, int @internal)
    {
        var h = (int)(at.UtcTicks / HourBucketTicks);
        var d = (int)(at.UtcTicks / DayBucketTicks);
        lock (_lock)
        {
            // A slot holding a newer bucket than `at` means `at` has already left that window.
            ref var hs = ref _hour[h % HourBuckets];
            if (hs.Stamp <= h)
            {
                if (hs.Stamp != h)
                {
                    hs = new HourSlot { Stamp = h };
                }

                hs.Messages += messages;
                hs.External += external;
                hs.Internal += @internal;
            }

            ref var ds = ref _day[d % DayBuckets];
            if (ds.Stamp <= d)
            {
                if (ds.Stamp != d)
                {
                    ds = new DaySlot { Stamp = d };
                }

                ds.External += external;
                ds.Internal += @internal;
            }
        }
    }

    public WindowTotals Read(DateTimeOffset now)
    {
        var h = (int)(now.UtcTicks / HourBucketTicks);
        var d = (int)(now.UtcTicks / DayBucketTicks);
        int messages = 0, extH = 0, intH = 0, extD = 0, intD = 0;
        lock (_lock)
        {
            for (var i = 0; i < HourBuckets; i++)
            {
                ref readonly var s = ref _hour[i];
                if (s.Stamp > h - HourBuckets && s.Stamp <= h)
                {
                    messages += s.Messages;
                    extH += s.External;
                    intH += s.Internal;
                }
            }

            for (var i = 0; i < DayBuckets; i++)
            {
                ref readonly var s = ref _day[i];
                if (s.Stamp > d - DayBuckets && s.Stamp <= d)
                {
                    extD += s.External;
                    intD += s.Internal;
                }
            }
        }

        return new WindowTotals(messages, extH, intH, extD, intD);
    }

    public DateTimeOffset NextHourRelease(DateTimeOffset now)
    {
        var h = (int)(now.UtcTicks / HourBucketTicks);
        var oldest = h + 1;
        lock (_lock)
        {
            foreach (ref readonly var s in _hour.AsSpan())
            {
                if (s.Stamp > h - HourBuckets && s.Stamp <= h && s.Stamp < oldest && (s.Messages | s.External | s.Internal) != 0)
                {
                    oldest = s.Stamp;
                }
            }
        }

        return new DateTimeOffset((long)(oldest + HourBuckets) * HourBucketTicks, TimeSpan.Zero);
    }

    public DateTimeOffset NextDayRelease(DateTimeOffset now)
    {
        var d = (int)(now.UtcTicks / DayBucketTicks);
        var oldest = d + 1;
        lock (_lock)
        {
            foreach (ref readonly var s in _day.AsSpan())
            {
                if (s.Stamp > d - DayBuckets && s.Stamp <= d && s.Stamp < oldest && (s.External | s.Internal) != 0)
                {
                    oldest = s.Stamp;
                }
            }
        }

        return new DateTimeOffset((long)(oldest + DayBuckets) * DayBucketTicks, TimeSpan.Zero);
    }

    private struct HourSlot
    {
        public int Stamp;
        public int Messages;
        public int External;
        public int Internal;
    }

    private struct DaySlot
    {
        public int Stamp;
        public int External;
        public int Internal;
    }
}
