using Floodgate.Core.Detection;
using Floodgate.Core.Policy;

namespace Floodgate.Core.Tests.Policy;

/// <summary>The hold and offense replies name what the decision rests on.</summary>
public sealed class PolicyTextsTests
{
    private static DetectionResult Result(DetectionAction action, params Signal[] signals) =>
        new(action, signals.Sum(s => s.Score), signals, [], [], action);

    [Fact]
    public void ARunOfTheSameEMailIsAMassMailingEvenWithAComplaintBesideIt()
    {
        var result = Result(DetectionAction.Hold,
            new Signal("repeat", 1.2, RuleMode.Enforce, "4 copies"),
            new Signal("complaints", 0.4, RuleMode.Enforce, "complaint rate 0.2 %"));

        Assert.Equal(PolicyTexts.MassMailing, PolicyTexts.Concern(result));
        Assert.StartsWith("Message held: it looks like a mass mailing", PolicyTexts.Held(result, "the list service").Text, StringComparison.Ordinal);
    }

    [Fact]
    public void AHoldForComplaintsSaysComplaintsAndTheirRate()
    {
        var result = Result(DetectionAction.Hold, new Signal("complaints", 1.0, RuleMode.Enforce, "complaint rate of the mailbox 0.20 %"));

        var held = PolicyTexts.Held(result, "the list service");

        Assert.Equal(451, held.Code);
        Assert.Equal("Message held: the mailbox's recent mail shows spam complaints (complaint rate of the mailbox 0.20 %). Nothing was sent. The abuse desk has been told and will review the mailbox.", held.Text);
    }

    [Fact]
    public void AnObservedSignalDoesNotNameTheConcern()
    {
        var result = Result(DetectionAction.Hold,
            new Signal("invalid-recipients", 3, RuleMode.Observe, "150 unknown recipients in the last hour"),
            new Signal("reputation", 1, RuleMode.Enforce, "hard bounces"));

        Assert.Equal("bounces", PolicyTexts.Concern(result));
        Assert.StartsWith("bounces detected 2026-12-07 10:00 UTC",
            PolicyTexts.OffenseReason(PolicyTexts.Concern(result), new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), Floodgate.Core.Enforcement.LadderStep.SuspendMailbox), StringComparison.Ordinal);
    }
}
