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
/// minutes after it was made.
/// </summary>
/// <remarks>
/// Cost: one object of 360 bytes per key (one per active mailbox, domain and client), measured by
/// bench/Floodgate.Benchmarks hot-state. The buckets are inline arrays and each window keeps one
/// stamp, its newest bucket, instead of one per slot: the slots always hold the buckets newest-11 ..
/// newest (hour) and newest-23 .. newest (day), and moving the newest bucket forward clears the
/// slots it passes. The earlier layout (two slot arrays with a stamp per slot, a Lock object) was
/// 4 objects and about 600 bytes per key.
/// </remarks>
public sealed class SlidingWindow
{
    internal const int HourBuckets = 12;
    internal const int DayBuckets = 24;
    private static readonly long HourBucketTicks = TimeSpan.FromMinutes(5).Ticks;
    private static readonly long DayBucketTicks = TimeSpan.FromHours(1).Ticks;

    // int.MinValue / 2: no bucket yet, and "newest - bucket" cannot overflow.
    private int _hourNewest = int.MinValue / 2;
    private int _dayNewest = int.MinValue / 2;
    private HourSlots _hour;
    private DaySlots _day;

    public void Add(DateTimeOffset at, int messages, int external, int @internal)
    {
        var h = (int)(at.UtcTicks / HourBucketTicks);
        var d = (int)(at.UtcTicks / DayBucketTicks);
        // Monitor on the window itself: a thin lock in the object header, no lock object per key.
        lock (this)
        {
            if (h > _hourNewest)
            {
                // Clear the slots of the buckets skipped since the newest one (all of them after an hour).
                for (var b = Math.Max(_hourNewest + 1, h - HourBuckets + 1); b <= h; b++)
                {
                    _hour[b % HourBuckets] = default;
                }

                _hourNewest = h;
            }

            // A bucket older than the window's oldest has already left it.
            if (_hourNewest - h < HourBuckets)
            {
                ref var hs = ref _hour[h % HourBuckets];
                hs.Messages += messages;
                hs.External += external;
                hs.Internal += @internal;
            }

            if (d > _dayNewest)
            {
                for (var b = Math.Max(_dayNewest + 1, d - DayBuckets + 1); b <= d; b++)
                {
                    _day[b % DayBuckets] = default;
                }

                _dayNewest = d;
            }

            if (_dayNewest - d < DayBuckets)
            {
                ref var ds = ref _day[d % DayBuckets];
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
        lock (this)
        {
            // Buckets in both the window now (h-11 .. h) and the slots (newest-11 .. newest).
            // One division per window, then the slot index wraps by comparison.
            var first = Math.Max(h, _hourNewest) - HourBuckets + 1;
            for (int n = Math.Min(h, _hourNewest) - first + 1, i = n > 0 ? first % HourBuckets : 0; n > 0; n--)
            {
                ref readonly var s = ref _hour[i];
                messages += s.Messages;
                extH += s.External;
                intH += s.Internal;
                i = i == HourBuckets - 1 ? 0 : i + 1;
            }

            first = Math.Max(d, _dayNewest) - DayBuckets + 1;
            for (int n = Math.Min(d, _dayNewest) - first + 1, i = n > 0 ? first % DayBuckets : 0; n > 0; n--)
            {
                ref readonly var s = ref _day[i];
                extD += s.External;
                intD += s.Internal;
                i = i == DayBuckets - 1 ? 0 : i + 1;
            }
        }

        return new WindowTotals(messages, extH, intH, extD, intD);
    }

    public DateTimeOffset NextHourRelease(DateTimeOffset now)
    {
        var h = (int)(now.UtcTicks / HourBucketTicks);
        var oldest = h + 1;
        lock (this)
        {
            for (int b = Math.Max(h, _hourNewest) - HourBuckets + 1, last = Math.Min(h, _hourNewest); b <= last; b++)
            {
                ref readonly var s = ref _hour[b % HourBuckets];
                if ((s.Messages | s.External | s.Internal) != 0)
                {
                    oldest = b;
                    break;
                }
            }
        }

        return new DateTimeOffset((long)(oldest + HourBuckets) * HourBucketTicks, TimeSpan.Zero);
    }

    public DateTimeOffset NextDayRelease(DateTimeOffset now)
    {
        var d = (int)(now.UtcTicks / DayBucketTicks);
        var oldest = d + 1;
        lock (this)
        {
            for (int b = Math.Max(d, _dayNewest) - DayBuckets + 1, last = Math.Min(d, _dayNewest); b <= last; b++)
            {
                ref readonly var s = ref _day[b % DayBuckets];
                if ((s.External | s.Internal) != 0)
                {
                    oldest = b;
                    break;
                }
            }
        }

        return new DateTimeOffset((long)(oldest + DayBuckets) * DayBucketTicks, TimeSpan.Zero);
    }

    private struct HourSlot
    {
        public int Messages;
        public int External;
        public int Internal;
    }

    private struct DaySlot
    {
        public int External;
        public int Internal;
    }

    [System.Runtime.CompilerServices.InlineArray(HourBuckets)]
    private struct HourSlots
    {
        private HourSlot _first;
    }

    [System.Runtime.CompilerServices.InlineArray(DayBuckets)]
    private struct DaySlots
    {
        private DaySlot _first;
    }
}
