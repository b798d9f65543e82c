using Floodgate.Core.Detection;
using Floodgate.Core.Policy;
using MimeKit;

namespace Floodgate.Core.Tests.Detection;

/// <summary>The burst and hidden-text signals, and observe mode for the new rules.</summary>
public sealed class NewSignalsTests
{
    [Fact]
    public void AStolenAccountWritingToStrangersIsHeldThenAnOffense()
    {
        var t = new DetectorHarness();
        History(t, days: 8);
        var random = new Random(21);
        var before = t.RelayedExternal;

        // Every message different, no shared payload: only the recipients give it away.
        var verdicts = new List<Verdict>();
        for (int i = 0; i < 5; i++)
        {
            verdicts.Add(t.Send(Message(RandomText(random, 120)), Strangers(i * 150, 150)));
            t.Time.Advance(TimeSpan.FromMinutes(2));
        }

        // 150, 300 (less the memory's false "known"), 450 first contacts: held at the third.
        Assert.True(verdicts[2].Reason == PolicyReasons.Held, string.Join(",", verdicts.Select(v => v.Reason)));
        Assert.Contains(t.Sink.Holds[0].Signals, s => s.Rule == "burst");
        Assert.Equal(PolicyReasons.Offense, verdicts[3].Reason);
        Assert.InRange(t.RelayedBeforeFirstStop - before, 1, 400);
    }

    [Fact]
    public void NoBurstWhileTheMemoryIsLearning()
    {
        var t = new DetectorHarness();
        History(t, days: 3);
        var random = new Random(22);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(t.Send(Message(RandomText(random, 120)), Strangers(i * 100, 100)).IsAccept);
            t.Time.Advance(TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public void KnownRecipientsAreNoBurst()
    {
        var t = new DetectorHarness();
        History(t, days: 8);
        var random = new Random(23);
        // 400 different recipients, all written to during the history.
        for (int i = 0; i < 4; i++)
        {
            Assert.True(t.Send(Message(RandomText(random, 120)), Contacts(i * 100, 100)).IsAccept);
            t.Time.Advance(TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public void AnObservedBurstLetsMailThroughAndIsLogged()
    {
        var t = new DetectorHarness(o => o.BurstRule = RuleMode.Observe);
        History(t, days: 8);
        var random = new Random(24);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(t.Send(Message(RandomText(random, 120)), Strangers(i * 100, 100)).IsAccept);
            t.Time.Advance(TimeSpan.FromMinutes(2));
        }

        Assert.Contains(t.Sink.Observations, r => r.Signals.Any(s => s.Rule == "burst" && s.Mode == RuleMode.Observe));
    }

    [Fact]
    public void HundredsOfHiddenWordsAreASignalButNotAHoldAlone()
    {
        var t = new DetectorHarness();
        var random = new Random(25);
        var html = "<html><body><p>" + RandomText(random, 60) + "</p><div style=\"display:none\">" + RandomText(random, 300) + "</div></body></html>";
        var message = Message("");
        message.Body = new TextPart("html") { Text = html };

        Assert.True(t.Send(message, Strangers(0, 20)).IsAccept);
        var result = t.Detector.Evaluate(t.Mailbox("ann@acme.test"), new TransactionTally(20, 20, 0, 20), new Floodgate.Core.Transactions.MessageFacts { Fingerprint = Floodgate.Core.Fingerprinting.Fingerprinter.Shared.Compute(message) }, t.Time.GetUtcNow());
        var hidden = Assert.Single(result.Signals, s => s.Rule == "hidden-text");
        Assert.Contains("300 words", hidden.Explanation);
        Assert.Equal(DetectionAction.Allow, result.Action);
    }

    [Theory]
    [InlineData(0.5, false)]
    [InlineData(0.0, true)]
    public void TwoAnnouncementsToKnownCustomersSharingAFooterAreNoRun(double firstContactShare, bool held)
    {
        // With the guard off (0), the shared footer alone makes the second mailing a run: the guard is what passes it.
        var t = new DetectorHarness(o => o.RunMinFirstContactShare = firstContactShare);
        History(t, days: 8);
        var random = new Random(26);
        const string Footer = "Acme Ltd, 14 Harbour Street, Springfield. Call us on +1 (555) 201-7788, Monday to Friday from nine to five. " +
            "Follow us at https://www.facebook.com/acme-example and read our terms at https://legal.example-terms.net/acme. " +
            "You receive this because you are an Acme customer; reply to this message to change how we contact you.";

        // Two different mailings near the cap within the morning, the same footer, to customers written to before.
        t.Send(Message(RandomText(random, 150) + "\n\n" + Footer), Contacts(0, 180));
        t.Time.Advance(TimeSpan.FromHours(2));
        t.Send(Message(RandomText(random, 150) + "\n\n" + Footer), Contacts(200, 180));
        Assert.Equal(held, t.Sink.Holds.Count > 0);
    }

    [Fact]
    public void TheSameMailboxsFillerRunToStrangersIsStillARun()
    {
        var t = new DetectorHarness();
        History(t, days: 8);
        var generator = new SpamRunGenerator(new SpamRunOptions { Seed = 27, FillerWords = 300, Vocabulary = FillerVocabulary.News });
        var before = t.RelayedExternal;
        for (int i = 0; i < 3; i++)
        {
            t.Time.Advance(TimeSpan.FromSeconds(60));
            var copy = generator.Next(t.Time.GetUtcNow());
            t.Send(copy.Message, copy.Recipients);
        }

        Assert.InRange(t.RelayedBeforeFirstStop - before, 0, 400);
        Assert.Contains(t.Sink.Holds.Concat(t.Sink.Offenses), r => r.Signals.Any(s => s.Rule == "contained"));
    }

    [Fact]
    public void DecoyLinksBeforeTheRealOneDoNotHideThePayload()
    {
        var t = new DetectorHarness();
        var random = new Random(28);
        for (int i = 0; i < 3; i++)
        {
            // Different words, twenty decoy domains new in every copy, then the run's own domain on a new subdomain.
            var decoys = string.Join(' ', Enumerable.Range(0, 20).Select(_ => $"https://{RandomText(random, 1)}{random.Next(1000)}.example/"));
            var text = RandomText(random, 80) + "\n\n" + decoys + "\n\nClaim it at https://" + RandomText(random, 1) + ".prize-claims.example/go";
            t.Time.Advance(TimeSpan.FromSeconds(60));
            t.Send(Message(text), Strangers(i * 200, 200));
        }

        Assert.Contains(t.Sink.Holds.Concat(t.Sink.Offenses), r => r.Signals.Any(s => s.Rule == "payload"));
        Assert.Equal(200, t.RelayedBeforeFirstStop);
    }

    /// <summary>Ordinary days: 30 one-to-one messages a day to a pool of 400 contacts.</summary>
    internal static void History(DetectorHarness t, int days)
    {
        var random = new Random(days);
        for (int day = 0; day < days; day++)
        {
            for (int i = 0; i < 30; i++)
            {
                t.Send(Message(RandomText(random, 40)), Contacts((day * 30) + i, 1));
                // The pool is covered in the first days, then revisited.
                t.Time.Advance(TimeSpan.FromMinutes(16));
            }

            t.Time.Advance(TimeSpan.FromHours(16));
        }

        // The contacts not reached by the daily mail got a newsletter-style mail each, a week ago.
        for (int i = 0; i < 400; i += 20)
        {
            t.Send(Message(RandomText(random, 40)), Contacts(i, 20));
        }

        t.Time.Advance(TimeSpan.FromHours(2));
    }

    internal static IEnumerable<string> Contacts(int start, int count) =>
        Enumerable.Range(start, count).Select(i => $"contact{i % 400}@customer{i % 400 % 37}.example");

    internal static IEnumerable<string> Strangers(int start, int count) =>
        Enumerable.Range(start, count).Select(i => $"target{i}@victim{i % 53}.example");

    internal static MimeMessage Message(string text)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.To.Add(MailboxAddress.Parse("undisclosed@example.net"));
        message.Subject = text.Split(' ').FirstOrDefault() ?? "Hello";
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("acme.test");
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    internal static string RandomText(Random random, int words)
    {
        const string Letters = "abcdefghijklmnopqrstuvwxyz";
        return string.Join(' ', Enumerable.Range(0, words).Select(_ =>
            new string(Enumerable.Range(0, random.Next(3, 7)).Select(_ => Letters[random.Next(Letters.Length)]).ToArray())));
    }
}
