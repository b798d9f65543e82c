using Floodgate.Core.Detection;
using Floodgate.Core.Policy;
using static Floodgate.Core.Tests.Detection.NewSignalsTests;

namespace Floodgate.Core.Tests.Detection;

/// <summary>
/// The signs of a stolen password through the real engine: logins as the doors report them, refusals as
/// the gateway hears them from the upstream, every message through a transaction. Each signal is raised
/// by the abuse it is for and not by a busy legitimate sender.
/// </summary>
public sealed class CompromiseScenarioTests
{
    private const string UserUnknown = "5.1.1 <{0}>: Recipient address rejected: User unknown in virtual mailbox table";
    private static readonly string[] Home = ["192.0.2.10"];

    [Fact]
    public void AStolenAccountWorkingAHarvestedListIsHeldOnItsUnknownUsers()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        var random = new Random(31);
        t.Engine.LoggedIn(ann, "203.0.113.66");
        Verdict? held = null;
        var sent = 0;

        // One recipient a message, so the content signals have nothing to compare: only the replies give it away.
        for (var i = 0; i < 300 && held is null; i++)
        {
            var to = $"guess{i}@harvested{i % 17}.example";
            var verdict = t.Send(Message(RandomText(random, 30)), [to]);
            if (!verdict.IsAccept)
            {
                held = verdict;
                break;
            }

            sent++;
            // Two in three harvested addresses do not exist.
            if (i % 3 != 0)
            {
                t.Engine.RecipientRefused(ann, to, 550, string.Format(System.Globalization.CultureInfo.InvariantCulture, UserUnknown, to));
            }

            t.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.NotNull(held);
        Assert.Equal(PolicyReasons.Held, held.Value.Reason);
        Assert.Contains("signs of being used by someone else", held.Value.Text, StringComparison.Ordinal);
        var signal = Assert.Single(t.Sink.Holds[0].Signals, s => s.Rule == CompromiseWatch.InvalidRecipientsRule);
        Assert.Contains("100 distinct recipients refused as unknown users", signal.Explanation, StringComparison.Ordinal);
        Assert.Contains("@harvested", signal.Explanation, StringComparison.Ordinal);
        Assert.InRange(sent, 140, 160);
    }

    [Fact]
    public void AThiefWhoGoesOnAfterTheHoldRaisesAnOffense()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        for (var i = 0; i < 100; i++)
        {
            t.Engine.RecipientRefused(ann, $"guess{i}@harvested.example", 550, "5.1.1 User unknown");
        }

        // A copy to enough recipients to be remembered: the held copy is what makes the next an offense.
        var random = new Random(32);
        Assert.Equal(PolicyReasons.Held, t.Send(Message(RandomText(random, 60)), Strangers(0, 10)).Reason);
        t.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(PolicyReasons.Offense, t.Send(Message(RandomText(random, 60)), Strangers(10, 10)).Reason);
        Assert.Contains(t.Sink.Offenses[0].Signals, s => s.Rule == CompromiseWatch.InvalidRecipientsRule);
    }

    [Fact]
    public void AThiefSendingOneRecipientAtATimeAfterTheHoldRaisesAnOffense()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        for (var i = 0; i < 100; i++)
        {
            t.Engine.RecipientRefused(ann, $"guess{i}@harvested.example", 550, "5.1.1 User unknown");
        }

        Assert.Equal(PolicyReasons.Held, t.Send(Message("one more try"), ["target1@victim.example"]).Reason);
        t.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(PolicyReasons.Offense, t.Send(Message("and another"), ["target2@victim.example"]).Reason);
        var offense = Assert.Single(t.Sink.Offenses);
        Assert.Contains(offense.Signals, s => s.Rule == CompromiseWatch.InvalidRecipientsRule);
        Assert.Contains(offense.Signals, s => s.Rule == "persistence" && s.Explanation.Contains("signs of a stolen password", StringComparison.Ordinal));
    }

    [Fact]
    public void ASalesRepMailingNewProspectsOneByOneIsNotHeld()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        History(t, days: 8);
        var random = new Random(33);
        t.Engine.LoggedIn(ann, Home[0]);

        // 180 prospects in a working day, each a first contact, each a personal message; a few typos bounce.
        for (var i = 0; i < 180; i++)
        {
            var to = $"buyer{i}@prospect{i}.example";
            Assert.True(t.Send(Message(RandomText(random, 80)), [to]).IsAccept, $"prospect {i}");
            if (i % 40 == 0)
            {
                t.Engine.RecipientRefused(ann, to, 550, "5.1.1 User unknown");
            }

            t.Time.Advance(TimeSpan.FromMinutes(2.5));
        }

        Assert.Empty(t.Sink.Holds);
        Assert.Empty(t.Sink.Observations);
    }

    [Fact]
    public void ASupportDeskAnsweringManyCustomersIsNotHeld()
    {
        var t = new DetectorHarness();
        var bob = t.Mailbox("bob@acme.test");
        var random = new Random(34);
        t.Engine.LoggedIn(bob, "192.0.2.20");
        for (var i = 0; i < 400; i++)
        {
            var to = $"customer{i}@isp{i % 29}.example";
            Assert.True(t.Send(Message(RandomText(random, 50)), [to], "bob@acme.test").IsAccept, $"reply {i}");

            // Replies to real people: some mistyped, some full, some greylisted, some refused for policy.
            var refusal = (i % 10) switch
            {
                0 => (550, "5.1.1 User unknown"),
                1 => (552, "5.2.2 Mailbox full"),
                2 => (450, "4.7.1 Greylisted, try again later"),
                3 => (550, "5.7.1 Message rejected as spam by Content Filtering"),
                _ => (0, string.Empty),
            };
            if (refusal.Item1 != 0)
            {
                t.Engine.RecipientRefused(bob, to, refusal.Item1, refusal.Item2);
            }

            t.Time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Empty(t.Sink.Holds);
        Assert.InRange(t.Detector.Compromise.Describe(bob.Id, t.Time.GetUtcNow())!.InvalidRecipientsLastHour, 1, 10);
    }

    [Fact]
    public void LoginsFromFifteenNetworksInADayAreHeld()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        var random = new Random(35);
        for (var i = 0; i < 15; i++)
        {
            t.Engine.LoggedIn(ann, $"198.51.{100 + (i * 7)}.{i + 1}");
            t.Time.Advance(TimeSpan.FromMinutes(40));
        }

        var verdict = t.Send(Message(RandomText(random, 30)), ["friend@example.org"]);
        Assert.Equal(PolicyReasons.Held, verdict.Reason);
        var signal = Assert.Single(t.Sink.Holds[0].Signals);
        Assert.Equal(CompromiseWatch.LoginNetworksRule, signal.Rule);
        Assert.Contains("15 distinct client networks", signal.Explanation, StringComparison.Ordinal);
        Assert.Contains("198.51.198.0/24", signal.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ATravellerOnThreeOrFourNetworksIsNotHeld()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        var random = new Random(36);

        // Home, the airport, the hotel, a phone: each logs in again and again through the day.
        string[] day = ["192.0.2.10", "203.0.113.40", "198.51.100.7", "2001:db8:77:1::20", "2001:db8:77:2::31"];
        for (var i = 0; i < 60; i++)
        {
            t.Engine.LoggedIn(ann, day[i % day.Length]);
            Assert.True(t.Send(Message(RandomText(random, 30)), [$"colleague{i % 12}@partner.example"]).IsAccept);
            t.Time.Advance(TimeSpan.FromMinutes(20));
        }

        Assert.Empty(t.Sink.Holds);
        Assert.Equal(4, t.Detector.Compromise.Describe(ann.Id, t.Time.GetUtcNow())!.NetworksLastDay.Count);
    }

    [Fact]
    public void ManyMailboxesBehindOneSharedNatAreNotHeld()
    {
        var t = new DetectorHarness();
        var random = new Random(37);
        string[] everyone = ["ann@acme.test", "bob@acme.test", "carl@acme-mail.test", "olga@other.test"];

        // An office's NAT: every mailbox behind one address, hundreds of logins a day, and each from home too.
        for (var i = 0; i < 400; i++)
        {
            var sender = everyone[i % everyone.Length];
            var m = t.Mailbox(sender);
            t.Engine.LoggedIn(m, i % 20 == 0 ? $"192.0.2.{i % everyone.Length + 1}" : "203.0.113.200");
            var message = Message(RandomText(random, 30));
            message.From.Clear();
            message.From.Add(MimeKit.MailboxAddress.Parse(sender));
            Assert.True(t.Send(message, [$"someone{i}@example.org"]).IsAccept);
            t.Time.Advance(TimeSpan.FromMinutes(3));
        }

        Assert.Empty(t.Sink.Holds);

        // The same at scale, on the watch alone: 5,000 mailboxes on one network are one network each.
        var watch = new CompromiseWatch(new DetectionOptions());
        var now = t.Time.GetUtcNow();
        for (var id = 0; id < 5000; id++)
        {
            watch.LoggedIn(id, "203.0.113.200", now);
        }

        List<Signal>? signals = null;
        for (var id = 0; id < 5000; id++)
        {
            watch.Assess(id, 10, 10, now, ref signals);
        }

        Assert.Null(signals);
    }

    [Fact]
    public void ANewNetworkThenABurstIsHeld()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        Logins(t, ann, days: 8);
        var random = new Random(38);

        // A network never seen in eight days, then 160 external recipients within the hour, each message different.
        t.Engine.LoggedIn(ann, "198.51.100.23");
        Verdict? held = null;
        for (var i = 0; i < 8 && held is null; i++)
        {
            var verdict = t.Send(Message(RandomText(random, 60)), Strangers(i * 20, 20));
            held = verdict.IsAccept ? null : verdict;
            t.Time.Advance(TimeSpan.FromMinutes(4));
        }

        Assert.NotNull(held);
        Assert.Equal(PolicyReasons.Held, held.Value.Reason);
        var signal = Assert.Single(t.Sink.Holds[0].Signals, s => s.Mode == RuleMode.Enforce && s.Score > 0);
        Assert.Equal(CompromiseWatch.NewNetworkVolumeRule, signal.Rule);
        Assert.Contains("198.51.100.0/24, a network never seen in 8 days", signal.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ANewNetworkThenABurstOfOneRecipientMessagesIsHeld()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        Logins(t, ann, days: 8);
        var random = new Random(40);

        // Too few recipients a message for a fingerprint: the hour's volume is read for the new network alone.
        t.Engine.LoggedIn(ann, "2001:db8:bad::1");
        var sent = 0;
        while (sent < 300 && t.Send(Message(RandomText(random, 20)), Strangers(sent, 1)).IsAccept)
        {
            sent++;
            t.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.InRange(sent, 140, 160);
        Assert.Contains(t.Sink.Holds[0].Signals, s => s.Rule == CompromiseWatch.NewNetworkVolumeRule && s.Explanation.Contains("2001:db8:bad::/48", StringComparison.Ordinal));
    }

    [Fact]
    public void TheSameBurstFromTheUsualNetworkIsNotThatSignal()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        Logins(t, ann, days: 8);
        var random = new Random(38);
        t.Engine.LoggedIn(ann, Home[0]);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(t.Send(Message(RandomText(random, 60)), Strangers(i * 20, 20)).IsAccept);
            t.Time.Advance(TimeSpan.FromMinutes(4));
        }
    }

    [Fact]
    public void ATravellerOnANewNetworkSendingAsUsualIsNotHeld()
    {
        var t = new DetectorHarness();
        var ann = t.Mailbox("ann@acme.test");
        Logins(t, ann, days: 8);
        var random = new Random(39);
        t.Engine.LoggedIn(ann, "2001:db8:4242::9");
        for (var i = 0; i < 10; i++)
        {
            Assert.True(t.Send(Message(RandomText(random, 60)), Contacts(i * 3, 3)).IsAccept);
            t.Time.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.Equal("2001:db8:4242::/48", t.Detector.Compromise.Describe(ann.Id, t.Time.GetUtcNow())!.NewNetwork);
    }

    [Fact]
    public void ObservedInvalidRecipientsLetMailThroughAndAreLogged()
    {
        var t = new DetectorHarness(o => o.InvalidRecipientsRule = RuleMode.Observe);
        var ann = t.Mailbox("ann@acme.test");
        for (var i = 0; i < 120; i++)
        {
            t.Engine.RecipientRefused(ann, $"guess{i}@harvested.example", 550, "5.1.1 User unknown");
        }

        Assert.True(t.Send(Message("hello there"), ["friend@example.org"]).IsAccept);
        Assert.Contains(t.Sink.Observations, r => r.Signals.Any(s => s.Rule == CompromiseWatch.InvalidRecipientsRule && s.Mode == RuleMode.Observe));
    }

    [Fact]
    public void AnOffRuleRaisesNothing()
    {
        var t = new DetectorHarness(o => o.LoginNetworksRule = RuleMode.Off);
        var ann = t.Mailbox("ann@acme.test");
        for (var i = 0; i < 30; i++)
        {
            t.Engine.LoggedIn(ann, $"198.51.{i}.1");
        }

        Assert.True(t.Send(Message("hello there"), ["friend@example.org"]).IsAccept);
        Assert.Empty(t.Sink.Observations);
    }

    /// <summary>Ordinary days: the mailbox logs in from home and the office, and sends some mail each day.</summary>
    private static void Logins(DetectorHarness t, Floodgate.Core.Accounts.MailboxState mailbox, int days)
    {
        var random = new Random(days);
        for (var day = 0; day < days; day++)
        {
            for (var i = 0; i < 10; i++)
            {
                t.Engine.LoggedIn(mailbox, i < 5 ? Home[0] : "203.0.113.5");
                t.Send(Message(RandomText(random, 40)), Contacts((day * 10) + i, 2));
                t.Time.Advance(TimeSpan.FromMinutes(50));
            }

            t.Time.Advance(TimeSpan.FromHours(16));
        }
    }
}
