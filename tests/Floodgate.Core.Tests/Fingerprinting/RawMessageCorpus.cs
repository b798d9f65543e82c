using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Floodgate.Core.Tests.Fingerprinting;

/// <summary>
/// Raw messages of every shape the fingerprint meets: MimeKit-written mail (multipart, nested, base64,
/// quoted-printable, charsets, HTML only, attachments, inline images, forwarded messages, digests) and
/// hand-written malformed MIME, each with a name that says what it exercises. Fixed seeds.
/// </summary>
internal static class RawMessageCorpus
{
    public static IEnumerable<(string Name, byte[] Raw)> Wellformed()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        for (int seed = 1; seed <= 3; seed++)
        {
            var corpus = new MailCorpus(100 + seed);
            var mails = new (string, Mail)[]
            {
                ("meeting notes", corpus.MeetingNotes()),
                ("invoice", corpus.Invoice()),
                ("personal reply", corpus.PersonalReply()),
                ("newsletter", corpus.Newsletter([0, 2, 5])),
            };
            foreach (var (name, mail) in mails)
            {
                foreach (var format in new[] { MailFormat.Plain, MailFormat.Html, MailFormat.Alternative })
                {
                    yield return ($"{name} {format} {seed}", Bytes(mail.ToMessage(format)));
                    foreach (var encoding in new[] { ContentEncoding.Base64, ContentEncoding.QuotedPrintable, ContentEncoding.EightBit })
                    {
                        var message = mail.ToMessage(format);
                        foreach (var part in message.BodyParts.OfType<MimePart>())
                        {
                            part.ContentTransferEncoding = encoding;
                        }

                        yield return ($"{name} {format} {encoding} {seed}", Bytes(message));
                    }
                }
            }

            var reply = corpus.PersonalReply();
            foreach (string charset in new[] { "iso-8859-1", "windows-1252", "iso-8859-15", "koi8-r", "shift_jis", "utf-16", "x-unknown-charset" })
            {
                yield return ($"charset {charset} {seed}", Charset(reply, charset, "Grüße, señor Ærø — déjà vu"));
            }

            yield return ($"encoded subject {seed}", Bytes(WithSubject(corpus.Invoice(), "Ihre Rechnung für März — 請求書 " + corpus.Token())));
            yield return ($"long folded subject {seed}", Bytes(WithSubject(corpus.Invoice(),
                string.Join(' ', Enumerable.Repeat("a very long subject line that must be folded", 6)))));
            yield return ($"attachments {seed}", Bytes(WithAttachments(corpus.Invoice(), seed)));
            yield return ($"inline images {seed}", Bytes(WithInlineImage(corpus.Newsletter([1, 3]), seed)));
            yield return ($"forwarded message {seed}", Bytes(Forwarded(corpus.MeetingNotes(), corpus.Invoice())));
            yield return ($"nested alternative in mixed {seed}", Bytes(NestedAlternative(corpus.Newsletter([4, 6]), seed)));
            yield return ($"digest {seed}", Bytes(Digest(corpus.MeetingNotes(), corpus.PersonalReply())));
        }
    }

    /// <summary>Hand-written malformed and unusual MIME: what MimeKit does with it, the walker must do too.</summary>
    public static IEnumerable<(string Name, byte[] Raw)> Malformed()
    {
        var cases = new (string, string)[]
        {
            ("empty input", ""),
            ("no header line first", "Hello world\r\nmore\r\n\r\nbody\r\n"),
            ("mbox From line first", "From someone Mon Jan 1\r\nSubject: hello there friend\r\n\r\nthe body text\r\n"),
            ("blank line first", "\r\nbody only, no headers\r\n"),
            ("headers only", "Subject: nothing else\r\nContent-Type: text/html"),
            ("two subjects", "Subject: first one\r\nSubject: second one\r\n\r\nbody\r\n"),
            ("two content types", "Content-Type: text/html\r\nContent-Type: image/png\r\n\r\n<p>x</p>\r\n"),
            ("garbage content type", "Content-Type: garbage\r\n\r\nsome text\r\n"),
            ("content type without subtype", "Content-Type: text/\r\n\r\nsome text\r\n"),
            ("content type only parameters", "Content-Type: ;charset=utf-8\r\n\r\nsome text\r\n"),
            ("content type with comment", "Content-Type: text/html (the html); charset=utf-8\r\n\r\n<b>bold words here</b>\r\n"),
            ("line without colon among headers", "Subject: a\r\nthis is junk\r\nContent-Type: text/html\r\n\r\n<i>body</i>\r\n"),
            ("white space line among headers", "Subject: a\r\n   \r\nContent-Type: text/html\r\n\r\n<i>body</i>\r\n"),
            ("space before colon", "Subject : spaced out\r\nContent-Type : text/html\r\n\r\n<i>x</i>\r\n"),
            ("LF line ends", "Subject: lf only\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: image/png\n\nAAAA\n--b   \n\ntext part\n--b--\n"),
            ("missing end boundary", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\n\r\nAAAA\r\n--b\r\n\r\ntext\r\n"),
            ("missing end boundary and line end", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\ntext"),
            ("multipart without boundary", "Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\ntext\r\n--b--\r\n"),
            ("boundary never used", "Content-Type: multipart/mixed; boundary=zzz\r\n\r\n--b\r\n\r\ntext\r\n--b--\r\n"),
            ("boundary prefixes", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--bb\r\ny\r\n--b--x\r\nz\r\n--b--\r\n"),
            ("part headers without blank line", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n--b--\r\n"),
            ("part without headers", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nhello there\r\n--b--\r\n"),
            ("empty part", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\nsecond\r\n--b--\r\n"),
            ("outer boundary ends inner multipart", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nc1\r\n--b\r\n\r\nb2\r\n--c\r\n\r\nc3\r\n--b--\r\n"),
            ("inner boundary equals outer", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\ninner\r\n--b--\r\n--b\r\n\r\nouter\r\n--b--\r\n"),
            ("attachment text", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; name=\"n.txt\"\r\nContent-Disposition: attachment; filename=\" a b.pdf \"\r\nContent-Transfer-Encoding: BASE64 \r\n\r\naGVsbG8=\r\n--b--\r\n"),
            ("two transfer encodings", "Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=41 y=42 word\r\n"),
            ("broken base64", "Content-Transfer-Encoding: base64\r\n\r\n!!!!aGVsbG8gd29y*bGQ=\r\n=====\r\n"),
            ("broken quoted-printable", "Content-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak =ZZ =4 end=\r\n"),
            ("encoded rfc822", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5DQo=\r\n--b--\r\n"),
            ("rfc822 headers part", "Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\n\r\nDelivery failed\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: x\r\n--b--\r\n"),
            ("delivery status", "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nDelivery failed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n--b--\r\n"),
            ("rtf part", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: application/rtf\r\n\r\n{\\rtf1 hi}\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain words\r\n--b--\r\n"),
            ("alternative with attachment html", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain words here\r\n--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=page.html\r\n\r\n<p>html words</p>\r\n--b--\r\n"),
            ("rfc 2231 file name", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf\r\n\r\nJVBERi0=\r\n--b--\r\n"),
            ("encoded word file name", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nsee attached\r\n--b\r\nContent-Type: image/jpeg; name=\"=?utf-8?q?B=C3=BCro.jpg?=\"\r\n\r\n/9j/4AAQ\r\n--b--\r\n"),
            ("unquoted boundary with equals", "Content-Type: multipart/mixed; boundary=----=_Part_1\r\n\r\n------=_Part_1\r\n\r\ntext\r\n------=_Part_1--\r\n"),
            ("folded content type", "Content-Type: multipart/mixed;\r\n\tboundary=\"folded\"\r\n\r\n--folded\r\nContent-Type: text/plain;\r\n charset=iso-8859-1\r\n\r\nfa\u00e7ade\r\n--folded--\r\n"),
            ("8-bit subject", "Subject: Gr\u00fc\u00dfe aus M\u00fcnchen\r\n\r\nbody words\r\n"),
            ("duplicate parameters", "Content-Type: multipart/mixed; boundary=a; boundary=b\r\n\r\n--a\r\n\r\nin a\r\n--b\r\n\r\nin b\r\n--a--\r\n--b--\r\n"),
        };
        foreach (var (name, text) in cases)
        {
            yield return (name, Encoding.Latin1.GetBytes(text));
        }
    }

    /// <summary>
    /// Damaged copies of well-formed mail: truncated, lines dropped or repeated, bytes overwritten with
    /// MIME-significant characters. Fixed seed.
    /// </summary>
    public static IEnumerable<(string Name, byte[] Raw)> Mutated(int count)
    {
        // MimeKit writes LF line ends here; SMTP brings CR LF: both, and the hand-written cases.
        var written = Wellformed().Where((_, i) => i % 2 == 0).Select(m => m.Raw).ToList();
        var sources = written
            .Concat(written.Select(raw => Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(raw).Replace("\n", "\r\n", StringComparison.Ordinal))))
            .Concat(Malformed().Select(m => m.Raw).Where(raw => raw.Length > 0))
            .ToList();
        var random = new Random(20261128);
        byte[] significant = "-\r\n:;=\"\t /"u8.ToArray();
        for (int i = 0; i < count; i++)
        {
            var raw = sources[random.Next(sources.Count)];
            switch (random.Next(4))
            {
                case 0:
                    yield return ($"truncated #{i}", raw[..random.Next(raw.Length)]);
                    break;
                case 1:
                    yield return ($"line dropped #{i}", EditLines(raw, random, drop: true));
                    break;
                case 2:
                    yield return ($"line repeated #{i}", EditLines(raw, random, drop: false));
                    break;
                default:
                    var copy = (byte[])raw.Clone();
                    for (int n = random.Next(1, 8); n > 0; n--)
                    {
                        copy[random.Next(copy.Length)] = significant[random.Next(significant.Length)];
                    }

                    yield return ($"bytes overwritten #{i}", copy);
                    break;
            }
        }
    }

    private static byte[] EditLines(byte[] raw, Random random, bool drop)
    {
        var lines = Encoding.Latin1.GetString(raw).Split("\r\n").ToList();
        int at = random.Next(lines.Count);
        if (drop)
        {
            lines.RemoveAt(at);
        }
        else
        {
            lines.Insert(at, lines[at]);
        }

        return Encoding.Latin1.GetBytes(string.Join("\r\n", lines));
    }

    public static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }

    private static MimeMessage WithSubject(Mail mail, string subject)
    {
        var message = mail.ToMessage(MailFormat.Alternative);
        message.Subject = subject;
        return message;
    }

    private static byte[] Charset(Mail mail, string charset, string extra)
    {
        var message = mail.ToMessage(MailFormat.Plain);
        var text = (TextPart)message.Body!;
        try
        {
            text.SetText(charset, text.Text + "\r\n" + extra);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            // A charset MimeKit cannot encode: label it and keep the UTF-8 bytes, as broken senders do.
            text.ContentType.Charset = charset;
        }

        return Bytes(message);
    }

    private static MimeMessage WithAttachments(Mail mail, int seed)
    {
        var random = new Random(seed);
        var builder = new BodyBuilder { TextBody = mail.PlainText(), HtmlBody = mail.Html() };
        var pdf = new byte[3000 + random.Next(3000)];
        random.NextBytes(pdf);
        builder.Attachments.Add("invoice-2026-0042.pdf", pdf, new ContentType("application", "pdf"));
        builder.Attachments.Add("Übersicht März.xlsx", pdf[..1500], new ContentType("application", "vnd.ms-excel"));
        builder.Attachments.Add("notes.txt", Encoding.UTF8.GetBytes("attached text is not content"), new ContentType("text", "plain"));
        var message = mail.ToMessage(MailFormat.Plain);
        message.Body = builder.ToMessageBody();
        return message;
    }

    private static MimeMessage WithInlineImage(Mail mail, int seed)
    {
        var random = new Random(seed);
        var builder = new BodyBuilder { TextBody = mail.PlainText() };
        var image = new byte[9000 + random.Next(4000)];
        random.NextBytes(image);
        var banner = builder.LinkedResources.Add("banner.png", image, new ContentType("image", "png"));
        banner.ContentId = MimeUtils.GenerateMessageId();
        builder.HtmlBody = mail.Html().Replace("<body>", $"<body><img src=\"cid:{banner.ContentId}\">", StringComparison.Ordinal);
        var message = mail.ToMessage(MailFormat.Plain);
        message.Body = builder.ToMessageBody();
        return message;
    }

    private static MimeMessage Forwarded(Mail outer, Mail inner)
    {
        var message = outer.ToMessage(MailFormat.Plain);
        var mixed = new Multipart("mixed") { message.Body!, new MessagePart { Message = inner.ToMessage(MailFormat.Alternative) } };
        message.Body = mixed;
        return message;
    }

    private static MimeMessage NestedAlternative(Mail mail, int seed)
    {
        var message = WithInlineImage(mail, seed);
        var mixed = new Multipart("mixed") { message.Body!, new MimePart("application", "zip") { FileName = "archive.zip", Content = new MimeContent(new MemoryStream(new byte[2048])) } };
        message.Body = mixed;
        return message;
    }

    private static MimeMessage Digest(Mail first, Mail second)
    {
        var message = first.ToMessage(MailFormat.Plain);
        var digest = new Multipart("digest")
        {
            new MessagePart { Message = first.ToMessage(MailFormat.Plain) },
            new MessagePart { Message = second.ToMessage(MailFormat.Plain) },
        };
        message.Body = new Multipart("mixed") { message.Body!, digest };
        return message;
    }
}
