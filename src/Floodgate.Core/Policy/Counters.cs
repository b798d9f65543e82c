using System.Collections.Concurrent;
using Floodgate.Core.Accounts;

namespace Floodgate.Core.Policy;

public enum CounterScope : byte
{
    Mailbox = 0,
    Domain = 1,
    Client = 2,
}

public readonly record struct CounterKey(CounterScope Scope, int Id);

/// <summary>What one scope sent in the current windows, counting the recipients reserved by transactions in flight.</summary>
public readonly record struct WindowTotals(
    int MessagesLastHour,
    int ExternalLastHour,
    int InternalLastHour,
    int ExternalLastDay,
    int InternalLastDay,
    int ReservedMessages = 0,
    int ReservedExternal = 0,
    int ReservedInternal = 0);

/// <summary>
/// What a transaction holds, or asks for, in the windows of its mailbox, domain and client at once:
/// messages (one at MAIL) and recipients (one at each accepted RCPT).
/// </summary>
/// <remarks>
/// <see cref="Epoch"/> is the store's: where the reservation is held, so its release goes to the same
/// place (0 in process; a shared store's generation, which lets reservations of a node that died
/// expire instead of holding capacity for ever). A transaction's later requests carry its latest, and
/// the transaction takes the one each answer gives (a shared store may move it: it defers MAIL's
/// message to the first recipient, one round trip instead of two).
/// </remarks>
public readonly record struct Reservation(int MailboxId, int DomainId, int ClientId, int Messages, int External, int Internal, int Epoch = 0)
{
    public bool IsEmpty => (Messages | External | Internal) == 0;

    public Reservation Plus(in Reservation more) =>
        this with { Messages = Messages + more.Messages, External = External + more.External, Internal = Internal + more.Internal };

    public Reservation Minus(in Reservation less) =>
        this with { Messages = Messages - less.Messages, External = External - less.External, Internal = Internal - less.Internal };
}

public enum WindowSpan : byte
{
    Hour,
    Day,
}

public enum WindowMeasure : byte
{
    Messages,
    ExternalRecipients,
    InternalRecipients,
}

/// <summary>
/// Which window a reservation would have overrun, how full it is, and when it next frees capacity; or,
/// with <see cref="Unavailable"/>, that the shared store could not decide and the scope's rule is to
/// refuse for now rather than guess.
/// </summary>
public readonly record struct ReservationRefusal(CounterScope Scope, int Id, WindowSpan Span, WindowMeasure Measure, int Used, int Limit, DateTimeOffset RetryAt, bool Unavailable = false);

/// <summary>A reservation's answer: reserved (<see cref="Held"/> is what the transaction now holds, epoch included) or refused.</summary>
public readonly record struct ReserveResult(bool Reserved, Reservation Held, ReservationRefusal Refusal)
{
    public static ReserveResult Granted(in Reservation held) => new(true, held, default);

    public static ReserveResult Refused(in ReservationRefusal refusal) => new(false, default, refusal);
}

/// <summary>
/// Sliding-window counters per mailbox, domain and client, with reservations. An accepted recipient
/// is reserved in the three scopes at once (all or none), so concurrent transactions of one sender
/// see each other; a reservation becomes a count when the message is relayed and is released
/// otherwise. Each call is one decision: a shared store (Redis) does each in one round trip (one
/// script over the three keys). The in-process store is the default.
/// </summary>
public interface ICounterStore
{
    /// <summary>The totals of one scope. A shared store answers from its server: for pages and tools; the engine uses <see cref="ReadAsync"/>.</summary>
    WindowTotals Read(CounterKey key, DateTimeOffset now);

    ValueTask<WindowTotals> ReadAsync(CounterKey key, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(key, now));

    /// <summary>
    /// Reserves <paramref name="request"/> in the mailbox, domain and client windows if every window it
    /// touches stays within <paramref name="limits"/> (counts and reservations together); else
    /// reserves nothing and says which window is full. A shared store waits for its server here: the
    /// doors whose protocol handlers are synchronous (policy delegation, milter) call this one.
    /// </summary>
    ReserveResult Reserve(in Reservation request, PlanLimits limits, DateTimeOffset now);

    /// <summary><see cref="Reserve"/> without blocking a thread: the gateway's path. In process it completes at once.</summary>
    ValueTask<ReserveResult> ReserveAsync(Reservation request, PlanLimits limits, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Reserve(in request, limits, now));

    /// <summary>The message was relayed: what it held becomes a count at <paramref name="at"/>.</summary>
    void Commit(in Reservation held, DateTimeOffset at);

    /// <summary>The message was not relayed (RSET, refusal, upstream failure, timeout, disconnect).</summary>
    void Release(in Reservation held);

    /// <summary>Counts a sent message without a reservation: the windows rebuilt from the transaction log at start.</summary>
    void Add(CounterKey key, DateTimeOffset at, int messages, int external, int @internal);

    /// <summary>When the hour window of <paramref name="key"/> next frees capacity (for a retry hint).</summary>
    DateTimeOffset NextHourRelease(CounterKey key, DateTimeOffset now);

    /// <summary>When the day window of <paramref name="key"/> next frees capacity.</summary>
    DateTimeOffset NextDayRelease(CounterKey key, DateTimeOffset now);

    /// <summary>
    /// Forgets what <paramref name="key"/> has sent in its hour and day windows (an operator's reset) and
    /// returns the totals it had. Reservations of transactions in flight stay: each is committed or
    /// released by its own transaction, and clearing them would let that later release free capacity
    /// that other transactions hold.
    /// </summary>
    WindowTotals Reset(CounterKey key, DateTimeOffset now);

    int Count { get; }
}

public static class CounterStoreExtensions
{
    /// <summary><see cref="ICounterStore.Reserve"/> as a Try method, for callers that keep no epoch (tools, tests).</summary>
    public static bool TryReserve(this ICounterStore store, in Reservation request, PlanLimits limits, DateTimeOffset now, out ReservationRefusal refusal)
    {
        var result = store.Reserve(in request, limits, now);
        refusal = result.Refusal;
        return result.Reserved;
    }
}

/// <summary>
/// The default store: one <see cref="SlidingWindow"/> per key in this process. A reservation locks
/// the three windows it touches, always mailbox, then domain, then client, so two reservations can
/// never wait on each other in a circle; keys of other senders never contend.
/// </summary>
public sealed class InProcessCounterStore : ICounterStore
{
    private readonly ConcurrentDictionary<CounterKey, SlidingWindow> _windows = new();

    public int Count => _windows.Count;

    public WindowTotals Read(CounterKey key, DateTimeOffset now) =>
        _windows.TryGetValue(key, out var w) ? w.Read(now) : default;

    public ReserveResult Reserve(in Reservation request, PlanLimits limits, DateTimeOffset now) =>
        TryReserve(in request, limits, now, out var refusal) ? ReserveResult.Granted(in request) : ReserveResult.Refused(in refusal);

    public bool TryReserve(in Reservation request, PlanLimits limits, DateTimeOffset now, out ReservationRefusal refusal)
    {
        var mailbox = Window(new CounterKey(CounterScope.Mailbox, request.MailboxId));
        var domain = Window(new CounterKey(CounterScope.Domain, request.DomainId));
        var client = Window(new CounterKey(CounterScope.Client, request.ClientId));
        bool fits;
        CounterScope scope = default;
        (WindowSpan Span, WindowMeasure Measure, int Used, int Limit) full = default;
        lock (mailbox)
        {
            lock (domain)
            {
                lock (client)
                {
                    fits = mailbox.FitsLocked(in request, limits.Mailbox, now, out full);
                    if (!fits)
                    {
                        scope = CounterScope.Mailbox;
                    }
                    else if (!(fits = domain.FitsLocked(in request, limits.Domain, now, out full)))
                    {
                        scope = CounterScope.Domain;
                    }
                    else if (!(fits = client.FitsLocked(in request, limits.Client, now, out full)))
                    {
                        scope = CounterScope.Client;
                    }

                    if (fits)
                    {
                        mailbox.ReserveLocked(in request, 1);
                        domain.ReserveLocked(in request, 1);
                        client.ReserveLocked(in request, 1);
                    }
                }
            }
        }

        if (fits)
        {
            refusal = default;
            return true;
        }

        var id = scope switch
        {
            CounterScope.Mailbox => request.MailboxId,
            CounterScope.Domain => request.DomainId,
            _ => request.ClientId,
        };
        var key = new CounterKey(scope, id);
        var retryAt = full.Span == WindowSpan.Hour ? NextHourRelease(key, now) : NextDayRelease(key, now);
        refusal = new ReservationRefusal(scope, id, full.Span, full.Measure, full.Used, full.Limit, retryAt);
        return false;
    }

    public void Commit(in Reservation held, DateTimeOffset at)
    {
        if (held.IsEmpty)
        {
            return;
        }

        Window(new CounterKey(CounterScope.Mailbox, held.MailboxId)).Commit(in held, at);
        Window(new CounterKey(CounterScope.Domain, held.DomainId)).Commit(in held, at);
        Window(new CounterKey(CounterScope.Client, held.ClientId)).Commit(in held, at);
    }

    public void Release(in Reservation held)
    {
        if (held.IsEmpty)
        {
            return;
        }

        Window(new CounterKey(CounterScope.Mailbox, held.MailboxId)).Release(in held);
        Window(new CounterKey(CounterScope.Domain, held.DomainId)).Release(in held);
        Window(new CounterKey(CounterScope.Client, held.ClientId)).Release(in held);
    }

    public void Add(CounterKey key, DateTimeOffset at, int messages, int external, int @internal) =>
        Window(key).Add(at, messages, external, @internal);

    public DateTimeOffset NextHourRelease(CounterKey key, DateTimeOffset now) =>
        _windows.TryGetValue(key, out var w) ? w.NextHourRelease(now) : now;

    public DateTimeOffset NextDayRelease(CounterKey key, DateTimeOffset now) =>
        _windows.TryGetValue(key, out var w) ? w.NextDayRelease(now) : now;

    public WindowTotals Reset(CounterKey key, DateTimeOffset now) =>
        _windows.TryGetValue(key, out var w) ? w.Reset(now) : default;

    private SlidingWindow Window(CounterKey key) =>
        _windows.TryGetValue(key, out var w) ? w : _windows.GetOrAdd(key, static _ => new SlidingWindow());
}

/// <summary>
/// An hour window of 12 five-minute buckets and a day window of 24 one-hour buckets, plus what
/// transactions in flight have reserved. The window slides in steps of one bucket: a count leaves
/// the hour window between 55 and 60 minutes after it was made. A reservation counts in both
/// windows until it is committed (it then enters the bucket of its commit time) or released.
/// </summary>
/// <remarks>
/// Cost: one object of about 376 bytes per key (one per active mailbox, domain and client), measured
/// by bench/Floodgate.Benchmarks hot-state. The buckets are inline arrays and each window keeps one
/// stamp, its newest bucket, instead of one per slot: the slots always hold the buckets newest-11 ..
/// newest (hour) and newest-23 .. newest (day), and moving the newest bucket forward clears the
/// slots it passes.
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
    private int _reservedMessages;
    private int _reservedExternal;
    private int _reservedInternal;
    private HourSlots _hour;
    private DaySlots _day;

    public void Add(DateTimeOffset at, int messages, int external, int @internal)
    {
        // Monitor on the window itself: a thin lock in the object header, no lock object per key.
        lock (this)
        {
            AddLocked(at, messages, external, @internal);
        }
    }

    public WindowTotals Read(DateTimeOffset now)
    {
        lock (this)
        {
            return ReadLocked(now);
        }
    }

    /// <summary>Turns a reservation into a count at <paramref name="at"/>.</summary>
    public void Commit(in Reservation held, DateTimeOffset at)
    {
        lock (this)
        {
            ReserveLocked(in held, -1);
            AddLocked(at, held.Messages, held.External, held.Internal);
        }
    }

    public void Release(in Reservation held)
    {
        lock (this)
        {
            ReserveLocked(in held, -1);
        }
    }

    /// <summary>Clears every bucket of both windows and returns the totals before; reservations stay (see <see cref="ICounterStore.Reset"/>).</summary>
    public WindowTotals Reset(DateTimeOffset now)
    {
        lock (this)
        {
            var before = ReadLocked(now);
            _hour = default;
            _day = default;
            return before;
        }
    }

    /// <summary>Would <paramref name="request"/> keep every window it touches within <paramref name="limits"/>? The caller holds the lock.</summary>
    internal bool FitsLocked(in Reservation request, ScopeLimits limits, DateTimeOffset now, out (WindowSpan Span, WindowMeasure Measure, int Used, int Limit) full)
    {
        var t = ReadLocked(now);
        full = default;
        if (request.Messages > 0 && t.MessagesLastHour + request.Messages > limits.MessagesPerHour)
        {
            full = (WindowSpan.Hour, WindowMeasure.Messages, t.MessagesLastHour, limits.MessagesPerHour);
            return false;
        }

        if (request.External > 0)
        {
            if (t.ExternalLastHour + request.External > limits.ExternalRecipientsPerHour)
            {
                full = (WindowSpan.Hour, WindowMeasure.ExternalRecipients, t.ExternalLastHour, limits.ExternalRecipientsPerHour);
                return false;
            }

            if (t.ExternalLastDay + request.External > limits.ExternalRecipientsPerDay)
            {
                full = (WindowSpan.Day, WindowMeasure.ExternalRecipients, t.ExternalLastDay, limits.ExternalRecipientsPerDay);
                return false;
            }
        }

        if (request.Internal > 0)
        {
            if (t.InternalLastHour + request.Internal > limits.InternalRecipientsPerHour)
            {
                full = (WindowSpan.Hour, WindowMeasure.InternalRecipients, t.InternalLastHour, limits.InternalRecipientsPerHour);
                return false;
            }

            if (t.InternalLastDay + request.Internal > limits.InternalRecipientsPerDay)
            {
                full = (WindowSpan.Day, WindowMeasure.InternalRecipients, t.InternalLastDay, limits.InternalRecipientsPerDay);
                return false;
            }
        }

        return true;
    }

    /// <summary>Adds (sign 1) or removes (sign -1) a reservation. The caller holds the lock.</summary>
    internal void ReserveLocked(in Reservation delta, int sign)
    {
        // Never below zero: a release after a restart (nothing reserved any more) must not free
        // capacity that other transactions hold.
        _reservedMessages = Math.Max(0, _reservedMessages + sign * delta.Messages);
        _reservedExternal = Math.Max(0, _reservedExternal + sign * delta.External);
        _reservedInternal = Math.Max(0, _reservedInternal + sign * delta.Internal);
    }

    private void AddLocked(DateTimeOffset at, int messages, int external, int @internal)
    {
        var h = (int)(at.UtcTicks / HourBucketTicks);
        var d = (int)(at.UtcTicks / DayBucketTicks);
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

    private WindowTotals ReadLocked(DateTimeOffset now)
    {
        var h = (int)(now.UtcTicks / HourBucketTicks);
        var d = (int)(now.UtcTicks / DayBucketTicks);
        int messages = _reservedMessages, extH = _reservedExternal, intH = _reservedInternal, extD = _reservedExternal, intD = _reservedInternal;

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

        return new WindowTotals(messages, extH, intH, extD, intD, _reservedMessages, _reservedExternal, _reservedInternal);
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
