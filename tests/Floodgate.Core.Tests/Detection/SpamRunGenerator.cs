using System.Text;
using MimeKit;

namespace Floodgate.Core.Tests.Detection;

/// <summary>What the words of the filler are.</summary>
internal enum FillerVocabulary
{
    /// <summary>Common English words in random order: real words, no sense.</summary>
    CommonWords,

    /// <summary>Lower-case letter strings of 2 to 9 letters, some pronounceable, some not.</summary>
    RandomLetters,

    /// <summary>Plausible news sentences from templates: the filler a careful spammer uses.</summary>
    News,

    /// <summary>Spanish news-like sentences: another language than the pitch.</summary>
    Spanish,
}

/// <summary>Where the filler goes relative to the pitch.</summary>
internal enum FillerPlacement
{
    Before,
    After,

    /// <summary>Between the pitch's paragraphs (and before the first, after the last).</summary>
    Between,

    /// <summary>Filler sentences inside the pitch's own paragraphs, between its sentences.</summary>
    Mixed,
}

/// <summary>How the filler is kept from the reader's eye (the fingerprint still reads it unless it renders CSS).</summary>
internal enum Hiding
{
    None,
    DisplayNone,
    VisibilityHidden,
    FontSizeZero,
    FontSizeOnePixel,

    /// <summary>White text on a white background, both set by inline style.</summary>
    WhiteOnWhite,

    /// <summary><c>&lt;font color&gt;</c> equal to the <c>bgcolor</c> of the table cell around the whole body.</summary>
    FontColorOnCell,

    /// <summary>The body's background comes from a <c>&lt;style&gt;</c> block; the filler's colour equals it.</summary>
    StyleBlockBackground,

    /// <summary><c>position:absolute;left:-9999px</c>.</summary>
    OffScreen,
    Opacity,

    /// <summary>A class (a new random name per copy) that a <c>&lt;style&gt;</c> rule hides.</summary>
    HiddenClass,

    /// <summary>The filler inside HTML comments.</summary>
    Comment,

    /// <summary><c>height:0;overflow:hidden</c>.</summary>
    ZeroHeight,

    /// <summary>No hidden filler: U+200B, U+200C, U+FEFF and the soft hyphen inside the pitch's words.</summary>
    ZeroWidthCharacters,
}

internal enum BodyFormat
{
    PlainText,
    Html,

    /// <summary>multipart/alternative: the same text as plain text and as HTML.</summary>
    Alternative,

    /// <summary>multipart/alternative whose plain-text part carries only filler (visible there); the HTML part has the pitch.</summary>
    AlternativeFillerText,
}

internal enum LinkRotation
{
    /// <summary>One fixed call-to-action URL.</summary>
    None,

    /// <summary>A random subdomain of the registrable domain, random path and query string per copy.</summary>
    Subdomains,

    /// <summary>As <see cref="Subdomains"/>, under a multi-label public suffix (example.co.uk).</summary>
    MultiLabelSuffix,
}

/// <summary>What every copy of a run carries and cannot vary: the way the recipient is to answer.</summary>
internal enum Payload
{
    /// <summary>A call-to-action link to the run's domain.</summary>
    Link,

    /// <summary>One phone number, written in a different format per copy.</summary>
    Phone,

    /// <summary>One reply address written in the text.</summary>
    ReplyToInText,

    /// <summary>One address in the Reply-To header; the text only says "reply".</summary>
    ReplyToHeader,

    /// <summary>An attached PDF, the same bytes in every copy.</summary>
    PdfAttachment,

    /// <summary>An attached image, the same bytes in every copy.</summary>
    ImageAttachment,
}

/// <summary>One spam run's techniques; every one can be combined with the others.</summary>
internal sealed record SpamRunOptions
{
    public int Seed { get; init; } = 1;

    public string Mailbox { get; init; } = "ann@acme.test";

    public int RecipientsPerCopy { get; init; } = 200;

    /// <summary>Which of <see cref="SpamRunGenerator.Pitches"/> the run sells.</summary>
    public int Pitch { get; init; }

    public Payload Payload { get; init; } = Payload.Link;

    /// <summary>Words of filler per copy, new words every copy; 0 for none. The brief's sizes: 30, 60, 150, 300, 800.</summary>
    public int FillerWords { get; init; }

    public FillerVocabulary Vocabulary { get; init; } = FillerVocabulary.CommonWords;

    public FillerPlacement Placement { get; init; } = FillerPlacement.Before;

    public Hiding Hiding { get; init; } = Hiding.None;

    public BodyFormat Format { get; init; } = BodyFormat.PlainText;

    /// <summary>Every sentence of the pitch and the subject picked from its phrasings per copy.</summary>
    public bool Spintax { get; init; }

    public LinkRotation Rotation { get; init; } = LinkRotation.None;

    /// <summary>A greeting with a random name, a random reference number, a random subject.</summary>
    public bool HashBusting { get; init; }
}

/// <summary>One copy of a run: the message and its 200 new external recipients.</summary>
internal sealed record SpamCopy(MimeMessage Message, IReadOnlyList<string> Recipients);

/// <summary>
/// The copies of one spam run, from a fixed seed: the same options and seed give the same copies.
/// Every text here is written for these tests. A copy never shares a recipient with another.
/// </summary>
internal sealed class SpamRunGenerator
{
    private readonly SpamRunOptions _options;
    private readonly Random _random;
    private readonly byte[] _attachment;
    private int _recipientCount;
    private int _copies;

    public SpamRunGenerator(SpamRunOptions options)
    {
        bool hidesFiller = options.Hiding is not (Hiding.None or Hiding.ZeroWidthCharacters);
        if (hidesFiller && options.FillerWords == 0)
        {
            throw new ArgumentException("Hidden text needs filler to hide.", nameof(options));
        }

        if ((hidesFiller || options.Format == BodyFormat.AlternativeFillerText) && options.Format == BodyFormat.PlainText)
        {
            throw new ArgumentException("Hidden text needs an HTML part.", nameof(options));
        }

        if (options.Rotation != LinkRotation.None && options.Payload != Payload.Link)
        {
            throw new ArgumentException("Link rotation rotates the link payload.", nameof(options));
        }

        _options = options;
        _random = new Random(options.Seed);
        _attachment = Attachment(options.Payload, new Random(options.Seed ^ 0x5A17));
    }

    /// <summary>The run's own random source, also for the test's pauses between copies (one seed decides the whole run).</summary>
    public Random Random => _random;

    public static IReadOnlyList<SpamPitch> Pitches { get; } =
    [
        new SpamPitch(
            Domain: "brightyield",
            Subjects:
            [
                "Your money could be working harder",
                "A 14% yearly return, backed by real assets",
                "Stop losing to inflation this year",
                "Private investors wanted for our next round",
            ],
            Paragraphs:
            [
                [
                    [
                        "Banks pay you almost nothing while prices keep climbing.",
                        "Your savings account is quietly shrinking every month.",
                        "Inflation eats the little interest your bank still pays you.",
                        "Leaving cash in a current account means losing money slowly.",
                    ],
                    [
                        "Our members earn a fixed fourteen percent a year on managed farmland.",
                        "We place your capital in farmland leases that return fourteen percent yearly.",
                        "Members of our fund collect a steady fourteen percent from farmland rents.",
                    ],
                ],
                [
                    [
                        "There are no fees to join and you can withdraw whenever you want.",
                        "Joining costs nothing, and your money is never locked in.",
                        "You pay no entry charge and may take your funds out at any time.",
                    ],
                    [
                        "Places in this round are limited to the first three hundred applicants.",
                        "Only three hundred new investors are accepted before the round closes.",
                        "This intake closes as soon as three hundred people have signed up.",
                        "We take just three hundred new members in this round.",
                    ],
                    [
                        "Thousands of ordinary families already rely on us for their retirement.",
                        "Ordinary savers across the country already trust us with their pensions.",
                        "More than eight thousand households have grown their nest egg with us.",
                    ],
                ],
            ]),
        new SpamPitch(
            Domain: "sunroofpower",
            Subjects:
            [
                "Free solar panels for homeowners in your area",
                "Cut your electricity bill to zero",
                "Government scheme: solar at no cost to you",
                "Is your roof approved for free solar?",
            ],
            Paragraphs:
            [
                [
                    [
                        "A new government scheme pays for solar panels on qualifying homes.",
                        "Homeowners in your district can now get solar panels fitted for free.",
                        "Thanks to a regional grant, qualifying houses receive solar panels at no cost.",
                    ],
                    [
                        "Most families who join save more than a hundred dollars on every bill.",
                        "Typical households cut their monthly power costs by over a hundred dollars.",
                        "People on the scheme usually see their energy bill fall by half or more.",
                        "The average saving is well above a hundred dollars a month.",
                    ],
                ],
                [
                    [
                        "Our certified installers handle the paperwork, the fitting and the inspection.",
                        "Certified fitters take care of every form, the installation and the final check.",
                        "We deal with the permits, the roof work and the inspection for you.",
                    ],
                    [
                        "Funding for this year is almost used up, so check your address today.",
                        "The grant money runs out soon and applications close without notice.",
                        "Only a few installation slots remain before the budget is exhausted.",
                    ],
                ],
            ]),
        new SpamPitch(
            Domain: "prizedeskonline",
            Subjects:
            [
                "You have been selected for our customer reward",
                "Claim your $500 shopping voucher",
                "Final notice: unclaimed reward in your name",
                "Congratulations, your entry was drawn",
            ],
            Paragraphs:
            [
                [
                    [
                        "Your address was drawn in our quarterly customer appreciation draw.",
                        "Congratulations, your e-mail was picked in this quarter's loyalty draw.",
                        "We are pleased to tell you that you won a prize in our customer raffle.",
                        "Good news: your entry came out of the hat in our seasonal giveaway.",
                    ],
                    [
                        "The prize is a five hundred dollar voucher for any major store.",
                        "You may spend the five hundred dollar gift card at any big retailer.",
                        "Your reward is a voucher worth five hundred dollars at leading shops.",
                    ],
                ],
                [
                    [
                        "To release it we only need to confirm your name and delivery address.",
                        "All we need now is your full name and a postal address for the card.",
                        "Send us your name and home address so that we can post the voucher.",
                    ],
                    [
                        "Rewards that are not claimed within seventy two hours go to the next winner.",
                        "If you do not respond within three days the prize passes to a reserve entrant.",
                        "Unclaimed prizes are reassigned after seventy two hours.",
                        "Please act quickly, as the offer lapses in three days.",
                    ],
                ],
            ]),
    ];

    /// <summary>The next copy: a fresh Message-ID, new recipients, new random parts.</summary>
    public SpamCopy Next(DateTimeOffset at)
    {
        var pitch = Pitches[_options.Pitch];
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(_options.Mailbox));
        message.To.Add(new GroupAddress("undisclosed-recipients"));
        message.Date = at;
        message.MessageId = $"{RandomToken(16, "0123456789abcdef")}.{++_copies}.{at.ToUnixTimeMilliseconds()}@{DomainOf(_options.Mailbox)}";
        message.Subject = Subject(pitch);
        if (_options.Payload == Payload.ReplyToHeader)
        {
            message.ReplyTo.Add(MailboxAddress.Parse($"claims.desk@{pitch.Domain}-help.example"));
        }

        var paragraphs = Compose(pitch);
        var fillerOnly = _options.Format == BodyFormat.AlternativeFillerText ? FillerText(Math.Max(_options.FillerWords, 60)) : null;
        MimeEntity body = _options.Format switch
        {
            BodyFormat.PlainText => new TextPart("plain") { Text = RenderPlain(paragraphs) },
            BodyFormat.Html => new TextPart("html") { Text = RenderHtml(paragraphs) },
            BodyFormat.Alternative => new MultipartAlternative
            {
                new TextPart("plain") { Text = RenderPlain(paragraphs) },
                new TextPart("html") { Text = RenderHtml(paragraphs) },
            },
            _ => new MultipartAlternative
            {
                new TextPart("plain") { Text = string.Join("\n\n", fillerOnly!) },
                new TextPart("html") { Text = RenderHtml(paragraphs) },
            },
        };

        if (_options.Payload is Payload.PdfAttachment or Payload.ImageAttachment)
        {
            body = new Multipart("mixed") { body, AttachmentPart() };
        }

        message.Body = body;
        return new SpamCopy(message, NewRecipients());
    }

    private string Subject(SpamPitch pitch)
    {
        var subject = _options.Spintax ? Pick(pitch.Subjects) : pitch.Subjects[0];
        if (_options.HashBusting)
        {
            // The old hash-busting: a name, a ticket-like number and a random word around the subject.
            subject = _random.Next(3) switch
            {
                0 => $"{Pick(FirstNames)}, {subject}",
                1 => $"{subject} [#{_random.Next(10000, 99999)}]",
                _ => $"{subject} - {Pick(CommonWords)} {RandomToken(5, Letters)}",
            };
        }

        return subject;
    }

    /// <summary>The paragraphs of one copy, each a list of segments; filler segments are marked.</summary>
    private List<List<Segment>> Compose(SpamPitch pitch)
    {
        var pitchParagraphs = new List<List<Segment>>();
        var greeting = _options.HashBusting
            ? $"{Pick(["Dear", "Hi", "Hello", "Good morning"])} {Pick(FirstNames)} {Pick(LastNames)},"
            : "Hello,";
        pitchParagraphs.Add([new Segment(greeting, false)]);
        foreach (var paragraph in pitch.Paragraphs)
        {
            var segments = new List<Segment>();
            foreach (var phrasings in paragraph)
            {
                segments.Add(new Segment(ZeroWidth(_options.Spintax ? Pick(phrasings) : phrasings[0]), false));
            }

            pitchParagraphs.Add(segments);
        }

        pitchParagraphs.Add([new Segment(ZeroWidth(CallToAction(pitch)), false)]);
        if (_options.HashBusting)
        {
            pitchParagraphs.Add([new Segment($"Reference: {RandomToken(3, UpperLetters)}-{_random.Next(100000, 999999)}-{RandomToken(4, Alphanumerics)}", false)]);
        }

        pitchParagraphs.Add([new Segment(Pick(["Kind regards,", "Best wishes,", "Sincerely,"]) + " The " + Capitalize(pitch.Domain) + " team", false)]);

        // The visible-text variant of the alternative keeps its filler in the text part only.
        if (_options.FillerWords == 0 || _options.Format == BodyFormat.AlternativeFillerText && _options.Hiding == Hiding.None)
        {
            return pitchParagraphs;
        }

        var filler = FillerParagraphs(_options.FillerWords);
        var result = new List<List<Segment>>();
        switch (_options.Placement)
        {
            case FillerPlacement.Before:
                result.AddRange(filler);
                result.AddRange(pitchParagraphs);
                break;
            case FillerPlacement.After:
                result.AddRange(pitchParagraphs);
                result.AddRange(filler);
                break;
            case FillerPlacement.Between:
                // Deal the filler paragraphs round the gaps, one gap after each pitch paragraph and one before the first.
                var gaps = new List<List<Segment>>[pitchParagraphs.Count + 1];
                for (var i = 0; i < gaps.Length; i++)
                {
                    gaps[i] = [];
                }

                for (var i = 0; i < filler.Count; i++)
                {
                    gaps[i % gaps.Length].Add(filler[i]);
                }

                for (var i = 0; i < pitchParagraphs.Count; i++)
                {
                    result.AddRange(gaps[i]);
                    result.Add(pitchParagraphs[i]);
                }

                result.AddRange(gaps[^1]);
                break;
            default:
                // Mixed: each filler sentence goes after a random sentence of the pitch, in the same paragraph.
                var sentences = new List<Segment>();
                foreach (var paragraph in filler)
                {
                    sentences.AddRange(paragraph);
                }

                foreach (var paragraph in pitchParagraphs)
                {
                    result.Add([.. paragraph]);
                }

                foreach (var sentence in sentences)
                {
                    var paragraph = result[_random.Next(result.Count)];
                    paragraph.Insert(_random.Next(paragraph.Count + 1), sentence);
                }

                break;
        }

        return result;
    }

    private string CallToAction(SpamPitch pitch)
    {
        switch (_options.Payload)
        {
            case Payload.Link:
                var lead = _options.Spintax
                    ? Pick(["Check whether you qualify here:", "See the details and apply at", "Reserve your place now:", "Start in two minutes at"])
                    : "Check whether you qualify here:";
                return $"{lead} {Link(pitch)}";
            case Payload.Phone:
                var call = _options.Spintax
                    ? Pick(["Call our advisers free on", "Speak to a specialist today on", "Ring us now on", "Our hotline is open until 9 pm:"])
                    : "Call our advisers free on";
                return $"{call} {Phone()}";
            case Payload.ReplyToInText:
                var write = _options.Spintax
                    ? Pick(["Write to", "Send your details to", "E-mail our claims desk at", "Reply directly to"])
                    : "Write to";
                return $"{write} claims.desk@{pitch.Domain}-help.example";
            case Payload.ReplyToHeader:
                return _options.Spintax
                    ? Pick(["Simply reply to this e-mail to get started.", "Just hit reply and we will do the rest.", "Answer this message and an adviser will contact you.", "Reply now to secure your place."])
                    : "Simply reply to this e-mail to get started.";
            case Payload.PdfAttachment:
                return _options.Spintax
                    ? Pick(["All the details are in the attached brochure.", "Please read the enclosed PDF for the full terms.", "Open the attachment to see how it works.", "The attached document explains everything."])
                    : "All the details are in the attached brochure.";
            default:
                return _options.Spintax
                    ? Pick(["See the picture below.", "The image shows your offer.", "Open the attached picture.", "Look at the enclosed image."])
                    : "See the picture below.";
        }
    }

    private string Link(SpamPitch pitch)
    {
        var registrable = _options.Rotation == LinkRotation.MultiLabelSuffix ? $"{pitch.Domain}.co.uk" : $"{pitch.Domain}.example";
        if (_options.Rotation == LinkRotation.None)
        {
            return $"https://www.{registrable}/apply";
        }

        var host = _random.Next(3) switch
        {
            0 => RandomToken(_random.Next(4, 9), Alphanumerics),
            1 => Pick(CommonWords) + _random.Next(2, 999),
            _ => Pick(["go", "secure", "portal", "my", "start", "join", "info"]) + "-" + RandomToken(3, Letters),
        };
        var path = new StringBuilder();
        var parts = _random.Next(1, 4);
        for (var i = 0; i < parts; i++)
        {
            path.Append('/').Append(_random.Next(2) == 0 ? Pick(CommonWords) : RandomToken(_random.Next(5, 12), Alphanumerics));
        }

        var query = $"?{Pick(["id", "u", "ref", "c", "t"])}={RandomToken(10, Alphanumerics)}&{Pick(["s", "src", "m", "k"])}={_random.Next(1, 99999)}";
        return $"https://{host}.{registrable}{path}{query}";
    }

    private string Phone() => _random.Next(5) switch
    {
        0 => "+1 (555) 201-7788",
        1 => "555.201.7788",
        2 => "+1-555-201-7788",
        3 => "(555) 201 7788",
        _ => "1 555 2017788",
    };

    private MimePart AttachmentPart()
    {
        var image = _options.Payload == Payload.ImageAttachment;
        // The name may change with each copy; the bytes cannot without re-rendering the picture or the brochure.
        var name = _options.HashBusting
            ? $"{Pick(CommonWords)}-{_random.Next(1000, 9999)}.{(image ? "png" : "pdf")}"
            : image ? "offer.png" : "brochure.pdf";
        return new MimePart(image ? "image" : "application", image ? "png" : "pdf")
        {
            Content = new MimeContent(new MemoryStream(_attachment)),
            ContentDisposition = new ContentDisposition(image ? ContentDisposition.Inline : ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentId = image ? "offer" : null,
            FileName = name,
        };
    }

    private static byte[] Attachment(Payload payload, Random random)
    {
        if (payload is not (Payload.PdfAttachment or Payload.ImageAttachment))
        {
            return [];
        }

        // A believable header and then noise: 38 KB, the size of a small brochure or picture.
        var bytes = new byte[38 * 1024];
        random.NextBytes(bytes);
        ReadOnlySpan<byte> magic = payload == Payload.PdfAttachment ? "%PDF-1.7\n"u8 : [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        magic.CopyTo(bytes);
        return bytes;
    }

    private string RenderPlain(List<List<Segment>> paragraphs)
    {
        var text = new StringBuilder();
        foreach (var paragraph in paragraphs)
        {
            for (var i = 0; i < paragraph.Count; i++)
            {
                text.Append(i == 0 ? string.Empty : " ").Append(paragraph[i].Text);
            }

            text.Append("\n\n");
        }

        return text.ToString();
    }

    private string RenderHtml(List<List<Segment>> paragraphs)
    {
        var hiding = _options.Hiding;
        var className = "c" + RandomToken(6, Alphanumerics);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">");
        if (hiding == Hiding.StyleBlockBackground)
        {
            html.Append("<style>body { background-color: #f7f3e8; color: #222222; }</style>");
        }
        else if (hiding == Hiding.HiddenClass)
        {
            html.Append("<style>.").Append(className).Append(" { display: none !important; }</style>");
        }

        html.Append("</head>\n");
        html.Append(hiding == Hiding.WhiteOnWhite ? "<body style=\"background-color:#ffffff\">\n" : "<body>\n");
        if (hiding == Hiding.FontColorOnCell)
        {
            html.Append("<table width=\"100%\" cellpadding=\"12\"><tr><td bgcolor=\"#ffffff\">\n");
        }

        foreach (var paragraph in paragraphs)
        {
            var allFiller = paragraph.TrueForAll(s => s.IsFiller);
            if (allFiller && hiding is not (Hiding.None or Hiding.ZeroWidthCharacters))
            {
                html.Append(HiddenBlock(string.Join(" ", paragraph.Select(s => s.Text)), className)).Append('\n');
                continue;
            }

            html.Append("<p>");
            for (var i = 0; i < paragraph.Count; i++)
            {
                var segment = paragraph[i];
                var text = Escape(segment.Text);
                if (i > 0)
                {
                    html.Append(' ');
                }

                if (segment.Text.StartsWith("https://", StringComparison.Ordinal) || segment.Text.Contains(" https://", StringComparison.Ordinal))
                {
                    html.Append(Linked(segment.Text));
                }
                else
                {
                    html.Append(segment.IsFiller && hiding is not (Hiding.None or Hiding.ZeroWidthCharacters) ? HiddenInline(text, className) : text);
                }
            }

            html.Append("</p>\n");
        }

        if (_options.Payload == Payload.ImageAttachment)
        {
            html.Append("<p><img src=\"cid:offer\" alt=\"\" width=\"600\"></p>\n");
        }

        if (hiding == Hiding.FontColorOnCell)
        {
            html.Append("</td></tr></table>\n");
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>The call to action with its URL as an anchor, as a mailer writes it.</summary>
    private static string Linked(string text)
    {
        var at = text.IndexOf("https://", StringComparison.Ordinal);
        var url = text[at..];
        return $"{Escape(text[..at])}<a href=\"{Escape(url)}\">{Escape(url)}</a>";
    }

    private string HiddenBlock(string text, string className) => _options.Hiding switch
    {
        Hiding.DisplayNone => $"<div style=\"display:none\">{Escape(text)}</div>",
        Hiding.VisibilityHidden => $"<div style=\"visibility:hidden\">{Escape(text)}</div>",
        Hiding.FontSizeZero => $"<div style=\"font-size:0\">{Escape(text)}</div>",
        Hiding.FontSizeOnePixel => $"<div style=\"font-size:1px;line-height:1px\">{Escape(text)}</div>",
        Hiding.WhiteOnWhite => $"<div style=\"color:#ffffff;background-color:#ffffff\">{Escape(text)}</div>",
        Hiding.FontColorOnCell => $"<p><font color=\"#ffffff\">{Escape(text)}</font></p>",
        Hiding.StyleBlockBackground => $"<div style=\"color:#f7f3e8\">{Escape(text)}</div>",
        Hiding.OffScreen => $"<div style=\"position:absolute;left:-9999px;top:-9999px\">{Escape(text)}</div>",
        Hiding.Opacity => $"<div style=\"opacity:0\">{Escape(text)}</div>",
        Hiding.HiddenClass => $"<div class=\"{className}\">{Escape(text)}</div>",
        Hiding.Comment => $"<!-- {Escape(text)} -->",
        _ => $"<div style=\"height:0;max-height:0;overflow:hidden\">{Escape(text)}</div>",
    };

    private string HiddenInline(string escaped, string className) => _options.Hiding switch
    {
        Hiding.DisplayNone => $"<span style=\"display:none\">{escaped}</span>",
        Hiding.VisibilityHidden => $"<span style=\"visibility:hidden\">{escaped}</span>",
        Hiding.FontSizeZero => $"<span style=\"font-size:0\">{escaped}</span>",
        Hiding.FontSizeOnePixel => $"<span style=\"font-size:1px\">{escaped}</span>",
        Hiding.WhiteOnWhite => $"<span style=\"color:#ffffff\">{escaped}</span>",
        Hiding.FontColorOnCell => $"<font color=\"#ffffff\">{escaped}</font>",
        Hiding.StyleBlockBackground => $"<span style=\"color:#f7f3e8\">{escaped}</span>",
        Hiding.OffScreen => $"<span style=\"position:absolute;left:-9999px\">{escaped}</span>",
        Hiding.Opacity => $"<span style=\"opacity:0\">{escaped}</span>",
        Hiding.HiddenClass => $"<span class=\"{className}\">{escaped}</span>",
        Hiding.Comment => $"<!-- {escaped} -->",
        _ => $"<span style=\"display:inline-block;height:0;width:0;overflow:hidden\">{escaped}</span>",
    };

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);

    /// <summary>Zero-width characters and soft hyphens inside about a third of the words, when the run uses them.</summary>
    private string ZeroWidth(string sentence)
    {
        if (_options.Hiding != Hiding.ZeroWidthCharacters)
        {
            return sentence;
        }

        var words = sentence.Split(' ');
        for (var w = 0; w < words.Length; w++)
        {
            var word = words[w];
            if (word.Length < 4 || word.Contains("://", StringComparison.Ordinal) || word.Contains('@') || _random.Next(3) != 0)
            {
                continue;
            }

            var at = _random.Next(1, word.Length - 1);
            words[w] = word[..at] + Pick(["\u200B", "\u200C", "\uFEFF", "\u00AD"]) + word[at..];
        }

        return string.Join(' ', words);
    }

    private List<string> FillerText(int words)
    {
        var paragraphs = new List<string>();
        foreach (var paragraph in FillerParagraphs(words))
        {
            paragraphs.Add(string.Join(" ", paragraph.Select(s => s.Text)));
        }

        return paragraphs;
    }

    /// <summary>About <paramref name="words"/> words of filler as sentences, in paragraphs of 35 to 70 words.</summary>
    private List<List<Segment>> FillerParagraphs(int words)
    {
        var paragraphs = new List<List<Segment>>();
        var current = new List<Segment>();
        int inParagraph = 0, total = 0, paragraphLength = _random.Next(35, 71);
        while (total < words)
        {
            var sentence = FillerSentence(words - total);
            var count = sentence.Split(' ').Length;
            current.Add(new Segment(sentence, true));
            inParagraph += count;
            total += count;
            if (inParagraph >= paragraphLength)
            {
                paragraphs.Add(current);
                current = [];
                inParagraph = 0;
                paragraphLength = _random.Next(35, 71);
            }
        }

        if (current.Count > 0)
        {
            paragraphs.Add(current);
        }

        return paragraphs;
    }

    private string FillerSentence(int wordsLeft)
    {
        switch (_options.Vocabulary)
        {
            case FillerVocabulary.CommonWords:
                return Capitalize(string.Join(' ', Enumerable.Range(0, Math.Min(wordsLeft, _random.Next(6, 15))).Select(_ => Pick(CommonWords)))) + ".";
            case FillerVocabulary.RandomLetters:
                return string.Join(' ', Enumerable.Range(0, Math.Min(wordsLeft, _random.Next(6, 15))).Select(_ => RandomToken(_random.Next(2, 10), Letters)));
            case FillerVocabulary.News:
                return Fill(Pick(NewsTemplates), NewsSlots);
            default:
                return Fill(Pick(SpanishTemplates), SpanishSlots);
        }
    }

    /// <summary>Replaces each {slot} of a template by a random value of that slot.</summary>
    private string Fill(string template, Dictionary<string, string[]> slots)
    {
        var text = new StringBuilder();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                text.Append(template, i, template.Length - i);
                break;
            }

            var close = template.IndexOf('}', open);
            text.Append(template, i, open - i);
            var slot = template[(open + 1)..close];
            text.Append(slot == "n" ? _random.Next(2, 950).ToString(System.Globalization.CultureInfo.InvariantCulture) : Pick(slots[slot]));
            i = close + 1;
        }

        return text.ToString();
    }

    private List<string> NewRecipients()
    {
        var recipients = new List<string>(_options.RecipientsPerCopy);
        for (var i = 0; i < _options.RecipientsPerCopy; i++)
        {
            recipients.Add($"p{_recipientCount++}@{Pick(CommonWords)}{_random.Next(1, 100)}.example");
        }

        return recipients;
    }

    private T Pick<T>(IReadOnlyList<T> values) => values[_random.Next(values.Count)];

    private string RandomToken(int length, string alphabet)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[_random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static string DomainOf(string address) => address[(address.IndexOf('@') + 1)..];

    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string UpperLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const string Alphanumerics = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly record struct Segment(string Text, bool IsFiller);

    internal static readonly string[] FirstNames =
    [
        "James", "Maria", "Wei", "Fatima", "Lars", "Aisha", "Diego", "Hannah", "Kofi", "Mei", "Oliver", "Sofia",
        "Rahul", "Elena", "Tomasz", "Grace", "Yusuf", "Ingrid", "Mateo", "Chloe", "Kenji", "Amara", "Pavel", "Leila",
    ];

    internal static readonly string[] LastNames =
    [
        "Walker", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Fischer", "Costa", "Novak", "Haddad", "Byrne",
        "Kowalski", "Mensah", "Romero", "Petersen", "Achterberg", "Nakamura", "Duarte", "Sullivan", "Kaur", "Bianchi",
    ];

    internal static readonly string[] CommonWords =
    [
        "time", "year", "people", "way", "day", "man", "thing", "woman", "life", "child", "world", "school", "state",
        "family", "student", "group", "country", "problem", "hand", "part", "place", "case", "week", "company", "system",
        "program", "question", "work", "government", "number", "night", "point", "home", "water", "room", "mother",
        "area", "money", "story", "fact", "month", "lot", "right", "study", "book", "eye", "job", "word", "business",
        "issue", "side", "kind", "head", "house", "service", "friend", "father", "power", "hour", "game", "line", "end",
        "member", "law", "car", "city", "community", "name", "president", "team", "minute", "idea", "kid", "body",
        "information", "back", "parent", "face", "others", "level", "office", "door", "health", "person", "art", "war",
        "history", "party", "result", "change", "morning", "reason", "research", "girl", "guy", "moment", "air",
        "teacher", "force", "education", "good", "new", "first", "last", "long", "great", "little", "own", "other",
        "old", "big", "high", "different", "small", "large", "next", "early", "young", "important", "few", "public",
        "bad", "same", "able", "be", "have", "do", "say", "get", "make", "go", "know", "take", "see", "come", "think",
        "look", "want", "give", "use", "find", "tell", "ask", "seem", "feel", "try", "leave", "call", "keep", "let",
        "begin", "show", "hear", "play", "run", "move", "live", "believe", "bring", "happen", "write", "sit", "stand",
        "lose", "pay", "meet", "include", "continue", "set", "learn", "lead", "understand", "watch", "follow", "stop",
        "create", "speak", "read", "spend", "grow", "open", "walk", "win", "offer", "remember", "love", "consider",
        "appear", "buy", "wait", "serve", "die", "send", "expect", "build", "stay", "fall", "cut", "reach", "kill",
        "remain", "suggest", "raise", "pass", "sell", "require", "report", "decide", "pull", "river", "garden", "winter",
    ];

    private static readonly string[] NewsTemplates =
    [
        "Officials in {city} said on {day} that the new {project} would open by {month}.",
        "The {org} reported a rise of {n} percent in {topic} compared with last year.",
        "{person} told reporters that talks over the {project} had made real progress.",
        "Residents of {city} gathered outside the town hall to protest plans for a {project}.",
        "Heavy rain in the {region} forced the closure of {n} schools and several roads on {day}.",
        "Shares in the {org} fell sharply after it warned that {topic} would weigh on profits.",
        "A spokesperson for the {org} declined to comment on reports about {topic}.",
        "{person}, who has led the {org} since {n}, is expected to step down in {month}.",
        "The council in {city} approved a budget that includes more money for {topic}.",
        "Scientists at the {org} published a study linking {topic} to changes in the {region}.",
        "Police in {city} appealed for witnesses after a lorry overturned on the ring road on {day}.",
        "Local farmers in the {region} say the dry summer has cut harvests by almost {n} tonnes.",
        "Tickets for the {city} festival sold out within hours, organisers said on {day}.",
        "The opposition accused the government of ignoring warnings about {topic}.",
    ];

    private static readonly Dictionary<string, string[]> NewsSlots = new()
    {
        ["city"] = ["Leeds", "Portland", "Adelaide", "Hamilton", "Brno", "Tampere", "Cork", "Halifax", "Dunedin", "Aarhus", "Graz", "Ghent"],
        ["day"] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        ["month"] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
        ["project"] = ["tram line", "bridge", "hospital wing", "wind farm", "library", "bypass", "sports centre", "water treatment plant", "housing estate", "ferry terminal"],
        ["org"] = ["regional health board", "national statistics office", "port authority", "transport ministry", "university hospital", "chamber of commerce", "water company", "weather service"],
        ["topic"] = ["housing costs", "hospital waiting lists", "energy prices", "river pollution", "youth unemployment", "rail delays", "school funding", "air quality"],
        ["person"] = ["Mayor Helen Grant", "Minister Paul Ortega", "Chief executive Sara Lindholm", "Professor Amit Rao", "Councillor Joan Whitaker", "Director Marc Dubois"],
        ["region"] = ["north west", "coastal districts", "river valley", "highlands", "eastern counties", "southern plains"],
    };

    private static readonly string[] SpanishTemplates =
    [
        "El ayuntamiento de {ciudad} aprobó el {dia} un nuevo plan para {tema}.",
        "Según el último informe del {org}, {tema} aumentó un {n} por ciento este año.",
        "Los vecinos de {ciudad} se reunieron frente al mercado para pedir más {tema}.",
        "{persona} aseguró que las obras del {proyecto} terminarán antes de {mes}.",
        "Las lluvias de la semana pasada obligaron a cerrar {n} carreteras en la zona de {ciudad}.",
        "El {org} advirtió de que {tema} seguirá siendo un problema durante el invierno.",
        "La temporada de pesca comenzó con buenas noticias para los puertos del norte.",
        "Miles de personas asistieron el {dia} al concierto gratuito en la plaza mayor de {ciudad}.",
        "{persona} presentó ayer los resultados del estudio sobre {tema} en la universidad.",
        "Los agricultores de la región esperan una cosecha mejor que la del año pasado.",
        "El nuevo {proyecto} de {ciudad} abrirá sus puertas en {mes}, según fuentes municipales.",
    ];

    private static readonly Dictionary<string, string[]> SpanishSlots = new()
    {
        ["ciudad"] = ["Zaragoza", "Salamanca", "Córdoba", "Valparaíso", "Rosario", "Cuenca", "Arequipa", "Mérida", "Gijón", "Cádiz"],
        ["dia"] = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
        ["mes"] = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
        ["tema"] = ["el precio de la vivienda", "el transporte público", "la calidad del agua", "el empleo juvenil", "las listas de espera", "la contaminación del aire"],
        ["org"] = ["instituto de estadística", "servicio de salud", "ministerio de transportes", "colegio de médicos", "banco central"],
        ["persona"] = ["La alcaldesa Carmen Ruiz", "El consejero Javier Molina", "La doctora Lucía Herrera", "El director Andrés Vidal"],
        ["proyecto"] = ["hospital comarcal", "puente del río", "centro deportivo", "museo de arte", "parque tecnológico", "tranvía"],
    };
}

/// <summary>A pitch: subjects, and paragraphs of sentences, each sentence in 3 or 4 phrasings (spintax).</summary>
internal sealed record SpamPitch(string Domain, string[] Subjects, string[][][] Paragraphs);
