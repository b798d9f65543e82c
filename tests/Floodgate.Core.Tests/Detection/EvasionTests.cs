using Xunit.Abstractions;

namespace Floodgate.Core.Tests.Detection;

/// <summary>
/// Spam runs that vary each copy to look like different e-mails: one mailbox, 8 copies, each to 200
/// new external recipients, 20 to 90 s apart. Whatever the technique, the run must be stopped (held,
/// or refused by an offense) by the time 2 × cap = 400 external pieces went out, and become an
/// offense if it goes on.
/// </summary>
public sealed class EvasionTests(ITestOutputHelper output)
{
    private const int Copies = 8;
    private const int MaxRelayedBeforeStop = 400;

    private static readonly SpamRunOptions Html = new() { Format = BodyFormat.Html };

    /// <summary>Each run with the reason it is in the table.</summary>
    private static readonly Dictionary<string, (SpamRunOptions Options, string Why)> Runs = new()
    {
        ["identical-copies"] = (new SpamRunOptions(),
            "the policy's own example: the same e-mail to the cap, again and again"),
        ["hash-busting"] = (new SpamRunOptions { HashBusting = true },
            "a random name in the greeting, a random reference, a random subject"),
        ["filler-30-common-before"] = (new SpamRunOptions { FillerWords = 30, Vocabulary = FillerVocabulary.CommonWords, Placement = FillerPlacement.Before },
            "a short block of common words above the pitch"),
        ["filler-60-random-letters-after"] = (new SpamRunOptions { FillerWords = 60, Vocabulary = FillerVocabulary.RandomLetters, Placement = FillerPlacement.After },
            "letter salad below the pitch"),
        ["filler-150-news-between"] = (new SpamRunOptions { FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Between },
            "news sentences between the pitch's paragraphs"),
        ["filler-300-spanish-before"] = (new SpamRunOptions { FillerWords = 300, Vocabulary = FillerVocabulary.Spanish, Placement = FillerPlacement.Before },
            "three times the pitch's length in another language"),
        ["filler-800-news-after"] = (new SpamRunOptions { FillerWords = 800, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.After },
            "a whole article after the pitch: the pitch is a tenth of the text"),
        ["filler-60-common-mixed"] = (new SpamRunOptions { FillerWords = 60, Vocabulary = FillerVocabulary.CommonWords, Placement = FillerPlacement.Mixed },
            "filler sentences inside the pitch's paragraphs break its shingles"),
        ["hidden-display-none"] = (Html with { Hiding = Hiding.DisplayNone, FillerWords = 150, Vocabulary = FillerVocabulary.News },
            "display:none"),
        ["hidden-visibility-hidden"] = (Html with { Hiding = Hiding.VisibilityHidden, FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.After },
            "visibility:hidden"),
        ["hidden-font-size-zero"] = (Html with { Hiding = Hiding.FontSizeZero, FillerWords = 150, Vocabulary = FillerVocabulary.CommonWords, Placement = FillerPlacement.Between },
            "font-size:0"),
        ["hidden-font-size-1px"] = (Html with { Hiding = Hiding.FontSizeOnePixel, FillerWords = 150, Vocabulary = FillerVocabulary.News },
            "font-size:1px"),
        ["hidden-white-on-white"] = (Html with { Hiding = Hiding.WhiteOnWhite, FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.After },
            "white text on a white background by inline style"),
        ["hidden-font-color-on-cell"] = (Html with { Hiding = Hiding.FontColorOnCell, FillerWords = 150, Vocabulary = FillerVocabulary.Spanish },
            "<font color> equal to the table cell's bgcolor"),
        ["hidden-style-block-background"] = (Html with { Hiding = Hiding.StyleBlockBackground, FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Between },
            "text coloured like a body background set in a <style> block"),
        ["hidden-off-screen"] = (Html with { Hiding = Hiding.OffScreen, FillerWords = 150, Vocabulary = FillerVocabulary.RandomLetters },
            "position:absolute;left:-9999px"),
        ["hidden-opacity"] = (Html with { Hiding = Hiding.Opacity, FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.After },
            "opacity:0"),
        ["hidden-class"] = (Html with { Hiding = Hiding.HiddenClass, FillerWords = 150, Vocabulary = FillerVocabulary.News },
            "a class hidden by a <style> rule, a new class name per copy"),
        ["hidden-comment"] = (Html with { Hiding = Hiding.Comment, FillerWords = 300, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Mixed },
            "the filler in HTML comments, even inside the pitch's paragraphs"),
        ["hidden-zero-height"] = (Html with { Hiding = Hiding.ZeroHeight, FillerWords = 150, Vocabulary = FillerVocabulary.CommonWords },
            "height:0;overflow:hidden"),
        ["hidden-zero-width-characters"] = (new SpamRunOptions { Hiding = Hiding.ZeroWidthCharacters },
            "U+200B, U+200C, U+FEFF and soft hyphens inside the pitch's words"),
        ["hidden-zero-width-characters-html"] = (Html with { Hiding = Hiding.ZeroWidthCharacters },
            "the same in an HTML-only message"),
        ["alternative-text-part-filler-only"] = (new SpamRunOptions { Format = BodyFormat.AlternativeFillerText, FillerWords = 150, Vocabulary = FillerVocabulary.News },
            "multipart/alternative whose text part carries only filler"),
        ["alternative-hidden-mixed"] = (new SpamRunOptions { Format = BodyFormat.Alternative, Hiding = Hiding.DisplayNone, FillerWords = 60, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Mixed },
            "multipart/alternative, hidden filler spans inside the HTML pitch's paragraphs"),
        ["spintax"] = (new SpamRunOptions { Spintax = true },
            "every sentence and the subject from 3 or 4 phrasings"),
        ["link-rotation"] = (new SpamRunOptions { Rotation = LinkRotation.Subdomains },
            "the call to action on a random subdomain, path and query"),
        ["link-rotation-co-uk"] = (Html with { Rotation = LinkRotation.MultiLabelSuffix },
            "the same under a multi-label public suffix (co.uk)"),
        ["payload-phone-formats"] = (new SpamRunOptions { Pitch = 1, Payload = Payload.Phone },
            "one phone number in varying formats"),
        ["payload-reply-to-in-text"] = (new SpamRunOptions { Pitch = 2, Payload = Payload.ReplyToInText },
            "one reply address in the text"),
        ["payload-reply-to-header"] = (new SpamRunOptions { Pitch = 2, Payload = Payload.ReplyToHeader },
            "one Reply-To header"),
        ["payload-pdf"] = (new SpamRunOptions { Payload = Payload.PdfAttachment },
            "one attached PDF, the same bytes in every copy"),
        ["payload-image"] = (Html with { Pitch = 1, Payload = Payload.ImageAttachment },
            "one attached image, the same bytes in every copy"),
        ["filler+hidden"] = (Html with { FillerWords = 300, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Mixed, Hiding = Hiding.DisplayNone },
            "hidden news sentences inside the pitch's paragraphs"),
        ["spintax+link-rotation"] = (new SpamRunOptions { Spintax = true, Rotation = LinkRotation.Subdomains },
            "no sentence and no URL repeats; only the registrable domain does"),
        ["spintax+link-rotation+filler+hidden"] = (Html with { Spintax = true, Rotation = LinkRotation.Subdomains, FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Between, Hiding = Hiding.FontSizeZero },
            "the usual combination of a careful run"),
        ["spintax+filler+phone"] = (new SpamRunOptions { Pitch = 1, Payload = Payload.Phone, Spintax = true, FillerWords = 150, Vocabulary = FillerVocabulary.CommonWords, Placement = FillerPlacement.Mixed },
            "only the phone number is left"),
        ["spintax+hidden+reply-to-header"] = (Html with { Pitch = 2, Payload = Payload.ReplyToHeader, Spintax = true, FillerWords = 150, Vocabulary = FillerVocabulary.Spanish, Hiding = Hiding.HiddenClass },
            "only the Reply-To header is left"),
        ["spintax+filler+reply-to-in-text"] = (new SpamRunOptions { Pitch = 2, Payload = Payload.ReplyToInText, Spintax = true, FillerWords = 60, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.After },
            "only the reply address in the text is left"),
        ["spintax+filler+pdf"] = (new SpamRunOptions { Payload = Payload.PdfAttachment, Spintax = true, FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Before },
            "only the attachment's bytes are left"),
        ["image+hidden-filler+hash-busting"] = (Html with { Pitch = 1, Payload = Payload.ImageAttachment, HashBusting = true, Spintax = true, FillerWords = 300, Vocabulary = FillerVocabulary.News, Hiding = Hiding.WhiteOnWhite },
            "image spam: only the picture's bytes are left"),
        ["everything"] = (Html with { Spintax = true, Rotation = LinkRotation.MultiLabelSuffix, HashBusting = true, FillerWords = 300, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Mixed, Hiding = Hiding.OffScreen },
            "spintax, rotation under co.uk, hash-busting, hidden filler mixed in"),
        ["everything+zero-width"] = (new SpamRunOptions { Format = BodyFormat.Alternative, Spintax = true, Rotation = LinkRotation.Subdomains, HashBusting = true, FillerWords = 800, Vocabulary = FillerVocabulary.Spanish, Placement = FillerPlacement.Between, Hiding = Hiding.ZeroWidthCharacters },
            "visible foreign filler, spun pitch with zero-width characters, rotated link"),
    };

    public static TheoryData<string> RunNames()
    {
        var names = new TheoryData<string>();
        foreach (var name in Runs.Keys)
        {
            names.Add(name);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(RunNames))]
    public void ARunIsStoppedWithinTwiceTheCapAndGoingOnIsAnOffense(string run)
    {
        var (options, why) = Runs[run];
        AssertStopped(run, options, why);
    }

    [Theory]
    [MemberData(nameof(RunNames))]
    public void BothWalkersGiveEveryCopyTheSameFingerprint(string run)
    {
        // The doors fingerprint the raw bytes; the object model is the reference the walker must match.
        var generator = new SpamRunGenerator(Runs[run].Options);
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 3; i++)
        {
            var wire = DetectorHarness.Wire(generator.Next(at).Message);
            var parsed = Floodgate.Core.Fingerprinting.Fingerprinter.Shared.Compute(MimeKit.MimeMessage.Load(new MemoryStream(wire.ToArray())));
            Assert.Equal(parsed, Floodgate.Core.Fingerprinting.Fingerprinter.Shared.Compute(wire));
        }
    }

    [Fact]
    public void AFillerRunWithAnotherSeedIsStopped() =>
        AssertStopped("filler, seed 20261",
            new SpamRunOptions { Seed = 20261, FillerWords = 150, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.Between },
            "news filler between the paragraphs");

    [Fact]
    public void AHiddenTextRunWithAnotherSeedIsStopped() =>
        AssertStopped("hidden, seed 20262",
            Html with { Seed = 20262, Hiding = Hiding.VisibilityHidden, FillerWords = 300, Vocabulary = FillerVocabulary.CommonWords, Placement = FillerPlacement.Mixed },
            "hidden common words inside the pitch's paragraphs");

    [Fact]
    public void ASpintaxRunWithAnotherSeedIsStopped() =>
        AssertStopped("spintax, seed 20263", new SpamRunOptions { Seed = 20263, Pitch = 2, Payload = Payload.ReplyToInText, Spintax = true },
            "a spun prize pitch");

    [Fact]
    public void ALinkRotationRunWithAnotherSeedIsStopped() =>
        AssertStopped("link rotation, seed 20264", Html with { Seed = 20264, Rotation = LinkRotation.MultiLabelSuffix, Spintax = true },
            "a spun pitch with the link on random subdomains of a co.uk domain");

    [Fact]
    public void APayloadOnlyRunWithAnotherSeedIsStopped() =>
        AssertStopped("payload, seed 20265",
            new SpamRunOptions { Seed = 20265, Pitch = 1, Payload = Payload.Phone, Spintax = true, HashBusting = true, FillerWords = 60, Vocabulary = FillerVocabulary.News, Placement = FillerPlacement.After },
            "everything varies but the phone number");

    [Fact]
    public void AHashBustingRunWithAnotherSeedIsStopped() =>
        AssertStopped("hash-busting, seed 20266", new SpamRunOptions { Seed = 20266, Pitch = 1, Payload = Payload.Phone, HashBusting = true },
            "random names, references and subjects");

    [Fact]
    public void TheGeneratorIsDeterministicAndCopiesShareNoRecipient()
    {
        var options = Html with { Spintax = true, Rotation = LinkRotation.Subdomains, FillerWords = 60, Hiding = Hiding.DisplayNone };
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var a = new SpamRunGenerator(options);
        var b = new SpamRunGenerator(options);
        var seen = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            var first = a.Next(at);
            var second = b.Next(at);
            Assert.Equal(first.Message.HtmlBody, second.Message.HtmlBody);
            Assert.Equal(first.Message.MessageId, second.Message.MessageId);
            Assert.Equal(200, first.Recipients.Count);
            Assert.All(first.Recipients, r => Assert.True(seen.Add(r), r));
        }
    }

    /// <summary>Sends the run and asserts the stop and the offense; the figures go to the test output either way.</summary>
    private void AssertStopped(string run, SpamRunOptions options, string why)
    {
        var harness = new DetectorHarness();
        var generator = new SpamRunGenerator(options);
        for (var i = 0; i < Copies; i++)
        {
            harness.Time.Advance(TimeSpan.FromSeconds(generator.Random.Next(20, 91)));
            var copy = generator.Next(harness.Time.GetUtcNow());
            harness.Send(copy.Message, copy.Recipients);
        }

        var first = harness.Sink.Holds.Concat(harness.Sink.Offenses).FirstOrDefault();
        var by = first is null ? "nothing" : string.Join("+", first.Signals.Where(s => s.Score > 0).Select(s => s.Rule));
        var figures = $"{run}: relayed before first stop {harness.RelayedBeforeFirstStop}, relayed {harness.RelayedExternal}, held {harness.Held}, offenses {harness.Offenses}, refused recipients {harness.RefusedRecipients}, first stopped by {by} ({why})";
        output.WriteLine(figures);
        Assert.True(harness.RelayedBeforeFirstStop is >= 0 and <= MaxRelayedBeforeStop, "not stopped within 2 × cap: " + figures);
        Assert.True(harness.Offenses >= 1, "no offense by the end of the run: " + figures);
    }
}
