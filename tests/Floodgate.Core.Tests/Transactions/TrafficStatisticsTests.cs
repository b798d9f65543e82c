using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Tests.Policy;
using Floodgate.Core.Transactions;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Core.Tests.Transactions;

public sealed class TrafficStatisticsTests
{
    // 10:20 UTC: the current hour bucket starts at 10:00.
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 20, 0, TimeSpan.Zero);

    [Fact]
    public void ATransactionIsCountedInItsHourUnderItsOutcome()
    {
        var (time, stats) = Start();
        stats.Record(Now.AddMinutes(-5), 100, 10, 1, Outcome.Accepted, 7);
        stats.Record(Now.AddMinutes(-6), 100, 10, 1, Outcome.Held, 40);
        stats.Record(Now.AddHours(-2), 100, 10, 1, Outcome.Rejected, 3);

        var hours = stats.Hourly(3);

        Assert.Equal([Now.AddHours(-2).AddMinutes(-20), Now.AddHours(-1).AddMinutes(-20), Now.AddMinutes(-20)], hours.Select(h => h.Start));
        Assert.Equal(new OutcomeCounts(0, 0, 1, 0), hours[0].Messages);
        Assert.Equal(new OutcomeCounts(0, 0, 3, 0), hours[0].Recipients);
        Assert.Equal(default, hours[1].Messages);
        Assert.Equal(new OutcomeCounts(1, 0, 0, 1), hours[2].Messages);
        Assert.Equal(new OutcomeCounts(7, 0, 0, 40), hours[2].Recipients);
        Assert.Equal(time.GetUtcNow(), Now);
    }

    [Fact]
    public void DaysSumTheirHoursByUtcDay()
    {
        var (_, stats) = Start();
        stats.Record(new DateTimeOffset(2026, 11, 27, 0, 30, 0, TimeSpan.Zero), 100, 10, 1, Outcome.Accepted, 2);
        stats.Record(new DateTimeOffset(2026, 11, 26, 23, 30, 0, TimeSpan.Zero), 100, 10, 1, Outcome.Accepted, 5);
        stats.Record(new DateTimeOffset(2026, 11, 26, 0, 10, 0, TimeSpan.Zero), 100, 10, 1, Outcome.Deferred, 1);

        var days = stats.Daily(7);

        Assert.Equal(7, days.Length);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), days[^1].Start);
        Assert.Equal(2, days[^1].Recipients.Accepted);
        Assert.Equal(new OutcomeCounts(5, 1, 0, 0), days[^2].Recipients);
        Assert.Equal(2, days[^2].Messages.Total);
    }

    [Fact]
    public void AnHourOlderThanSevenDaysIsForgottenWhenItsSlotIsReused()
    {
        var (time, stats) = Start();
        stats.Record(Now, 100, 10, 1, Outcome.Accepted, 4);
        time.Advance(TimeSpan.FromDays(7));
        stats.Record(time.GetUtcNow(), 100, 10, 1, Outcome.Accepted, 1);

        var totals = stats.Totals(TrafficStatistics.Hours);

        Assert.Equal(1, totals.Recipients.Accepted);
        Assert.Equal(1, totals.Messages.Total);
    }

    [Fact]
    public void ARowOlderThanWhatItsSlotHoldsIsIgnored()
    {
        var (_, stats) = Start();
        stats.Record(Now, 100, 10, 1, Outcome.Accepted, 4);

        // Seven days earlier maps to the same slot: a late row of the log must not add to today.
        stats.Record(Now.AddDays(-7), 100, 10, 1, Outcome.Accepted, 50);

        Assert.Equal(4, stats.Totals(TrafficStatistics.Hours).Recipients.Accepted);
    }

    [Fact]
    public void TransactionsThatDoNotCountInTheWindowsAreLeftOut()
    {
        var f = new PolicyFixture();
        var stats = new TrafficStatistics(f.Time);
        f.Engine.AddObserver(stats);
        f.Send("ann@acme.test", PolicyFixture.External(3));
        var inspectOnly = f.Begin("ann@acme.test", Door.Milter, enforces: false);
        Assert.True(inspectOnly.AddRecipient("x@example.net").IsAccept);
        inspectOnly.Complete(Outcome.Rejected, "550 5.7.1", PolicyReasons.Offense);

        var (messages, recipients) = stats.Totals(1);

        Assert.Equal(new OutcomeCounts(1, 0, 0, 0), messages);
        Assert.Equal(3, recipients.Accepted);
        var ann = stats.Mailbox(100);
        Assert.Equal((10, 1, 3), (ann.DomainId, ann.ClientId, ann.RecipientsLastDay));
    }

    [Fact]
    public void TopSendersNowCountOnlyTheLastHourToFiveMinutes()
    {
        var (_, stats) = Start();
        stats.Record(Now.AddMinutes(-65), 100, 10, 1, Outcome.Accepted, 500);
        stats.Record(Now.AddMinutes(-30), 101, 10, 1, Outcome.Accepted, 20);
        stats.Record(Now.AddMinutes(-1), 200, 20, 2, Outcome.Held, 90);

        var now = stats.TopSenders(10, SenderRanking.RecipientsLastHour);
        var day = stats.TopSenders(10, SenderRanking.RecipientsLastDay);
        var held = stats.TopSenders(10, SenderRanking.HeldLastDay);

        Assert.Equal([200, 101], now.Select(s => s.MailboxId));
        Assert.Equal(90, now[0].RefusedRecipientsLastHour);
        Assert.Equal([100, 200, 101], day.Select(s => s.MailboxId));
        Assert.Equal([200], held.Select(s => s.MailboxId));
    }

    [Fact]
    public void TheTopOfManySendersIsTheHighestCountsWithTiesByMailboxIdInOnePassForEveryRanking()
    {
        var (_, stats) = Start();
        var random = new Random(12);
        var sent = new Dictionary<int, (int Day, int Held)>();
        for (var i = 0; i < 3_000; i++)
        {
            var mailbox = random.Next(1, 500);
            var recipients = random.Next(1, 6); // many ties
            var held = random.Next(10) == 0;
            stats.Record(Now.AddMinutes(-random.Next(0, 600)), mailbox, mailbox / 10, 1, held ? Outcome.Held : Outcome.Accepted, recipients);
            var (day, h) = sent.GetValueOrDefault(mailbox);
            sent[mailbox] = (day + recipients, h + (held ? 1 : 0));
        }

        var top = stats.TopSenders(10, [SenderRanking.RecipientsLastDay, SenderRanking.HeldLastDay]);

        var expectedDay = sent.OrderByDescending(p => p.Value.Day).ThenBy(p => p.Key).Take(10).Select(p => p.Key);
        var expectedHeld = sent.Where(p => p.Value.Held > 0).OrderByDescending(p => p.Value.Held).ThenBy(p => p.Key).Take(10).Select(p => p.Key);
        Assert.Equal(expectedDay, top[0].Select(s => s.MailboxId));
        Assert.Equal(expectedHeld, top[1].Select(s => s.MailboxId));
        Assert.Equal(top[0].Select(s => s.MailboxId), stats.TopSenders(10, SenderRanking.RecipientsLastDay).Select(s => s.MailboxId));
    }

    [Fact]
    public void TopSendersOfOneClientLeaveOthersOut()
    {
        var (_, stats) = Start();
        stats.Record(Now, 100, 10, 1, Outcome.Accepted, 5);
        stats.Record(Now, 102, 11, 1, Outcome.Accepted, 6);
        stats.Record(Now, 200, 20, 2, Outcome.Accepted, 900);

        Assert.Equal([102, 100], stats.TopSenders(10, SenderRanking.RecipientsLastDay, clientId: 1).Select(s => s.MailboxId));
        Assert.Equal([100], stats.TopSenders(10, SenderRanking.RecipientsLastDay, domainId: 10).Select(s => s.MailboxId));
    }

    [Fact]
    public void ADomainsHoursSumItsMailboxes()
    {
        var (_, stats) = Start();
        stats.Record(Now, 100, 10, 1, Outcome.Accepted, 5);
        stats.Record(Now, 101, 10, 1, Outcome.Rejected, 6);
        stats.Record(Now.AddHours(-23), 101, 10, 1, Outcome.Held, 2);
        stats.Record(Now, 200, 20, 2, Outcome.Accepted, 900);

        var hours = stats.SenderHourly(AccountScope.Domain, 10);

        Assert.Equal(24, hours.Length);
        Assert.Equal(new SenderBucket(Now.AddMinutes(-20), 2, 11, 1, 6, 0), hours[^1]);
        Assert.Equal(new SenderBucket(Now.AddHours(-23).AddMinutes(-20), 1, 2, 1, 2, 1), hours[0]);
        Assert.Equal(1, hours[^1].SentMessages);
        Assert.Equal(900, stats.SenderHourly(AccountScope.Client, 2)[^1].Recipients);
        Assert.Equal(5, stats.SenderHourly(AccountScope.Mailbox, 100)[^1].Recipients);
    }

    [Fact]
    public void TalliesAreBoundedAndIdleOnesMakeRoom()
    {
        var (time, stats) = Start(maxMailboxes: 3);
        for (var id = 1; id <= 5; id++)
        {
            stats.Record(Now, id, 10, 1, Outcome.Accepted, 1);
        }

        Assert.Equal(3, stats.TrackedMailboxes);
        Assert.Equal(2, stats.Overflow);
        Assert.Equal(5, stats.Totals(1).Recipients.Accepted);

        time.Advance(TimeSpan.FromHours(25));
        stats.Record(time.GetUtcNow(), 6, 10, 1, Outcome.Accepted, 1);

        Assert.Equal(1, stats.TrackedMailboxes);
        Assert.Equal([6], stats.TopSenders(10, SenderRanking.RecipientsLastDay).Select(s => s.MailboxId));
    }

    [Fact]
    public void RowsOfTheLogOlderThanADayFillTheHoursButTakeNoTally()
    {
        var (_, stats) = Start();

        // What the loader does at start: the log's rows, oldest first.
        stats.Record(Now.AddDays(-3), 100, 10, 1, Outcome.Accepted, 8);
        stats.Record(Now.AddHours(-3), 101, 10, 1, Outcome.Accepted, 2);
        stats.MarkLoaded();

        Assert.True(stats.IsLoaded);
        Assert.Equal(10, stats.Totals(TrafficStatistics.Hours).Recipients.Accepted);
        Assert.Equal(1, stats.TrackedMailboxes);
        Assert.Equal(0, stats.Mailbox(100).RecipientsLastDay);
        Assert.Equal(2, stats.Mailbox(101).RecipientsLastDay);
    }

    [Fact]
    public void CountingFromManyThreadsLosesNothing()
    {
        var (_, stats) = Start();
        Parallel.For(0, 8, thread =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                stats.Record(Now, 100 + (i % 16), 10, 1, (Outcome)(i % 4), 2);
            }
        });

        var (messages, recipients) = stats.Totals(1);
        Assert.Equal(80_000, messages.Total);
        Assert.Equal(20_000, messages.Held);
        Assert.Equal(160_000, recipients.Total);
        Assert.Equal(160_000, stats.TopSenders(100, SenderRanking.RecipientsLastDay).Sum(s => s.RecipientsLastDay));
    }

    [Fact]
    public void CountingATransactionOfAKnownSenderAllocatesNothing()
    {
        var (time, stats) = Start();
        stats.Record(Now, 100, 10, 1, Outcome.Accepted, 1);
        var step = 0;

        // Through hours and 5-minute periods, so that slot resets are part of the loop.
        void Once() => stats.Record(Now.AddSeconds(41 * step++), 100, 10, 1, (Outcome)(step & 3), 3);
        for (var i = 0; i < 200; i++)
        {
            Once();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            Once();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Now, time.GetUtcNow());
    }

    private static (FakeTimeProvider Time, TrafficStatistics Stats) Start(int maxMailboxes = TrafficStatistics.DefaultMaxMailboxes)
    {
        var time = new FakeTimeProvider(Now);
        return (time, new TrafficStatistics(time, maxMailboxes));
    }
}
