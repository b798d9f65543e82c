using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Tests.Policy;
using Floodgate.Core.Transactions;
using MimeKit;

namespace Floodgate.Core.Tests.Detection;

public sealed class MassMailDetectorTests
{
    private const string Pitch =
        "Dear customer, our spring offer is here. Buy two cartridges and get the third one free. " +
        "The offer runs until the end of the month and applies to every printer model we sell. " +
        "Order today at our web shop and pay on delivery. Shipping is free for orders over fifty dollars. " +
        "Questions? Our sales team answers within one business day.";

    private static readonly string[] OtherTexts =
    [
        "Minutes of the board meeting: the budget for next year was approved, the new office lease starts in March, and the audit committee will report in June.",
        "Your invoice 4411 for November is attached. Payment is due within thirty days to the usual account. Thank you for your business.",
        "Hi Tom, thanks for the photos from the trip. The kids loved the lake. Let us plan the next weekend together soon.",
        "Quarterly engineering update: we migrated the build servers, cut test time in half, and hired two engineers for the platform team.",
        "Reminder: the fire drill is on Thursday at ten. Please leave by the nearest exit and gather at the car park.",
    ];

    [Fact]
    public void ABlastIsHeldAtTheSecondCopyAndAnOffenseAtTheThird()
    {
        var t = new Harness();
        Assert.Equal(DetectionAction.Allow, t.Send("ann@acme.test", Pitch, 200).Action);
        Assert.Equal(DetectionAction.Hold, t.Send("ann@acme.test", Pitch, 200).Action);
        var third = t.Send("ann@acme.test", Pitch, 200);
        Assert.Equal(DetectionAction.Offense, third.Action);
        Assert.Contains(third.Signals, s => s.Rule == "repeat");
        Assert.Equal(2, third.Evidence.Count);
        Assert.Single(t.Sink.Offenses);
    }

    [Fact]
    public void TheEvidenceShowsEachCopysSubjectAndDestinationDomains()
    {
        var t = new Harness();
        t.Send("ann@acme.test", Pitch, 200, subject: "Spring offer 1");
        t.Send("ann@acme.test", Pitch, 200, subject: "Spring offer 2");
        var third = t.Send("ann@acme.test", Pitch, 200, subject: "Spring offer 3");
        Assert.Equal(["Spring offer 1", "Spring offer 2"], third.Evidence.Select(e => e.Subject).Order());
        Assert.All(third.Evidence, e => Assert.Equal("example.net,example.org", e.DestinationDomains));
        Assert.Equal("Spring offer 3", third.Current!.Subject);
    }

    [Fact]
    public void HashBustingCopiesAreStillTheSameEmail()
    {
        var t = new Harness();
        var random = new Random(7);
        string Busted() => $"Hello {Names[random.Next(Names.Length)]}, ref {random.Next():x8}{random.Next():x8}. " + Pitch;
        t.Send("ann@acme.test", Busted(), 200, subject: "Offer " + random.Next());
        Assert.Equal(DetectionAction.Hold, t.Send("ann@acme.test", Busted(), 200, subject: "Deal " + random.Next()).Action);
        Assert.Equal(DetectionAction.Offense, t.Send("ann@acme.test", Busted(), 200, subject: "Last chance " + random.Next()).Action);
    }

    [Fact]
    public void ASplitAnnouncementIsHeldOnceWithoutAnOffense()
    {
        var t = new Harness();
        t.Send("ann@acme.test", Pitch, 200);
        var second = t.Send("ann@acme.test", Pitch, 200);
        Assert.Equal(DetectionAction.Hold, second.Action);
        Assert.Single(t.Sink.Holds);
        Assert.Empty(t.Sink.Offenses);
    }

    [Fact]
    public void ARetryOfTheHeldMessageIsNotPersistence()
    {
        var t = new Harness();
        t.Send("ann@acme.test", Pitch, 200, messageId: "a@acme.test");
        Assert.Equal(DetectionAction.Hold, t.Send("ann@acme.test", Pitch, 200, messageId: "b@acme.test", recipientsHash: 42).Action);
        Assert.Equal(DetectionAction.Hold, t.Send("ann@acme.test", Pitch, 200, messageId: "b@acme.test", recipientsHash: 42).Action);
        Assert.Empty(t.Sink.Offenses);
    }

    [Fact]
    public void ABlastReusingOneMessageIdIsHeldAtItsSecondCopy()
    {
        var t = new Harness();
        Assert.Equal(DetectionAction.Allow, t.Send("ann@acme.test", Pitch, 200, messageId: "same@acme.test").Action);
        var second = t.Send("ann@acme.test", Pitch, 200, messageId: "same@acme.test");
        Assert.Equal(DetectionAction.Hold, second.Action);
        Assert.Contains(second.Signals, s => s.Rule == "repeat");
    }

    [Fact]
    public void AHashBustedBlastReusingOneMessageIdBecomesAnOffense()
    {
        var t = new Harness();
        var random = new Random(11);
        string Busted() => $"Hello {Names[random.Next(Names.Length)]}, ref {random.Next():x8}. " + Pitch;
        t.Send("ann@acme.test", Busted(), 200, messageId: "same@acme.test");
        Assert.Equal(DetectionAction.Hold, t.Send("ann@acme.test", Busted(), 200, messageId: "same@acme.test").Action);
        Assert.Equal(DetectionAction.Offense, t.Send("ann@acme.test", Busted(), 200, messageId: "same@acme.test").Action);
    }

    [Fact]
    public void ARetryOfAHeldMessageTakesItsPlaceInTheMemory()
    {
        var t = new Harness();
        t.Send("ann@acme.test", Pitch, 200, messageId: "a@acme.test");
        t.Send("ann@acme.test", Pitch, 200, messageId: "b@acme.test", recipientsHash: 42);
        t.Send("ann@acme.test", Pitch, 200, messageId: "b@acme.test", recipientsHash: 42);
        var (recent, _) = t.Detector.Describe(100, t.Time.GetUtcNow());
        Assert.Equal(["b@acme.test", "a@acme.test"], recent.Select(m => m.MessageId));
    }

    [Fact]
    public void TheSameHeldMessageToNewRecipientsIsANewCopy()
    {
        var t = new Harness();
        t.Send("ann@acme.test", Pitch, 200, messageId: "same@acme.test");
        Assert.Equal(DetectionAction.Hold, t.Send("ann@acme.test", Pitch, 200, messageId: "same@acme.test").Action);
        Assert.Equal(DetectionAction.Offense, t.Send("ann@acme.test", Pitch, 200, messageId: "same@acme.test").Action);
    }

    [Fact]
    public void ASlowRunUnderTheCapIsSeenByItsTotalVolume()
    {
        var t = new Harness();
        var actions = new List<DetectionAction>();
        for (var i = 0; i < 12 && !actions.Contains(DetectionAction.Offense); i++)
        {
            t.Time.Advance(TimeSpan.FromMinutes(40));
            actions.Add(t.Send("ann@acme.test", Pitch, 40).Action);
        }

        var firstHold = actions.IndexOf(DetectionAction.Hold);
        Assert.Equal(8, firstHold + 1); // 7 × 40 = 280 < 300 ≤ 8 × 40: the 8th copy is the first held
        Assert.Equal(DetectionAction.Hold, actions[firstHold]);
        Assert.Equal(DetectionAction.Offense, actions[^1]);
        Assert.Equal(firstHold + 2, actions.Count);
    }

    [Fact]
    public void DifferentMessagesNearTheCapAreNoRun()
    {
        var t = new Harness();
        foreach (var text in OtherTexts)
        {
            Assert.Equal(DetectionAction.Allow, t.Send("ann@acme.test", text, 180).Action);
        }
    }

    [Fact]
    public void InternalRecipientsNeverMakeARun()
    {
        var t = new Harness();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(DetectionAction.Allow, t.Send("ann@acme.test", Pitch, 190, internalRecipients: true).Action);
        }
    }

    [Fact]
    public void TheSameContentFromMailboxesOfSeveralClientsIsACampaign()
    {
        var t = new Harness();
        Assert.Equal(DetectionAction.Allow, t.Send("ann@acme.test", Pitch, 60).Action);
        Assert.Equal(DetectionAction.Allow, t.Send("olga@other.test", Pitch, 60).Action);
        var third = t.Send("bob@acme.test", Pitch, 60);
        Assert.Equal(DetectionAction.Offense, third.Action);
        Assert.Contains(third.Signals, s => s.Rule == "campaign");
        Assert.Equal(2, third.CampaignMailboxIds.Count);
    }

    [Fact]
    public void ObserveOnlyRulesLogWhatTheyWouldDoAndLetMailThrough()
    {
        var t = new Harness(o =>
        {
            o.RepeatRule = RuleMode.Observe;
            o.VolumeRule = RuleMode.Observe;
        });
        t.Send("ann@acme.test", Pitch, 200);
        var second = t.Send("ann@acme.test", Pitch, 200);
        Assert.Equal(DetectionAction.Allow, second.Action);
        Assert.Equal(DetectionAction.Hold, second.ObservedAction);
        Assert.Single(t.Sink.Observed);
        Assert.Empty(t.Sink.Holds);
    }

    [Fact]
    public void MemoryFadesAfterTheWindows()
    {
        var t = new Harness();
        t.Send("ann@acme.test", Pitch, 200);
        t.Time.Advance(TimeSpan.FromHours(25));
        Assert.Equal(DetectionAction.Allow, t.Send("ann@acme.test", Pitch, 200).Action);
    }

    private static readonly string[] Names = ["John", "Mary", "Ahmed", "Lucia", "Chen", "Olu", "Sven", "Priya"];

    private sealed class Harness
    {
        private readonly PolicyFixture _fixture;
        private readonly MassMailDetector _detector;
        private int _seq;

        public Harness(Action<DetectionOptions>? configure = null)
        {
            var options = new DetectionOptions();
            configure?.Invoke(options);
            _fixture = new PolicyFixture();
            _detector = new MassMailDetector(options);
        }

        public RecordingSink Sink { get; } = new();

        public MassMailDetector Detector => _detector;

        public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time => _fixture.Time;

        public DetectionResult Send(string sender, string text, int recipients, string? subject = null, string? messageId = null, bool internalRecipients = false, ulong recipientsHash = 0)
        {
            var mailbox = _fixture.Mailbox(sender);
            var external = internalRecipients ? 0 : recipients;
            var now = Time.GetUtcNow();
            var lastHour = _fixture.Counters.Read(new CounterKey(CounterScope.Mailbox, mailbox.Id), now).ExternalLastHour + external;
            // New recipients each time unless the test retries to the same ones.
            recipientsHash = recipientsHash == 0 ? (ulong)(1000 + ++_seq) : recipientsHash;
            var tally = new TransactionTally(recipients, external, recipients - external, lastHour, recipientsHash, DestinationDomains: "example.net,example.org");
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse(sender));
            message.To.Add(MailboxAddress.Parse("list@example.net"));
            message.Subject = subject ?? "Spring offer";
            message.Body = new TextPart("plain") { Text = text };
            var facts = new MessageFacts
            {
                Size = 2000,
                MessageId = messageId ?? $"{++_seq}@{sender}",
                Fingerprint = Fingerprinter.Shared.Compute(message),
            };
            var result = _detector.Evaluate(mailbox, in tally, facts, now);
            switch (result.Action)
            {
                case DetectionAction.Offense:
                    Sink.Offenses.Add(result);
                    break;
                case DetectionAction.Hold:
                    Sink.Holds.Add(result);
                    break;
            }

            if (result.ObservedAction != result.Action)
            {
                Sink.Observed.Add(result);
            }

            var outcome = result.Action switch
            {
                DetectionAction.Allow => Outcome.Accepted,
                DetectionAction.Hold => Outcome.Held,
                _ => Outcome.Rejected,
            };
            if (outcome == Outcome.Accepted)
            {
                _fixture.Engine.RecordSent(mailbox.Id, mailbox.Domain.Id, mailbox.Client.Id, external, recipients - external, now);
            }

            _detector.Completed(new CompletedTransaction
            {
                At = now,
                Door = Door.Gateway,
                Mailbox = mailbox,
                EnvelopeSender = sender,
                Recipients = recipients,
                External = external,
                Internal = recipients - external,
                RecipientsHash = recipientsHash,
                MessageId = facts.MessageId,
                Fingerprint = facts.Fingerprint,
                DestinationDomains = tally.DestinationDomains,
                Outcome = outcome,
                Reason = "test",
                Counted = true,
            });
            return result;
        }
    }

    private sealed class RecordingSink
    {
        public List<DetectionResult> Offenses { get; } = [];

        public List<DetectionResult> Holds { get; } = [];

        public List<DetectionResult> Observed { get; } = [];
    }
}
