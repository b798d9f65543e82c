using Floodgate.Core.Detection;

namespace Floodgate.Core.Tests.Detection;

/// <summary>Each new signal says what it saw, and each runs in observe mode.</summary>
public sealed class ExplainedSignalsTests
{
    private static readonly SpamRunOptions Filler = new() { Seed = 5, FillerWords = 300, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Before };

    private static readonly SpamRunOptions Spun = new() { Seed = 6, Format = BodyFormat.Html, Spintax = true, Rotation = LinkRotation.Subdomains };

    [Fact]
    public void ContainmentIsExplainedWithItsAnchorsAndTheMatchOfEachCopy()
    {
        var t = Run(Filler, copies: 2);

        var held = Assert.Single(t.Sink.Holds);
        var signal = Assert.Single(held.Signals, s => s.Rule == "contained");
        Assert.Contains("shared anchors", signal.Explanation);
        Assert.Contains(held.Evidence, e => e.Match is { } m && m.StartsWith("contains ", StringComparison.Ordinal) && m.EndsWith("anchors of the same text", StringComparison.Ordinal));
    }

    [Fact]
    public void APayloadMatchNamesWhatTheCopiesShare()
    {
        var t = Run(Spun, copies: 2);

        var held = Assert.Single(t.Sink.Holds);
        var signal = Assert.Single(held.Signals, s => s.Rule == "payload");
        Assert.Contains("the same link domain", signal.Explanation);
        Assert.Contains(held.Evidence, e => e.Match == "the same link domain");
    }

    [Theory]
    [InlineData("contained")]
    [InlineData("payload")]
    public void AnObservedRuleLetsTheRunThroughAndLogsWhatItWouldHaveDone(string rule)
    {
        var t = Run(rule == "contained" ? Filler : Spun, copies: 4, o =>
        {
            o.ContainedRule = rule == "contained" ? RuleMode.Observe : RuleMode.Enforce;
            o.PayloadRule = RuleMode.Observe;
        });

        Assert.Empty(t.Sink.Holds);
        Assert.Empty(t.Sink.Offenses);
        Assert.Contains(t.Sink.Observations, r => r.Signals.Any(s => s.Rule == rule && s.Mode == RuleMode.Observe) && r.ObservedAction != DetectionAction.Allow);
    }

    [Fact]
    public void ARuleTurnedOffIsNotJudged()
    {
        var t = Run(Spun, copies: 4, o => o.PayloadRule = RuleMode.Off);

        Assert.Empty(t.Sink.Holds);
        Assert.DoesNotContain(t.Sink.Observations, r => r.Signals.Any(s => s.Rule == "payload"));
    }

    private static DetectorHarness Run(SpamRunOptions options, int copies, Action<DetectionOptions>? configure = null)
    {
        var t = new DetectorHarness(configure);
        var generator = new SpamRunGenerator(options);
        for (var i = 0; i < copies; i++)
        {
            t.Time.Advance(TimeSpan.FromSeconds(45));
            var copy = generator.Next(t.Time.GetUtcNow());
            t.Send(copy.Message, copy.Recipients);
        }

        return t;
    }
}

public sealed class DetectionOptionsTests
{
    [Fact]
    public void TheDefaultsAreValid() => Assert.Empty(new DetectionOptions().Validate());

    [Theory]
    [InlineData(nameof(DetectionOptions.ContainmentMinAnchors), "Detection:ContainmentMinAnchors")]
    [InlineData(nameof(DetectionOptions.RecipientMemoryBytes), "Detection:RecipientMemoryBytes")]
    [InlineData(nameof(DetectionOptions.BurstMinShare), "Detection:Burst")]
    [InlineData(nameof(DetectionOptions.ListKnownShare), "Detection:ListKnownShare")]
    [InlineData(nameof(DetectionOptions.HiddenTextMinShare), "Detection:HiddenTextMinWords/HiddenTextMinShare")]
    public void AnOutOfRangeSettingIsNamed(string setting, string named)
    {
        var o = new DetectionOptions();
        switch (setting)
        {
            case nameof(DetectionOptions.ContainmentMinAnchors): o.ContainmentMinAnchors = 0; break;
            case nameof(DetectionOptions.RecipientMemoryBytes): o.RecipientMemoryBytes = 100; break;
            case nameof(DetectionOptions.BurstMinShare): o.BurstMinShare = 1.5; break;
            case nameof(DetectionOptions.ListKnownShare): o.ListKnownShare = -0.1; break;
            default: o.HiddenTextMinShare = 2; break;
        }

        Assert.Contains(o.Validate(), e => e.StartsWith(named, StringComparison.Ordinal));
    }
}
