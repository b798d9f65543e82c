using System.Collections.Concurrent;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;

namespace Floodgate.Core.Transactions;

/// <summary>Messages or recipients by what became of them.</summary>
public readonly record struct OutcomeCounts(long Accepted, long Deferred, long Rejected, long Held)
{
    public long Total => Accepted + Deferred + Rejected + Held;

    public long this[Outcome outcome] => outcome switch
    {
        Outcome.Accepted => Accepted,
        Outcome.Deferred => Deferred,
        Outcome.Rejected => Rejected,
        _ => Held,
    };

    public OutcomeCounts Plus(in OutcomeCounts more) =>
        new(Accepted + more.Accepted, Deferred + more.Deferred, Rejected + more.Rejected, Held + more.Held);
}

/// <summary>One hour (or day) of traffic, starting at <see cref="Start"/> (UTC).</summary>
public readonly record struct TrafficBucket(DateTimeOffset Start, OutcomeCounts Messages, OutcomeCounts Recipients);

/// <summary>One hour of one mailbox, domain or client: what it asked to send and what of it was not relayed.</summary>
public readonly record struct SenderBucket(DateTimeOffset Start, int Messages, int Recipients, int RefusedMessages, int RefusedRecipients, int HeldMessages)
{
    public int SentMessages => Messages - RefusedMessages;
}

/// <summary>A mailbox's traffic over the last hour and the last 24 hours (all outcomes; refused = deferred, rejected or held).</summary>
public readonly record struct SenderTotals(
    int MailboxId,
    int DomainId,
    int ClientId,
    int MessagesLastHour,
    int RecipientsLastHour,
    int RefusedRecipientsLastHour,
    int MessagesLastDay,
    int RecipientsLastDay,
    int RefusedRecipientsLastDay,
    int HeldMessagesLastDay);

public enum SenderRanking
{
    RecipientsLastHour,
    RecipientsLastDay,
    HeldLastDay,
}

/// <summary>
/// The console's rollup of outbound traffic, kept in memory so a dashboard never scans the transaction
/// log: messages and recipients per hour and outcome for 7 days, and per mailbox per hour for 24 hours
/// (and per 5 minutes for the last hour, for "top senders now"). An observer of completed transactions,
/// rebuilt at start from the log (<see cref="Record"/> for each row older than <see cref="LiveSince"/>).
/// Memory is bounded: the global ring is fixed (168 slots), each mailbox that sent in the last 24 hours
/// holds one tally of under 1 KB (20 MB at the default cap), and at most <see cref="MaxMailboxes"/> tallies exist (beyond that a
/// new sender is counted in the totals only). Per message: one dictionary lookup and a few interlocked
/// adds; no allocation once the mailbox has a tally.
/// Transactions that do not count in the windows (the milter inspecting beside policy delegation) are
/// not counted here either: the counting door's transaction is the same message.
/// </summary>
public sealed class TrafficStatistics : ITransactionObserver
{
    public const int Hours = 7 * 24;
    public const int MailboxHours = 24;
    public const int DefaultMaxMailboxes = 20_000;

    private const int Outcomes = 4;
    private const long Unset = long.MinValue;

    private readonly TimeProvider _time;
    private readonly Lock _rollLock = new();

    // Slot i holds the absolute hour _hourOf[i] (Unix hours); counts are [slot * Outcomes + outcome].
    private readonly long[] _hourOf = new long[Hours];
    private readonly long[] _messages = new long[Hours * Outcomes];
    private readonly long[] _recipients = new long[Hours * Outcomes];
    private readonly ConcurrentDictionary<int, MailboxTally> _mailboxes = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _tallies;
    private long _overflow;

    public TrafficStatistics(TimeProvider time, int maxMailboxes = DefaultMaxMailboxes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMailboxes, 1);
        _time = time;
        MaxMailboxes = maxMailboxes;
        LiveSince = time.GetUtcNow();
        Array.Fill(_hourOf, Unset);
    }

    /// <summary>Transactions completed from here on are seen live; older ones come from the log.</summary>
    public DateTimeOffset LiveSince { get; }

    public int MaxMailboxes { get; }

    /// <summary>Mailboxes with a tally now.</summary>
    public int TrackedMailboxes => Volatile.Read(ref _tallies);

    /// <summary>Transactions of new senders not tallied per mailbox because <see cref="MaxMailboxes"/> were tracked.</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>Completes once the history from the transaction log is in (or failed to load).</summary>
    public Task Loaded => _loaded.Task;

    public bool IsLoaded => _loaded.Task.IsCompleted;

    public void MarkLoaded() => _loaded.TrySetResult();

    public void Completed(CompletedTransaction transaction)
    {
        if (!transaction.Counted)
        {
            return;
        }

        var m = transaction.Mailbox;
        Record(transaction.At, m.Id, m.Domain.Id, m.Client.Id, transaction.Outcome, transaction.Recipients);
    }

    /// <summary>Counts one transaction (live, or a row of the log at start).</summary>
    public void Record(DateTimeOffset at, int mailboxId, int domainId, int clientId, Outcome outcome, int recipients)
    {
        var seconds = at.ToUnixTimeSeconds();
        if (seconds < 0)
        {
            return;
        }

        var hour = seconds / 3600;

        var o = (int)outcome & 3;
        var slot = (int)(hour % Hours);
        if (EnsureSlot(slot, hour))
        {
            Interlocked.Increment(ref _messages[(slot * Outcomes) + o]);
            Interlocked.Add(ref _recipients[(slot * Outcomes) + o], recipients);
        }

        if (!_mailboxes.TryGetValue(mailboxId, out var tally))
        {
            tally = NewTally(mailboxId, domainId, clientId, seconds);
            if (tally is null)
            {
                Interlocked.Increment(ref _overflow);
                return;
            }
        }

        tally.Add(seconds, domainId, clientId, outcome, recipients);
    }

    /// <summary>The last <paramref name="hours"/> hours, oldest first, ending with the current (partial) hour.</summary>
    public TrafficBucket[] Hourly(int hours)
    {
        hours = Math.Clamp(hours, 1, Hours);
        var now = CurrentHour();
        var result = new TrafficBucket[hours];
        for (var i = 0; i < hours; i++)
        {
            var hour = now - hours + 1 + i;
            result[i] = new TrafficBucket(DateTimeOffset.FromUnixTimeSeconds(hour * 3600), CountsAt(_messages, hour), CountsAt(_recipients, hour));
        }

        return result;
    }

    /// <summary>The last <paramref name="days"/> UTC days, oldest first, ending with today (partial).</summary>
    public TrafficBucket[] Daily(int days)
    {
        days = Math.Clamp(days, 1, Hours / 24);
        var today = CurrentHour() / 24;
        var result = new TrafficBucket[days];
        for (var i = 0; i < days; i++)
        {
            var day = today - days + 1 + i;
            OutcomeCounts messages = default, recipients = default;
            for (var h = day * 24; h < (day + 1) * 24; h++)
            {
                messages = messages.Plus(CountsAt(_messages, h));
                recipients = recipients.Plus(CountsAt(_recipients, h));
            }

            result[i] = new TrafficBucket(DateTimeOffset.FromUnixTimeSeconds(day * 86_400), messages, recipients);
        }

        return result;
    }

    /// <summary>Totals of the last <paramref name="hours"/> hourly buckets (the current one included).</summary>
    public (OutcomeCounts Messages, OutcomeCounts Recipients) Totals(int hours)
    {
        OutcomeCounts messages = default, recipients = default;
        foreach (var b in Hourly(hours))
        {
            messages = messages.Plus(b.Messages);
            recipients = recipients.Plus(b.Recipients);
        }

        return (messages, recipients);
    }

    /// <summary>The top <paramref name="count"/> mailboxes by <paramref name="ranking"/>, with traffic in it, and optionally only those of one client or domain.</summary>
    public IReadOnlyList<SenderTotals> TopSenders(int count, SenderRanking ranking, int? clientId = null, int? domainId = null) =>
        TopSenders(count, [ranking], clientId, domainId)[0];

    /// <summary>
    /// The top <paramref name="count"/> mailboxes by each of <paramref name="rankings"/>, from one pass over
    /// the tallies (each mailbox's totals read once) keeping only the best <paramref name="count"/> of
    /// each: a dashboard with 10,000 senders neither sorts them nor reads them once per list.
    /// </summary>
    public IReadOnlyList<SenderTotals>[] TopSenders(int count, ReadOnlySpan<SenderRanking> rankings, int? clientId = null, int? domainId = null)
    {
        count = Math.Max(0, count);
        var nowSeconds = _time.GetUtcNow().ToUnixTimeSeconds();
        var best = new List<SenderTotals>[rankings.Length];
        for (var r = 0; r < best.Length; r++)
            best[r] = new List<SenderTotals>(count + 1);
        if (count == 0)
            return best;

        foreach (var (_, tally) in _mailboxes)
        {
            if ((clientId is { } c && tally.ClientId != c) || (domainId is { } d && tally.DomainId != d))
            {
                continue;
            }

            var totals = tally.Totals(nowSeconds);
            for (var r = 0; r < rankings.Length; r++)
                Keep(best[r], totals, rankings[r], count);
        }

        return best;
    }

    /// <summary>Inserts <paramref name="totals"/> in order (highest first, then lowest mailbox id) if it is among the best <paramref name="count"/>.</summary>
    private static void Keep(List<SenderTotals> best, in SenderTotals totals, SenderRanking ranking, int count)
    {
        var key = Rank(totals, ranking);
        if (key <= 0)
            return;
        if (best.Count == count && !Before(key, totals.MailboxId, best[^1], ranking))
            return;
        var at = best.Count;
        while (at > 0 && Before(key, totals.MailboxId, best[at - 1], ranking))
            at--;
        best.Insert(at, totals);
        if (best.Count > count)
            best.RemoveAt(best.Count - 1);
    }

    private static bool Before(int key, int mailboxId, in SenderTotals other, SenderRanking ranking)
    {
        var otherKey = Rank(other, ranking);
        return key > otherKey || (key == otherKey && mailboxId < other.MailboxId);
    }

    /// <summary>The mailbox's traffic totals (zero when it has not sent in 24 hours).</summary>
    public SenderTotals Mailbox(int mailboxId) =>
        _mailboxes.TryGetValue(mailboxId, out var tally)
            ? tally.Totals(_time.GetUtcNow().ToUnixTimeSeconds())
            : new SenderTotals(mailboxId, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>
    /// The last 24 hours of one mailbox, domain or client, oldest first, summed over its mailboxes'
    /// tallies (a scan of the tallies: thousands, not the log's millions).
    /// </summary>
    public SenderBucket[] SenderHourly(AccountScope scope, int id)
    {
        var now = CurrentHour();
        var totals = new int[MailboxHours * MailboxTally.HourFields];
        if (scope == AccountScope.Mailbox)
        {
            if (_mailboxes.TryGetValue(id, out var one))
            {
                one.AddHoursTo(totals, now);
            }
        }
        else
        {
            foreach (var (_, tally) in _mailboxes)
            {
                if ((scope == AccountScope.Domain ? tally.DomainId : tally.ClientId) == id)
                {
                    tally.AddHoursTo(totals, now);
                }
            }
        }

        var result = new SenderBucket[MailboxHours];
        for (var i = 0; i < MailboxHours; i++)
        {
            var f = i * MailboxTally.HourFields;
            var hour = now - MailboxHours + 1 + i;
            result[i] = new SenderBucket(DateTimeOffset.FromUnixTimeSeconds(hour * 3600), totals[f], totals[f + 1], totals[f + 2], totals[f + 3], totals[f + 4]);
        }

        return result;
    }

    /// <summary>Drops the tallies of mailboxes that sent nothing in the last 24 hours. Called as tallies are added; safe any time.</summary>
    public int Prune()
    {
        var nowSeconds = _time.GetUtcNow().ToUnixTimeSeconds();
        var removed = 0;
        foreach (var (id, tally) in _mailboxes)
        {
            if (tally.IsIdle(nowSeconds) && _mailboxes.TryRemove(new KeyValuePair<int, MailboxTally>(id, tally)))
            {
                Interlocked.Decrement(ref _tallies);
                removed++;
            }
        }

        return removed;
    }

    private static int Rank(in SenderTotals t, SenderRanking ranking) => ranking switch
    {
        SenderRanking.RecipientsLastHour => t.RecipientsLastHour,
        SenderRanking.RecipientsLastDay => t.RecipientsLastDay,
        _ => t.HeldMessagesLastDay,
    };

    private long CurrentHour() => _time.GetUtcNow().ToUnixTimeSeconds() / 3600;

    private MailboxTally? NewTally(int mailboxId, int domainId, int clientId, long seconds)
    {
        // Only a sender of the last 24 hours needs a tally: an old row replayed at start that would
        // not show anywhere must not take a place.
        if (seconds / 3600 <= CurrentHour() - MailboxHours)
        {
            return null;
        }

        if (Volatile.Read(ref _tallies) >= MaxMailboxes && Prune() == 0)
        {
            return null;
        }

        // The one allocation, for a sender's first transaction in 24 hours. A tally pruned as idle
        // while a transaction adds to it loses that one count (the totals keep it).
        var tally = new MailboxTally(mailboxId, domainId, clientId);
        if (_mailboxes.TryAdd(mailboxId, tally))
        {
            Interlocked.Increment(ref _tallies);
            return tally;
        }

        return _mailboxes.TryGetValue(mailboxId, out var existing) ? existing : null;
    }

    /// <summary>Makes the slot hold <paramref name="hour"/>; false when the hour is older than what the slot holds (a stale row).</summary>
    private bool EnsureSlot(int slot, long hour)
    {
        var held = Volatile.Read(ref _hourOf[slot]);
        if (held == hour)
        {
            return true;
        }

        if (held > hour)
        {
            return false;
        }

        lock (_rollLock)
        {
            held = _hourOf[slot];
            if (held < hour)
            {
                for (var o = 0; o < Outcomes; o++)
                {
                    Volatile.Write(ref _messages[(slot * Outcomes) + o], 0);
                    Volatile.Write(ref _recipients[(slot * Outcomes) + o], 0);
                }

                Volatile.Write(ref _hourOf[slot], hour);
                return true;
            }

            return held == hour;
        }
    }

    private OutcomeCounts CountsAt(long[] counts, long hour)
    {
        if (hour < 0)
        {
            return default;
        }

        var slot = (int)(hour % Hours);
        if (Volatile.Read(ref _hourOf[slot]) != hour)
        {
            return default;
        }

        var f = slot * Outcomes;
        return new OutcomeCounts(
            Interlocked.Read(ref counts[f + (int)Outcome.Accepted]),
            Interlocked.Read(ref counts[f + (int)Outcome.Deferred]),
            Interlocked.Read(ref counts[f + (int)Outcome.Rejected]),
            Interlocked.Read(ref counts[f + (int)Outcome.Held]));
    }

    /// <summary>
    /// One mailbox's last 24 hours by hour, and its last hour by 5 minutes. A slot is cleared when a
    /// new period reaches it (under the tally's lock, once a period); counts are interlocked adds.
    /// </summary>
    private sealed class MailboxTally(int mailboxId, int domainId, int clientId)
    {
        // Per hour: messages, recipients, refused messages, refused recipients, held messages.
        public const int HourFields = 5;

        // Per 5 minutes: messages, recipients, refused recipients.
        private const int FiveFields = 3;
        private const int Fives = 12;

        private readonly Lock _lock = new();
        private readonly int[] _hourOf = Filled(MailboxHours);
        private readonly int[] _hours = new int[MailboxHours * HourFields];
        private readonly int[] _fiveOf = Filled(Fives);
        private readonly int[] _fives = new int[Fives * FiveFields];

        public int MailboxId { get; } = mailboxId;

        public int DomainId { get; private set; } = domainId;

        public int ClientId { get; private set; } = clientId;

        public void Add(long seconds, int domainId, int clientId, Outcome outcome, int recipients)
        {
            // A mailbox moved to another domain is shown where it is now.
            DomainId = domainId;
            ClientId = clientId;
            var refused = outcome != Outcome.Accepted;
            // Unix hours and 5-minute periods fit an int until the 23rd century.
            var hour = (int)(seconds / 3600);
            var slot = hour % MailboxHours;
            if (Ensure(_hourOf, _hours, HourFields, slot, hour))
            {
                var f = slot * HourFields;
                Interlocked.Increment(ref _hours[f]);
                Interlocked.Add(ref _hours[f + 1], recipients);
                if (refused)
                {
                    Interlocked.Increment(ref _hours[f + 2]);
                    Interlocked.Add(ref _hours[f + 3], recipients);
                }

                if (outcome == Outcome.Held)
                {
                    Interlocked.Increment(ref _hours[f + 4]);
                }
            }

            var five = (int)(seconds / 300);
            var fiveSlot = five % Fives;
            if (Ensure(_fiveOf, _fives, FiveFields, fiveSlot, five))
            {
                var f = fiveSlot * FiveFields;
                Interlocked.Increment(ref _fives[f]);
                Interlocked.Add(ref _fives[f + 1], recipients);
                if (refused)
                {
                    Interlocked.Add(ref _fives[f + 2], recipients);
                }
            }
        }

        public SenderTotals Totals(long nowSeconds)
        {
            var nowHour = nowSeconds / 3600;
            int messagesDay = 0, recipientsDay = 0, refusedDay = 0, heldDay = 0;
            for (var slot = 0; slot < MailboxHours; slot++)
            {
                var hour = Volatile.Read(ref _hourOf[slot]);
                if (hour > nowHour - MailboxHours && hour <= nowHour)
                {
                    var f = slot * HourFields;
                    messagesDay += Volatile.Read(ref _hours[f]);
                    recipientsDay += Volatile.Read(ref _hours[f + 1]);
                    refusedDay += Volatile.Read(ref _hours[f + 3]);
                    heldDay += Volatile.Read(ref _hours[f + 4]);
                }
            }

            var nowFive = nowSeconds / 300;
            int messagesHour = 0, recipientsHour = 0, refusedHour = 0;
            for (var slot = 0; slot < Fives; slot++)
            {
                var five = Volatile.Read(ref _fiveOf[slot]);
                if (five > nowFive - Fives && five <= nowFive)
                {
                    var f = slot * FiveFields;
                    messagesHour += Volatile.Read(ref _fives[f]);
                    recipientsHour += Volatile.Read(ref _fives[f + 1]);
                    refusedHour += Volatile.Read(ref _fives[f + 2]);
                }
            }

            return new SenderTotals(MailboxId, DomainId, ClientId, messagesHour, recipientsHour, refusedHour, messagesDay, recipientsDay, refusedDay, heldDay);
        }

        public void AddHoursTo(int[] totals, long nowHour)
        {
            for (var i = 0; i < MailboxHours; i++)
            {
                var hour = nowHour - MailboxHours + 1 + i;
                var slot = (int)(hour % MailboxHours);
                if (Volatile.Read(ref _hourOf[slot]) != hour)
                {
                    continue;
                }

                for (var f = 0; f < HourFields; f++)
                {
                    totals[(i * HourFields) + f] += Volatile.Read(ref _hours[(slot * HourFields) + f]);
                }
            }
        }

        public bool IsIdle(long nowSeconds)
        {
            var nowHour = nowSeconds / 3600;
            foreach (var hour in _hourOf)
            {
                if (hour > nowHour - MailboxHours)
                {
                    return false;
                }
            }

            return true;
        }

        private bool Ensure(int[] periodOf, int[] counts, int fields, int slot, int period)
        {
            var held = Volatile.Read(ref periodOf[slot]);
            if (held == period)
            {
                return true;
            }

            if (held > period)
            {
                return false;
            }

            lock (_lock)
            {
                held = periodOf[slot];
                if (held < period)
                {
                    for (var f = 0; f < fields; f++)
                    {
                        Volatile.Write(ref counts[(slot * fields) + f], 0);
                    }

                    Volatile.Write(ref periodOf[slot], period);
                    return true;
                }

                return held == period;
            }
        }

        private static int[] Filled(int length)
        {
            var array = new int[length];
            Array.Fill(array, int.MinValue);
            return array;
        }
    }
}

