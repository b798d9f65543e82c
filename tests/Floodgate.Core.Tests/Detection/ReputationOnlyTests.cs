using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Policy;
using Floodgate.Core.Tests.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Tests.Detection;

/// <summary>
/// A message too small to fingerprint (one-to-one mail, as the doors leave it) is still judged by
/// the mailbox's reputation: what the world said back holds and stops it like any other.
/// </summary>
public sealed class ReputationOnlyTests
{
    private sealed class FixedReputation(int mailboxId, double score) : IReputationSource
    {
        public Signal? Assess(MailboxState mailbox, DateTimeOffset now) =>
            mailbox.Id == mailboxId ? new Signal("complaints", score, RuleMode.Enforce, "complaint rate of the mailbox 0.50 %") : null;
    }

    private static (PolicyFixture Fixture, PolicyEngine Engine, DetectorHarness.RecordingEnforcement Sink) Engine(double score, RuleMode mode = RuleMode.Enforce)
    {
        var f = new PolicyFixture();
        var detector = new MassMailDetector(new DetectionOptions { ReputationRule = mode }, new FixedReputation(100, score));
        var sink = new DetectorHarness.RecordingEnforcement();
        var engine = new PolicyEngine(f.Directory, f.Counters, f.Time, new PolicyOptions { SupportContact = "abuse@provider.test" }, detector, sink);
        return (f, engine, sink);
    }

    /// <summary>One message to one outside recipient, without a fingerprint: what the doors send below the tracked size.</summary>
    private static Verdict SendOne(PolicyFixture f, PolicyEngine engine, string sender)
    {
        var transaction = engine.Open(Door.Gateway);
        Assert.True(transaction.Begin(f.Mailbox(sender), sender, 0).IsAccept);
        Assert.True(transaction.AddRecipient("someone@example.net").IsAccept);
        var verdict = transaction.CheckContentAsync(new MessageFacts { Size = 500, MessageId = "one@acme.test" }, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        transaction.Complete(verdict.Outcome, verdict.ReplyCode, verdict.Reason);
        return verdict;
    }

    [Fact]
    public void AReputationAtTheHoldScoreHoldsOneToOneMail()
    {
        var (f, engine, sink) = Engine(score: 1.0);

        var verdict = SendOne(f, engine, "ann@acme.test");

        Assert.Equal(PolicyReasons.Held, verdict.Reason);
        var hold = Assert.Single(sink.Holds);
        Assert.Equal("complaints", Assert.Single(hold.Signals).Rule);
        Assert.Equal(1, hold.Current!.External);
        Assert.Equal("one@acme.test", hold.Current.MessageId);
        // Another mailbox of the same client is not touched by ann's reputation.
        Assert.True(SendOne(f, engine, "bob@acme.test").IsAccept);
    }

    [Fact]
    public void AReputationAtTheOffenseScoreRaisesAnOffenseOnOneToOneMail()
    {
        var (f, engine, sink) = Engine(score: 2.0);

        var verdict = SendOne(f, engine, "ann@acme.test");

        Assert.Equal(PolicyReasons.Offense, verdict.Reason);
        Assert.Single(sink.Offenses);
    }

    [Fact]
    public void BelowTheHoldScoreOrInObserveModeOneToOneMailGoesThrough()
    {
        var (f, engine, sink) = Engine(score: 0.5);
        Assert.True(SendOne(f, engine, "ann@acme.test").IsAccept);
        Assert.Empty(sink.Holds);

        (f, engine, sink) = Engine(score: 2.0, RuleMode.Observe);
        Assert.True(SendOne(f, engine, "ann@acme.test").IsAccept);
        Assert.Empty(sink.Offenses);
        Assert.Equal(DetectionAction.Offense, Assert.Single(sink.Observations).ObservedAction);
    }
}
