using Floodgate.Core.Bounces;
using Floodgate.Core.Lists;

namespace Floodgate.Core.Tests.Lists;

public sealed class ListHygieneTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly HygieneOptions _options = new();

    [Theory]
    [InlineData(BounceReason.UserUnknown, true, BounceImpact.MemberHard, "the address does not exist")]
    [InlineData(BounceReason.MailboxFull, false, BounceImpact.MemberSoft, "a full mailbox may empty")]
    [InlineData(BounceReason.Expired, false, BounceImpact.MemberSoft, "delivery timed out")]
    [InlineData(BounceReason.Blocked, false, BounceImpact.Sender, "the sender's IP is blocked")]
    [InlineData(BounceReason.SpamDetected, false, BounceImpact.Sender, "the content was judged spam")]
    [InlineData(BounceReason.PolicyViolation, false, BounceImpact.Sender, "a policy refusal")]
    [InlineData(BounceReason.BadReputation, false, BounceImpact.Sender, "reputation")]
    [InlineData(BounceReason.AuthFailure, false, BounceImpact.Sender, "SPF/DKIM/DMARC")]
    [InlineData(BounceReason.Speeding, false, BounceImpact.Sender, "sending too fast")]
    public void EachReasonFallsOnTheMemberOrTheSender(BounceReason reason, bool hard, BounceImpact impact, string why) =>
        Assert.True(ListHygiene.ImpactOf(reason, hard) == impact, $"{reason}: {why}");

    [Fact]
    public void ASenderRefusalNeverMovesTheScore()
    {
        var score = new BounceScore(1.5, Day1, 1);
        Assert.Equal(score, ListHygiene.Apply(score, BounceImpact.Sender, Day1.AddHours(1), _options));
    }

    [Fact]
    public void BouncesOnOneDayCountOnce()
    {
        var score = ListHygiene.Apply(default, BounceImpact.MemberHard, Day1, _options);
        score = ListHygiene.Apply(score, BounceImpact.MemberHard, Day1.AddHours(3), _options);
        score = ListHygiene.Apply(score, BounceImpact.MemberSoft, Day1.AddHours(5), _options);
        Assert.Equal(_options.HardWeight, score.Score);
    }

    [Fact]
    public void AHardBounceAfterASoftOneTheSameDayRaisesItToTheHardWeight()
    {
        var score = ListHygiene.Apply(default, BounceImpact.MemberSoft, Day1, _options);
        score = ListHygiene.Apply(score, BounceImpact.MemberHard, Day1.AddHours(1), _options);
        Assert.Equal(_options.HardWeight, score.Score);
    }

    [Fact]
    public void HardAndSoftAreWeightedDifferently()
    {
        var hard = ListHygiene.Apply(default, BounceImpact.MemberHard, Day1, _options);
        var soft = ListHygiene.Apply(default, BounceImpact.MemberSoft, Day1, _options);
        Assert.True(hard.Score > soft.Score);
    }

    [Fact]
    public void AScoreGoesStaleAfterQuietDays()
    {
        var score = ListHygiene.Apply(default, BounceImpact.MemberSoft, Day1, _options);
        score = ListHygiene.Apply(score, BounceImpact.MemberSoft, Day1.AddDays(1), _options);
        Assert.Equal(2 * _options.SoftWeight, score.Score);
        var later = Day1.AddDays(1) + _options.StaleAfter + TimeSpan.FromHours(1);
        Assert.Equal(0, ListHygiene.Current(score, later, _options));
        Assert.Equal(_options.SoftWeight, ListHygiene.Apply(score, BounceImpact.MemberSoft, later, _options).Score);
    }

    [Fact]
    public void TheThresholdsDisableThenRemove()
    {
        Assert.Equal(HygieneAction.None, ListHygiene.Decide(_options.DisableScore - 0.5, false, null, Day1, _options));
        Assert.Equal(HygieneAction.Disable, ListHygiene.Decide(_options.DisableScore, false, null, Day1, _options));
        Assert.Equal(HygieneAction.None, ListHygiene.Decide(_options.DisableScore, true, Day1, Day1.AddDays(1), _options));
        Assert.Equal(HygieneAction.Remove, ListHygiene.Decide(_options.RemoveScore, true, Day1, Day1.AddDays(1), _options));
        Assert.Equal(HygieneAction.Remove, ListHygiene.Decide(_options.DisableScore, true, Day1, Day1 + _options.RemoveAfterDisabled, _options));
    }
}
