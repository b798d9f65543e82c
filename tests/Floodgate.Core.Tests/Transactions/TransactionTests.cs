using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Tests.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Tests.Transactions;

public sealed class TransactionTests
{
    [Fact]
    public void ParallelTransactionsOfOneMailboxNeverPassItsHourlyWindow()
    {
        var f = new PolicyFixture();
        var accepted = RunParallel(f, Enumerable.Repeat("ann@acme.test", 20), 200);

        var window = f.Counters.Read(new CounterKey(CounterScope.Mailbox, 100), f.Time.GetUtcNow());
        Assert.Equal(1_000, accepted);
        Assert.Equal(1_000, window.ExternalLastHour);
        Assert.Equal(0, window.ReservedExternal);
    }

    [Fact]
    public void ParallelTransactionsOfSeveralMailboxesNeverPassTheirDomainsWindow()
    {
        var limits = new PlanLimits();
        limits.Domain.ExternalRecipientsPerHour = 700;
        var f = new PolicyFixture(limits);
        var accepted = RunParallel(f, Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "ann@acme.test" : "bob@acme.test"), 200);

        Assert.Equal(700, accepted);
        Assert.Equal(700, f.Counters.Read(new CounterKey(CounterScope.Domain, 10), f.Time.GetUtcNow()).ExternalLastHour);
    }

    [Fact]
    public void ParallelTransactionsOfSeveralDomainsNeverPassTheirClientsWindow()
    {
        var limits = new PlanLimits();
        limits.Client.ExternalRecipientsPerHour = 900;
        var f = new PolicyFixture(limits);
        // ann's domain acme.test and carl's acme-mail.test belong to one client.
        var accepted = RunParallel(f, Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "ann@acme.test" : "carl@acme-mail.test"), 200);

        Assert.Equal(900, accepted);
        Assert.Equal(900, f.Counters.Read(new CounterKey(CounterScope.Client, 1), f.Time.GetUtcNow()).ExternalLastHour);
    }

    [Fact]
    public void AReservationCountsAgainstTheWindowWhileTheMessageIsInFlight()
    {
        var limits = new PlanLimits();
        limits.Mailbox.ExternalRecipientsPerHour = 250;
        var f = new PolicyFixture(limits);
        var first = f.Begin("ann@acme.test");
        foreach (var r in PolicyFixture.External(200))
        {
            Assert.True(first.AddRecipient(r).IsAccept);
        }

        var second = f.Begin("ann@acme.test");
        var verdicts = PolicyFixture.External(100, 200).Select(r => second.AddRecipient(r)).ToList();

        Assert.Equal(50, verdicts.Count(v => v.IsAccept));
        Assert.Equal(PolicyReasons.RateLimit, verdicts[^1].Reason);
        Assert.Equal(250, f.Counters.Read(new CounterKey(CounterScope.Mailbox, 100), f.Time.GetUtcNow()).ReservedExternal);
    }

    [Theory]
    [InlineData("abandoned", "RSET, a disconnect or a timeout before the content")]
    [InlineData("deferred", "the upstream deferred it")]
    [InlineData("rejected", "the upstream or the detector refused it")]
    [InlineData("held", "the detector held it")]
    public void AMessageThatIsNotRelayedGivesItsReservationBack(string end, string reason)
    {
        var limits = new PlanLimits();
        limits.Mailbox.ExternalRecipientsPerHour = 200;
        var f = new PolicyFixture(limits);
        var t = f.Begin("ann@acme.test");
        Assert.All(PolicyFixture.External(200).Select(r => t.AddRecipient(r)), v => Assert.True(v.IsAccept));
        switch (end)
        {
            case "abandoned":
                t.Abandon();
                break;
            case "deferred":
                t.Complete(Outcome.Deferred, "451 4.4.1", PolicyReasons.UpstreamDeferred);
                break;
            case "rejected":
                t.Complete(Outcome.Rejected, "550 5.7.1", PolicyReasons.UpstreamRejected);
                break;
            default:
                t.Complete(Outcome.Held, "451 4.7.1", PolicyReasons.Held);
                break;
        }

        var window = f.Counters.Read(new CounterKey(CounterScope.Mailbox, 100), f.Time.GetUtcNow());
        Assert.True(window.ExternalLastHour == 0 && window.MessagesLastHour == 0, reason);
        Assert.All(f.Send("ann@acme.test", PolicyFixture.External(200, 500)), v => Assert.True(v.IsAccept, reason));
    }

    [Fact]
    public void ARelayedMessageTurnsItsReservationIntoACount()
    {
        var f = new PolicyFixture();
        var t = f.Begin("ann@acme.test");
        t.AddRecipient("x@example.net");
        t.AddRecipient("bob@acme.test");
        var key = new CounterKey(CounterScope.Mailbox, 100);
        Assert.Equal(new WindowTotals(1, 1, 1, 1, 1, 1, 1, 1), f.Counters.Read(key, f.Time.GetUtcNow()));

        t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);

        Assert.Equal(new WindowTotals(1, 1, 1, 1, 1), f.Counters.Read(key, f.Time.GetUtcNow()));
        Assert.False(t.IsOpen);
    }

    [Fact]
    public void RecipientsAPostfixRestrictionRefusedLaterAreReleased()
    {
        var f = new PolicyFixture();
        var t = f.Begin("ann@acme.test", Door.Policy);
        foreach (var r in PolicyFixture.External(10))
        {
            t.AddRecipient(r);
        }

        t.LimitRecipients(4);
        t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);

        Assert.Equal(4, f.Counters.Read(new CounterKey(CounterScope.Mailbox, 100), f.Time.GetUtcNow()).ExternalLastHour);
    }

    [Fact]
    public void CompletionRaisesOneEventWithWhatTheTransactionHeld()
    {
        var f = new PolicyFixture();
        var seen = new Recorder();
        f.Engine.AddObserver(seen);
        var t = f.Begin("ann@acme.test");
        t.ClientAddress = "192.0.2.7";
        t.AddRecipient("x@example.net");
        t.AddRecipient("bob@acme.test");
        t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);

        var e = Assert.Single(seen.Completed);
        Assert.Equal((Door.Gateway, 2, 1, 1, "192.0.2.7", true), (e.Door, e.Recipients, e.External, e.Internal, e.ClientAddress, e.Counted));
    }

    [Fact]
    public void AContentOnlyTransactionReservesNothingAndIsNotCounted()
    {
        var f = new PolicyFixture();
        var seen = new Recorder();
        f.Engine.AddObserver(seen);
        var t = f.Begin("ann@acme.test", Door.Milter, enforces: false);
        t.AddRecipient("x@example.net");
        Assert.True(t.Held.IsEmpty);
        t.Complete(Outcome.Accepted, "250", PolicyReasons.Inspected);

        Assert.Equal(default, f.Counters.Read(new CounterKey(CounterScope.Mailbox, 100), f.Time.GetUtcNow()));
        Assert.False(Assert.Single(seen.Completed).Counted);
    }

    [Theory]
    [InlineData("bob@acme.test", false, "a mailbox of the sender's own client")]
    [InlineData("BOB@ACME-MAIL.TEST.", false, "the client's other domain, in capitals with the root dot")]
    [InlineData("<bob@acme.test>", false, "in angle brackets")]
    [InlineData("bob%evil.example@acme.test", true, "the percent hack may route it onwards")]
    [InlineData("evil.example!bob@acme.test", true, "a bang path may route it onwards")]
    [InlineData("olga@other.test", true, "another client's domain")]
    [InlineData("x@example.net", true, "anyone else")]
    [InlineData("not an address", true, "nothing usable counts as external")]
    public void ARecipientIsInternalOnlyWhenItIsPlainlyInTheSendersClient(string recipient, bool external, string reason)
    {
        var f = new PolicyFixture();
        Assert.True(external == f.Engine.IsExternal(f.Mailbox("ann@acme.test"), recipient), reason);
    }

    private static int RunParallel(PolicyFixture f, IEnumerable<string> senders, int recipients)
    {
        var list = senders.ToList();
        var accepted = 0;
        using var start = new Barrier(list.Count);
        var threads = list.Select((sender, i) => new Thread(() =>
        {
            var t = f.Engine.Open(Door.Gateway);
            var mailbox = f.Mailbox(sender);
            start.SignalAndWait();
            if (!t.Begin(mailbox, sender, 0).IsAccept)
            {
                return;
            }

            foreach (var r in PolicyFixture.External(recipients, i * recipients))
            {
                t.AddRecipient(r);
            }

            Interlocked.Add(ref accepted, t.External);
            t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return accepted;
    }

    private sealed class Recorder : ITransactionObserver
    {
        public List<CompletedTransaction> Completed { get; } = [];

        void ITransactionObserver.Completed(CompletedTransaction transaction) => Completed.Add(transaction);
    }
}

public sealed class DestinationDomainsTests
{
    private sealed class Capture : ITransactionObserver
    {
        public CompletedTransaction? Last { get; private set; }

        public void Completed(CompletedTransaction transaction) => Last = transaction;
    }

    [Fact]
    public void ABulkMessageKeepsItsFirstFourDistinctDestinationDomainsInLowerCase()
    {
        var f = new PolicyFixture();
        var capture = new Capture();
        f.Engine.AddObserver(capture);
        var t = f.Begin("ann@acme.test");
        foreach (var r in new[] { "a@One.example", "b@one.example", "c@two.example", "d@TWO.example", "e@one.example", "f@Three.example", "g@four.example", "h@five.example" })
        {
            Assert.True(t.AddRecipient(r).IsAccept);
        }

        t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        // From the fifth external recipient on (the detector's MinTrackedRecipients): one, three, four, five.
        Assert.Equal("one.example,three.example,four.example,five.example", capture.Last!.DestinationDomains);
    }

    [Fact]
    public void AMessageToAFewRecipientsKeepsNoDomains()
    {
        var f = new PolicyFixture();
        var capture = new Capture();
        f.Engine.AddObserver(capture);
        var t = f.Begin("ann@acme.test");
        foreach (var r in PolicyFixture.External(4))
        {
            Assert.True(t.AddRecipient(r).IsAccept);
        }

        t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        Assert.Null(capture.Last!.DestinationDomains);
    }
}
