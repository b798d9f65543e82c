using System.Security.Cryptography;
using System.Text;
using Floodgate.Core.Lists;
using MimeKit;
using MimeKit.Cryptography;

namespace Floodgate.Core.Tests.Lists;

public sealed class ListPostCopiesTests
{
    private static readonly ListIdentity List = new("Acme News", "news@lists.acme.example", "news.lists.acme.example");

    private static MemberLinks Member(string address, string token) =>
        new(address, "https://floodgate.example/l/unsubscribe/" + token, $"mailto:news+unsubscribe-{token}@lists.acme.example?subject=unsubscribe");

    private static MimeMessage Post(string body, string? contentType = null)
    {
        var raw = "From: Alice <alice@acme.example>\r\nTo: news@lists.acme.example\r\nSubject: December news\r\n" +
            "Message-ID: <post-1@acme.example>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
            "Return-Path: <alice@acme.example>\r\nDKIM-Signature: v=1; a=rsa-sha256; d=acme.example; s=old; b=abc\r\n" +
            "List-Unsubscribe: <https://evil.example/u>\r\nBcc: hidden@acme.example\r\n" +
            (contentType ?? "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n") + "\r\n" + body;
        return MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw)));
    }

    private static MimeMessage Copy(ListPostCopies copies, MemberLinks member)
    {
        using var output = new MemoryStream();
        copies.WriteCopy(member, output);
        output.Position = 0;
        return MimeMessage.Load(output);
    }

    [Fact]
    public void EveryCopyCarriesTheListHeadersWithItsOwnMembersLinks()
    {
        var copies = new ListPostCopies(Post("Hello all.\r\n"), List, signer: null);
        var first = Copy(copies, Member("bob@example.org", "tokenbob"));
        var second = Copy(copies, Member("carol@example.net", "tokencarol"));

        Assert.Equal("\"Acme News\" <news.lists.acme.example>", first.Headers[HeaderId.ListId]);
        Assert.Equal("<https://floodgate.example/l/unsubscribe/tokenbob>, <mailto:news+unsubscribe-tokenbob@lists.acme.example?subject=unsubscribe>", first.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("List-Unsubscribe=One-Click", first.Headers[HeaderId.ListUnsubscribePost]);
        Assert.Contains("tokencarol", second.Headers[HeaderId.ListUnsubscribe]);
        Assert.DoesNotContain("tokenbob", second.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("list", first.Headers["Precedence"]);
    }

    [Fact]
    public void TheOldTripsHeadersAndTheFormerListHeadersAreGone()
    {
        var copy = Copy(new ListPostCopies(Post("Hello.\r\n"), List, null), Member("bob@example.org", "t"));
        Assert.False(copy.Headers.Contains(HeaderId.ReturnPath));
        Assert.False(copy.Headers.Contains(HeaderId.Bcc));
        Assert.False(copy.Headers.Contains(HeaderId.DkimSignature));
        Assert.Single(copy.Headers, h => h.Id == HeaderId.ListUnsubscribe);
        Assert.DoesNotContain("evil.example", copy.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("December news", copy.Subject);
        Assert.Equal("post-1@acme.example", copy.MessageId);
    }

    [Fact]
    public void APlainTextPostGetsTheVisibleLineInline()
    {
        var copy = Copy(new ListPostCopies(Post("Hello all.\r\n"), List, null), Member("bob@example.org", "tokenbob"));
        var text = copy.TextBody;
        Assert.StartsWith("Hello all.", text);
        Assert.Contains("Unsubscribe: https://floodgate.example/l/unsubscribe/tokenbob", text);
        Assert.Contains("bob@example.org", text);
    }

    [Fact]
    public void AnHtmlPostKeepsItsBodyAndGetsTheLineAsASecondPart()
    {
        var post = Post("<p>Hello <b>all</b></p>\r\n", "Content-Type: text/html; charset=utf-8\r\n");
        var copy = Copy(new ListPostCopies(post, List, null), Member("bob@example.org", "tokenbob"));
        var mixed = Assert.IsType<Multipart>(copy.Body);
        Assert.Equal("mixed", mixed.ContentType.MediaSubtype);
        Assert.Contains("<b>all</b>", copy.HtmlBody);
        var footer = Assert.IsType<TextPart>(mixed[^1]);
        Assert.Contains("https://floodgate.example/l/unsubscribe/tokenbob", footer.Text);
    }

    [Fact]
    public void ANonAsciiListNameSurvivesInTheFooter()
    {
        var list = List with { Name = "Acme Nachrichten für Kunden" };
        var copy = Copy(new ListPostCopies(Post("Grüße.\r\n"), list, null), Member("bob@example.org", "t"));
        Assert.Contains("für Kunden", copy.TextBody);
        Assert.Contains("Grüße.", copy.TextBody);
    }

    [Fact]
    public void ADkimSignatureCoversTheListHeadersAndVerifies()
    {
        using var rsa = RSA.Create(2048);
        var pem = Path.GetTempFileName();
        File.WriteAllText(pem, rsa.ExportRSAPrivateKeyPem());
        try
        {
            var signer = new ListDkimSigner(pem, "lists.acme.example", "fg");
            var copies = new ListPostCopies(Post("Hello all.\r\n"), List, signer);
            var locator = new OneKey("v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
            var verifier = new DkimVerifier(locator);
            foreach (var (address, token) in new[] { ("bob@example.org", "tokenbob"), ("carol@example.net", "tokencarol") })
            {
                var copy = Copy(copies, Member(address, token));
                var signatures = copy.Headers.Where(h => h.Id == HeaderId.DkimSignature).ToList();
                var signature = Assert.Single(signatures);
                Assert.Contains("list-unsubscribe", signature.Value, StringComparison.OrdinalIgnoreCase);
                Assert.Contains("list-unsubscribe-post", signature.Value, StringComparison.OrdinalIgnoreCase);
                Assert.True(verifier.Verify(copy, signature), "the copy's DKIM signature verifies");

                // Changing the member's link breaks it: the link is covered (RFC 8058 3).
                copy.Headers.Replace(HeaderId.ListUnsubscribe, "<https://evil.example/u>");
                Assert.False(verifier.Verify(copy, signature));
            }
        }
        finally
        {
            File.Delete(pem);
        }
    }

    private sealed class OneKey(string txt) : DkimPublicKeyLocatorBase
    {
        public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            GetPublicKey(txt);

        public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(GetPublicKey(txt));
    }
}
