using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Text;

namespace Floodgate.Core.Lists;

/// <summary>What every copy of a post says about its list.</summary>
/// <param name="ListId">RFC 2919 list identifier, a dotted name such as <c>news.example.com</c>.</param>
public sealed record ListIdentity(string Name, string Address, string ListId);

/// <summary>One member's part of a copy: its address and the links that act for it.</summary>
public sealed record MemberLinks(string Address, string UnsubscribeUrl, string UnsubscribeMailto);

/// <summary>
/// Builds each member's copy of one post. The post is parsed once; per member only the
/// List-Unsubscribe header and the footer change, then the copy is DKIM-signed when a signer is set.
/// RFC 8058 3: List-Unsubscribe and List-Unsubscribe-Post must be covered by the signature, and
/// each copy's link names its member, so each copy is signed on its own. Not thread-safe: one post
/// is expanded by one worker, copy after copy.
/// </summary>
public sealed class ListPostCopies
{
    // Headers that belonged to the post's trip to the list, or that a list replaces.
    private static readonly string[] Dropped =
    [
        "Return-Path", "Delivered-To", "X-Original-To", "Bcc", "DKIM-Signature", "ARC-Seal",
        "ARC-Message-Signature", "ARC-Authentication-Results", "Authentication-Results", "List-Id",
        "List-Unsubscribe", "List-Unsubscribe-Post", "List-Post", "List-Help", "List-Subscribe",
        "List-Owner", "List-Archive", "Precedence",
    ];

    private static readonly HeaderId[] Signed =
    [
        HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId,
        HeaderId.ListId, HeaderId.ListUnsubscribe, HeaderId.ListUnsubscribePost, HeaderId.MimeVersion, HeaderId.ContentType,
    ];

    private readonly MimeMessage _message;
    private readonly TextPart _footer;
    private readonly string _original;
    private readonly bool _inline;
    private readonly ListIdentity _list;
    private readonly DkimSigner? _signer;
    private readonly FormatOptions _format;

    public ListPostCopies(MimeMessage post, ListIdentity list, DkimSigner? signer)
    {
        ArgumentNullException.ThrowIfNull(post);
        _message = post;
        _list = list;
        _signer = signer;
        _format = FormatOptions.Default.Clone();
        _format.NewLineFormat = NewLineFormat.Dos;

        foreach (var name in Dropped)
        {
            while (post.Headers.Contains(name))
            {
                post.Headers.Remove(name);
            }
        }

        post.Headers.Add("List-Id", $"\"{Quote(list.Name)}\" <{list.ListId}>");
        // RFC 2369 3.4: an announcement list takes no posts from its readers.
        post.Headers.Add("List-Post", "NO");
        post.Headers.Add("List-Unsubscribe", "<>");
        // RFC 8058 3.1: the POST a mail client makes for one-click unsubscribe.
        post.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        post.Headers.Add("Precedence", "list");
        // RFC 3834: list mail; auto-responders should not answer.
        if (!post.Headers.Contains(HeaderId.AutoSubmitted))
        {
            post.Headers.Add("Auto-Submitted", "auto-generated");
        }

        // A plain text body in 7bit or 8bit takes the footer inline, as a reader expects; anything
        // else (HTML, multipart, encoded text) gets it as a second part, so the original stays as sent.
        if (post.Body is TextPart { IsPlain: true, IsAttachment: false } text
            && text.ContentTransferEncoding is ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit)
        {
            _inline = true;
            _footer = text;
            _original = text.Text;
        }
        else
        {
            _footer = new TextPart(TextFormat.Plain) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
            _original = string.Empty;
            var mixed = new Multipart("mixed");
            if (post.Body is not null)
            {
                mixed.Add(post.Body);
            }

            mixed.Add(_footer);
            post.Body = mixed;
        }
    }

    public MimeMessage Message => _message;

    /// <summary>The visible line, the same words in every copy but the member's own link.</summary>
    public static string FooterText(ListIdentity list, MemberLinks member)
    {
        var mailto = member.UnsubscribeMailto.AsSpan("mailto:".Length);
        var query = mailto.IndexOf('?');
        var address = query < 0 ? mailto : mailto[..query];
        return $"You receive this because {member.Address} subscribed to {list.Name} ({list.Address}).\r\n" +
            $"Unsubscribe: {member.UnsubscribeUrl}\r\n" +
            $"or send an e-mail to {address}\r\n";
    }

    /// <summary>Writes the member's copy, dot-stuffing not included (the relay does it).</summary>
    public void WriteCopy(MemberLinks member, Stream output)
    {
        ArgumentNullException.ThrowIfNull(member);
        _message.Headers.Replace("List-Unsubscribe", $"<{member.UnsubscribeUrl}>, <{member.UnsubscribeMailto}>");
        var footer = FooterText(_list, member);
        if (_inline)
        {
            var separator = _original.Length == 0 || _original.EndsWith('\n') ? string.Empty : "\r\n";
            var charset = _footer.ContentType.Charset is { Length: > 0 } c ? c : "utf-8";
            _footer.SetText(charset, _original + separator + "-- \r\n" + footer);
        }
        else
        {
            _footer.SetText("utf-8", footer);
        }

        _message.Headers.RemoveAll(HeaderId.DkimSignature);
        if (_signer is not null)
        {
            _message.Prepare(EncodingConstraint.SevenBit);
            _signer.Sign(_format, _message, Signed);
        }

        _message.WriteTo(_format, output);
    }

    private static string Quote(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
