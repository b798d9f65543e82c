using Floodgate.Core.Fingerprinting;
using MimeKit;

namespace Floodgate.Core.Tests.Fingerprinting;

/// <summary>What a run cannot vary: link domains, addresses, phone numbers, attachments.</summary>
public sealed class PayloadTests
{
    [Theory]
    [InlineData("shop.example.co.uk", "example.co.uk")]
    [InlineData("a.b.c.example.com", "example.com")]
    [InlineData("example.com", "example.com")]
    [InlineData("EXAMPLE.COM.", "EXAMPLE.COM")]
    [InlineData("co.uk", "co.uk")]
    [InlineData("promo.deals.example.com.au", "example.com.au")]
    [InlineData("x.y.appspot.com", "y.appspot.com")]
    [InlineData("localhost", "localhost")]
    [InlineData("192.0.2.7", "192.0.2.7")]
    public void TheRegistrableDomainFollowsThePublicSuffixList(string host, string expected) =>
        Assert.Equal(expected, PublicSuffixList.Shared.RegistrableDomain(host).ToString());

    [Fact]
    public void WildcardAndExceptionRulesApply()
    {
        var list = PublicSuffixList.Parse(new StringReader("// comment\nck\n*.ck\n!www.ck\nuk\nco.uk\n"));

        Assert.Equal("a.b.ck", list.RegistrableDomain("x.a.b.ck").ToString());
        Assert.Equal("www.ck", list.RegistrableDomain("shop.www.ck").ToString());
        Assert.Equal("example.co.uk", list.RegistrableDomain("a.example.co.uk").ToString());
    }

    [Fact]
    public void DebiansListIsRead()
    {
        // CI installs the publicsuffix package; without it the fallback would answer most of the above too.
        if (Environment.GetEnvironmentVariable("CI") == "true" || File.Exists(PublicSuffixList.DefaultPath))
        {
            Assert.True(PublicSuffixList.Shared.FromFile);
            Assert.True(PublicSuffixList.Shared.RuleCount > 5000);
        }
    }

    [Fact]
    public void LinksOnRotatedSubdomainsAndPathsShareTheirDomain()
    {
        var a = Text("Order now at https://k2j4h.deals-example.co.uk/x/93jdk?u=1 before it ends.");
        var b = Text("Last chance: http://www.promo-77.deals-example.co.uk/landing/offer?id=zz9 today.");
        var c = Text("Order now at https://k2j4h.other-example.co.uk/x/93jdk?u=1 before it ends.");

        Assert.Contains(a.Payload.ToArray(), k => ContentFingerprint.KindOf(k) == PayloadKind.LinkDomain);
        Assert.NotEqual(0UL, a.SharedPayload(b, []));
        Assert.Equal(0UL, a.SharedPayload(c, []));
    }

    [Fact]
    public void TheClientsOwnDomainIsNoPayload()
    {
        var a = Text("See https://www.acme.test/offers and https://shop.acme.test/a for details.");
        var b = Text("Read https://blog.acme.test/news before Friday.");

        Assert.NotEqual(0UL, a.SharedPayload(b, []));
        Assert.Equal(0UL, a.SharedPayload(b, [ContentFingerprint.DomainHash("acme.test")]));
    }

    [Theory]
    [InlineData("+1 (555) 201-7788")]
    [InlineData("555.201.7788")]
    [InlineData("+1-555-201-7788")]
    [InlineData("(555) 201 7788")]
    [InlineData("+15552017788")]
    public void APhoneNumberIsOneKeyHoweverItIsWritten(string written)
    {
        var reference = Text("Call us on 555-201-7788 to claim your prize.");
        var other = Text($"Ring {written} now, lines are open.");

        var key = reference.SharedPayload(other, []);
        Assert.Equal(PayloadKind.Phone, ContentFingerprint.KindOf(key));
    }

    [Theory]
    [InlineData("The meeting is on 2026-12-03 at 10:30.")]
    [InlineData("Your total is $1,299.00, order 55512345.")]
    [InlineData("Version 10.0.15 is out.")]
    [InlineData("Invoice 201777881 is attached.")]
    public void DatesAmountsAndPlainNumbersAreNoPhone(string text) =>
        Assert.DoesNotContain(Text(text).Payload.ToArray(), k => ContentFingerprint.KindOf(k) == PayloadKind.Phone);

    [Fact]
    public void AnAddressInTheTextAndInReplyToIsPayload()
    {
        var inText = Text("Write to claims.desk@winner-example.net to receive it.");
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.ReplyTo.Add(MailboxAddress.Parse("Claims <claims.desk@winner-example.net>"));
        message.Subject = "Hello";
        message.Body = new TextPart("plain") { Text = "Reply to this message to receive it." };
        var inHeader = Fingerprinter.Shared.Compute(message);

        var key = inText.SharedPayload(inHeader, []);
        Assert.Equal(PayloadKind.Address, ContentFingerprint.KindOf(key));
    }

    [Fact]
    public void TheSameAttachmentBytesAreOneKeyInBothWalkers()
    {
        var pdf = new byte[3000];
        new Random(5).NextBytes(pdf);
        byte[] Raw(string text)
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("ann@acme.test"));
            message.Subject = text;
            var body = new Multipart("mixed")
            {
                new TextPart("plain") { Text = text },
                new MimePart("application", "pdf") { Content = new MimeContent(new MemoryStream(pdf)), ContentTransferEncoding = ContentEncoding.Base64, FileName = "offer.pdf" },
            };
            message.Body = body;
            var stream = new MemoryStream();
            message.WriteTo(stream);
            return stream.ToArray();
        }

        var first = Raw("First wording of the letter.");
        var second = Raw("Another wording, the same file.");
        var raw = Fingerprinter.Shared.Compute(new ReadOnlyMemory<byte>(first));
        var parsed = Fingerprinter.Shared.Compute(MimeMessage.Load(new MemoryStream(first)));
        var other = Fingerprinter.Shared.Compute(new ReadOnlyMemory<byte>(second));

        Assert.Equal(raw, parsed);
        Assert.Equal(PayloadKind.Attachment, ContentFingerprint.KindOf(raw.SharedPayload(other, [])));
    }

    [Fact]
    public void AStoredFingerprintKeepsItsPayloadAnchorsAndHiddenWords()
    {
        var html = "<html><body><p>" + string.Join(' ', Enumerable.Repeat("visible words in the pitch", 20)) +
            " https://a.example-shop.net/x</p><div style=\"display:none\">" + string.Join(' ', Enumerable.Range(0, 50).Select(i => "hidden" + (char)('a' + (i % 26)))) + "</div></body></html>";
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.Body = new TextPart("html") { Text = html };
        var original = Fingerprinter.Shared.Compute(message);

        Assert.True(ContentFingerprint.TryFromBytes(original.ToBytes(), out var stored));

        Assert.Equal(original, stored);
        Assert.Equal(50, stored.HiddenWords);
        Assert.False(stored.Anchors.IsEmpty);
        Assert.False(stored.Payload.IsEmpty);
    }

    [Fact]
    public void AFingerprintStoredBeforeAnchorsIsStillRead()
    {
        var original = Text("hello there, see you soon at the usual place and time");
        var v1 = new byte[14 + (ContentFingerprint.Size * 4)];
        v1[0] = 1;
        BitConverter.TryWriteBytes(v1.AsSpan(2), original.FeatureCount);
        BitConverter.TryWriteBytes(v1.AsSpan(6), original.ExactHash);
        for (int i = 0; i < ContentFingerprint.Size; i++)
        {
            BitConverter.TryWriteBytes(v1.AsSpan(14 + (i * 4)), original.Values[i]);
        }

        Assert.True(ContentFingerprint.TryFromBytes(v1, out var stored));
        Assert.Equal(1.0, stored.Similarity(original));
        Assert.True(stored.Anchors.IsEmpty);
    }

    internal static ContentFingerprint Text(string text)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.Subject = "Hello";
        message.Body = new TextPart("plain") { Text = text };
        return Fingerprinter.Shared.Compute(message);
    }
}
