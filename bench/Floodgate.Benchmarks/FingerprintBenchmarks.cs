using System.Text;
using BenchmarkDotNet.Attributes;
using Floodgate.Core.Fingerprinting;
using MimeKit;

namespace Floodgate.Benchmarks;

/// <summary>
/// End of DATA: MIME parse and content fingerprint of realistic multipart/alternative (text + HTML)
/// messages. Parse and fingerprint are measured alone and together (Compute over the raw bytes).
/// </summary>
[MemoryDiagnoser]
public class FingerprintBenchmarks
{
    private readonly Fingerprinter _fingerprinter = Fingerprinter.Shared;
    private readonly MimeParser _parser = new(Stream.Null, persistent: true);
    private byte[] _raw = [];
    private MimeMessage _parsed = null!;

    [Params(2, 5, 20, 200)]
    public int SizeKb { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _raw = SampleMessage(SizeKb * 1024, seed: 20240601);
        _parsed = MimeMessage.Load(new MemoryStream(_raw, writable: false), persistent: true);
    }

    [Benchmark]
    public MimeMessage ParseDefault() => MimeMessage.Load(new MemoryStream(_raw, writable: false));

    [Benchmark]
    public MimeMessage ParseReusedPersistent()
    {
        _parser.SetStream(new MemoryStream(_raw, 0, _raw.Length, writable: false, publiclyVisible: true), MimeFormat.Entity, persistent: true);
        return _parser.ParseMessage();
    }

    [Benchmark]
    public ContentFingerprint FingerprintOnly() => _fingerprinter.Compute(_parsed);

    /// <summary>What Compute(raw) did before the raw walker: MimeKit's object model, then the fingerprint of it.</summary>
    [Benchmark]
    public ContentFingerprint ParseObjectModelAndFingerprint()
    {
        _parser.SetStream(new MemoryStream(_raw, 0, _raw.Length, writable: false, publiclyVisible: true), MimeFormat.Entity, persistent: true);
        return _fingerprinter.Compute(_parser.ParseMessage());
    }

    /// <summary>The end-of-DATA cost: Compute(raw), the raw walker feeding the fingerprint.</summary>
    [Benchmark]
    public ContentFingerprint ParseAndFingerprint() => _fingerprinter.Compute(new ReadOnlyMemory<byte>(_raw));

    /// <summary>A newsletter-like message of about <paramref name="size"/> bytes: 40% text part, 60% HTML part.</summary>
    internal static byte[] SampleMessage(int size, int seed)
    {
        var random = new Random(seed);
        var paragraphs = new List<string>();
        var text = new StringBuilder();
        var html = new StringBuilder();
        int estimate = 900;
        while (estimate < size)
        {
            string paragraph = Paragraph(random);
            paragraphs.Add(paragraph);
            // The text part carries a paragraph once, the HTML part with markup; quoted-printable adds a little.
            estimate += (paragraph.Length * 2) + 60;
        }

        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{font-family:Arial;color:#333} ")
            .Append(".btn{background:#06c;color:#fff;padding:8px}</style></head><body><table width=\"100%\"><tr><td>");
        html.Append("<p>Hello Maria,</p>");
        text.Append("Hello Maria,\n\n");
        foreach (string paragraph in paragraphs)
        {
            text.Append(paragraph).Append("\n\n");
            html.Append("<p>").Append(paragraph).Append("</p>\n");
        }

        string link = "https://news.shop.example/issue/2291?utm_source=newsletter&utm_campaign=spring&uid=8f3a9b2c7d11";
        text.Append("Read online: ").Append(link).Append('\n');
        html.Append("<p><a class=\"btn\" href=\"").Append(link.Replace("&", "&amp;", StringComparison.Ordinal))
            .Append("\">Read online</a></p></td></tr></table></body></html>");

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Northwind News", "news@shop.example"));
        message.To.Add(new MailboxAddress("Maria Rossi", "maria.rossi@example.org"));
        message.Subject = "Spring offers and garden stories";
        message.Date = new DateTimeOffset(2025, 3, 14, 9, 30, 0, TimeSpan.Zero);
        message.MessageId = "20250314093000.8f3a9b2c7d11@shop.example";
        message.Headers.Add("List-Unsubscribe", "<https://news.shop.example/u/8f3a9b2c7d11>");
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        var builder = new BodyBuilder { TextBody = text.ToString(), HtmlBody = html.ToString() };
        message.Body = builder.ToMessageBody();
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }

    private static readonly string[] Words =
    [
        "garden", "spring", "offer", "plants", "soil", "water", "roses", "season", "weekend", "delivery", "order",
        "customers", "tomatoes", "pruning", "compost", "summer", "flowers", "beds", "seeds", "harvest", "new", "our",
        "the", "and", "for", "with", "your", "this", "week", "you", "can", "from", "every", "best", "time", "to",
        "of", "in", "a", "is", "will", "free", "shipping", "discount", "members", "club", "guide", "tips", "easy",
    ];

    private static string Paragraph(Random random)
    {
        var paragraph = new StringBuilder();
        int sentences = random.Next(2, 5);
        for (int s = 0; s < sentences; s++)
        {
            int words = random.Next(8, 18);
            for (int w = 0; w < words; w++)
            {
                string word = Words[random.Next(Words.Length)];
                paragraph.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                paragraph.Append(w == words - 1 ? ". " : " ");
            }
        }

        return paragraph.ToString().TrimEnd();
    }
}
