using Floodgate.Core.Fingerprinting;
using MimeKit;
using Xunit.Abstractions;

namespace Floodgate.Core.Tests.Fingerprinting;

public sealed class FingerprinterTests(ITestOutputHelper output)
{
    private const double Similar = 0.8;
    private const double Dissimilar = 0.3;

    private readonly Fingerprinter _fingerprinter = Fingerprinter.Shared;

    [Fact]
    public void IdenticalMessagesHaveSimilarityOne()
    {
        var mail = new MailCorpus(1).MeetingNotes();

        double similarity = Compare(mail.ToMessage(MailFormat.Alternative), mail.ToMessage(MailFormat.Alternative));

        Assert.Equal(1.0, similarity);
    }

    [Fact]
    public void ARandomTokenPerCopyKeepsSimilarityHigh()
    {
        var corpus = new MailCorpus(2);
        var mail = corpus.Invoice();

        var first = WithExtraParagraph(mail, $"Your customer reference is {corpus.Token()} and your tracking code is {corpus.Token()}.");
        var second = WithExtraParagraph(mail, $"Your customer reference is {corpus.Token()} and your tracking code is {corpus.Token()}.");

        Assert.InRange(Compare(first.ToMessage(MailFormat.Plain), second.ToMessage(MailFormat.Plain)), Similar, 1.0);
    }

    [Fact]
    public void AnOrdinaryWordChangedPerCopyKeepsSimilarityHigh()
    {
        // No placeholder catches a coupon word: this is the MinHash estimate at work, not normalisation.
        var mail = new MailCorpus(13).Invoice();

        var first = WithExtraParagraph(mail, "Use the code SUNFLOWER at checkout for a discount on your next order.");
        var second = WithExtraParagraph(mail, "Use the code MARIGOLD at checkout for a discount on your next order.");

        Assert.InRange(Compare(first.ToMessage(MailFormat.Plain), second.ToMessage(MailFormat.Plain)), Similar, 1.0);
    }

    [Fact]
    public void AGreetingWithADifferentNamePerCopyKeepsSimilarityHigh()
    {
        var mail = new MailCorpus(3).PersonalReply();

        double dear = Compare(mail.WithGreeting("Dear John,").ToMessage(MailFormat.Alternative),
            mail.WithGreeting("Dear Mary Jane Watson,").ToMessage(MailFormat.Alternative));
        double hi = Compare(mail.WithGreeting("Hi Mary").ToMessage(MailFormat.Plain),
            mail.WithGreeting("Hi Aisha").ToMessage(MailFormat.Plain));
        double hello = Compare(mail.WithGreeting("Hello <Carlos>!").ToMessage(MailFormat.Html),
            mail.WithGreeting("Hello <Wei>!").ToMessage(MailFormat.Html));

        Assert.InRange(dear, Similar, 1.0);
        Assert.InRange(hi, Similar, 1.0);
        Assert.InRange(hello, Similar, 1.0);
    }

    [Fact]
    public void AChangedSubjectKeepsSimilarityHigh()
    {
        var mail = new MailCorpus(4).Invoice();

        double similarity = Compare(mail.ToMessage(MailFormat.Alternative),
            mail.WithSubject("URGENT: your account statement is overdue, act now").ToMessage(MailFormat.Alternative));

        Assert.InRange(similarity, Similar, 1.0);
    }

    [Fact]
    public void ReorderedParagraphsKeepSimilarityHigh()
    {
        var mail = new MailCorpus(5).MeetingNotes();
        var reordered = mail.Paragraphs.Reverse().ToList();

        double similarity = Compare(mail.ToMessage(MailFormat.Plain), mail.WithParagraphs(reordered).ToMessage(MailFormat.Plain));

        Assert.InRange(similarity, Similar, 1.0);
    }

    [Fact]
    public void ReorderedParagraphsInHtmlKeepSimilarityHigh()
    {
        var mail = new MailCorpus(14).Newsletter([1, 3, 5, 7]);
        var reordered = mail.Paragraphs.ToList();
        (reordered[1], reordered[3]) = (reordered[3], reordered[1]);

        double similarity = Compare(mail.ToMessage(MailFormat.Html), mail.WithParagraphs(reordered).ToMessage(MailFormat.Html));

        Assert.InRange(similarity, Similar, 1.0);
    }

    [Fact]
    public void TheSameTextAsHtmlAndAsPlainTextIsSimilar()
    {
        var mail = new MailCorpus(6).Newsletter([0, 3, 5]);

        double similarity = Compare(mail.ToMessage(MailFormat.Html), mail.ToMessage(MailFormat.Plain));

        Assert.InRange(similarity, Similar, 1.0);
    }

    [Fact]
    public void DifferentTrackingParametersInLinksKeepSimilarityHigh()
    {
        var corpus = new MailCorpus(7);
        var mail = corpus.Newsletter([1, 2, 6]);

        // Newsletter() draws fresh tracking parameters and issue ids each time; take only the links from a second draw.
        var relinked = mail.WithLinks(corpus.Newsletter([1, 2, 6]).Links);

        Assert.NotEqual(mail.Links[0].Url, relinked.Links[0].Url);
        Assert.InRange(Compare(mail.ToMessage(MailFormat.Alternative), relinked.ToMessage(MailFormat.Alternative)), Similar, 1.0);
    }

    [Fact]
    public void AnImageOnlyMessageWithADifferentLinkIsSimilar()
    {
        var corpus = new MailCorpus(8);

        var first = ImageOnly(seed: 80, imageBytes: 24_000, "summer-sale.jpg", $"https://promo.shop.example/c/{corpus.Token()}?utm_source=x&id={corpus.Token()}");
        var second = ImageOnly(seed: 80, imageBytes: 24_000, "summer-sale.jpg", $"https://promo.shop.example/c/{corpus.Token()}?utm_source=y&id={corpus.Token()}");

        Assert.InRange(Compare(first, second), Similar, 1.0);
    }

    [Fact]
    public void AnImageOnlyMessageIsMarkedAsHavingLittleText()
    {
        var message = ImageOnly(seed: 81, imageBytes: 10_000, "offer.png", "https://promo.shop.example/offer");

        var fingerprint = _fingerprinter.Compute(message);

        Assert.True(fingerprint.HasLittleText);
        Assert.True(fingerprint.FeatureCount > 0);
    }

    [Fact]
    public void DifferentImageOnlyMessagesAreDissimilar()
    {
        var first = ImageOnly(seed: 82, imageBytes: 24_000, "summer-sale.jpg", "https://promo.shop.example/c/summer");
        var second = ImageOnly(seed: 83, imageBytes: 61_000, "invitation.png", "https://events.example.org/rsvp/gala");

        Assert.InRange(Compare(first, second), 0.0, Dissimilar);
    }

    public static TheoryData<string, string, string> DifferentBusinessMail => new()
    {
        { "meeting notes", "invoice", "different purpose, no shared phrasing" },
        { "meeting notes", "newsletter", "internal notes against marketing" },
        { "meeting notes", "personal reply", "work against private" },
        { "invoice", "newsletter", "billing against marketing" },
        { "invoice", "personal reply", "billing against private" },
        { "newsletter", "personal reply", "marketing against private" },
    };

    [Theory]
    [MemberData(nameof(DifferentBusinessMail))]
    public void DifferentOrdinaryBusinessMailIsDissimilar(string first, string second, string reason)
    {
        _ = reason;
        var corpus = new MailCorpus(9);

        double similarity = Compare(Make(corpus, first).ToMessage(MailFormat.Alternative), Make(corpus, second).ToMessage(MailFormat.Alternative));

        output.WriteLine($"{first} vs {second}: {similarity:F3}");
        Assert.InRange(similarity, 0.0, Dissimilar);
    }

    [Fact]
    public void NewslettersFromTheSameTemplateWithDifferentArticlesAreClearlyBelowTheThreshold()
    {
        var corpus = new MailCorpus(10);

        double similarity = Compare(corpus.Newsletter([0, 1, 2]).ToMessage(MailFormat.Alternative),
            corpus.Newsletter([4, 5, 7]).ToMessage(MailFormat.Alternative));

        Assert.InRange(similarity, 0.0, 0.6);
    }

    [Fact]
    public void ComputingFromRawBytesEqualsComputingFromTheParsedMessage()
    {
        var message = new MailCorpus(11).Newsletter([2, 3]).ToMessage(MailFormat.Alternative);
        using var stream = new MemoryStream();
        message.WriteTo(stream);

        var fromBytes = _fingerprinter.Compute(new ReadOnlyMemory<byte>(stream.ToArray()));
        var fromMessage = _fingerprinter.Compute(message);

        Assert.Equal(fromMessage, fromBytes);
    }

    [Fact]
    public void QuotedPrintableAndBase64BodiesGiveTheSameFingerprint()
    {
        var mail = new MailCorpus(12).PersonalReply();
        var quoted = mail.ToMessage(MailFormat.Plain);
        var base64 = mail.ToMessage(MailFormat.Plain);
        ((MimePart)quoted.Body!).ContentTransferEncoding = ContentEncoding.QuotedPrintable;
        ((MimePart)base64.Body!).ContentTransferEncoding = ContentEncoding.Base64;

        Assert.Equal(1.0, Compare(Reparse(quoted), Reparse(base64)));
    }

    private double Compare(MimeMessage first, MimeMessage second, [System.Runtime.CompilerServices.CallerMemberName] string? test = null)
    {
        var a = _fingerprinter.Compute(Reparse(first));
        var b = _fingerprinter.Compute(Reparse(second));
        double similarity = a.Similarity(b);
        output.WriteLine($"{test}: similarity {similarity:F3} (features {a.FeatureCount}/{b.FeatureCount})");
        return similarity;
    }

    /// <summary>Round-trips through bytes, as a message arrives at the end of DATA.</summary>
    private static MimeMessage Reparse(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return MimeMessage.Load(stream);
    }

    private static Mail WithExtraParagraph(Mail mail, string paragraph)
    {
        var paragraphs = mail.Paragraphs.ToList();
        paragraphs.Insert(1, paragraph);
        return mail.WithParagraphs(paragraphs);
    }

    private static Mail Make(MailCorpus corpus, string kind) => kind switch
    {
        "meeting notes" => corpus.MeetingNotes(),
        "invoice" => corpus.Invoice(),
        "newsletter" => corpus.Newsletter([0, 4, 6]),
        "personal reply" => corpus.PersonalReply(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>An image-only mail: a linked banner in multipart/related, no text to speak of.</summary>
    private static MimeMessage ImageOnly(int seed, int imageBytes, string imageName, string link)
    {
        var image = new byte[imageBytes];
        new Random(seed).NextBytes(image);
        var builder = new BodyBuilder();
        var banner = builder.LinkedResources.Add(imageName, image, new ContentType("image", imageName.EndsWith(".png", StringComparison.Ordinal) ? "png" : "jpeg"));
        banner.ContentId = MimeKit.Utils.MimeUtils.GenerateMessageId();
        builder.HtmlBody = $"<html><body><center><a href=\"{link}\"><img src=\"cid:{banner.ContentId}\" width=\"600\"></a></center></body></html>";
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Shop", "deals@shop.example"));
        message.To.Add(new MailboxAddress("", "someone@example.org"));
        message.Subject = "Only today";
        message.Body = builder.ToMessageBody();
        return message;
    }
}
