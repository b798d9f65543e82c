using Floodgate.Core.Fingerprinting;
using MimeKit;
using Xunit.Abstractions;

namespace Floodgate.Core.Tests.Fingerprinting;

/// <summary>
/// Allocation budget of the end-of-DATA fingerprint (issue 5: parse + fingerprint of a 5 KB message
/// ≤ 4 KB allocated): measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> around a
/// warmed-up loop. The one steady allocation is the result's 128 values (536 B).
/// </summary>
public sealed class FingerprintAllocationTests(ITestOutputHelper output)
{
    private const int Warmup = 200;
    private const int Iterations = 500;
    private const long Budget = 4 * 1024;

    public static TheoryData<string, ContentEncoding, string> Messages => new()
    {
        { "newsletter, text and HTML, quoted-printable", ContentEncoding.QuotedPrintable, "utf-8" },
        { "newsletter, text and HTML, base64", ContentEncoding.Base64, "utf-8" },
        { "newsletter, text and HTML, 8bit latin-1", ContentEncoding.EightBit, "iso-8859-1" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void AFiveKilobyteMessageStaysWithinTheBudget(string reason, ContentEncoding encoding, string charset)
    {
        byte[] raw = FiveKilobyteNewsletter(encoding, charset);
        Assert.InRange(raw.Length, 4 * 1024, 7 * 1024);
        var memory = new ReadOnlyMemory<byte>(raw);
        var fingerprinter = Fingerprinter.Shared;
        for (int i = 0; i < Warmup; i++)
        {
            fingerprinter.Compute(memory);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            fingerprinter.Compute(memory);
        }

        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / Iterations;

        output.WriteLine($"{reason}: {raw.Length} bytes, {perCall} B allocated per call");
        Assert.True(fingerprinter.Compute(memory).FeatureCount > 100);
        Assert.InRange(perCall, 0, Budget);
    }

    private static byte[] FiveKilobyteNewsletter(ContentEncoding encoding, string charset)
    {
        var message = new MailCorpus(42).Newsletter([0, 1, 2, 3, 4, 5, 6, 7]).ToMessage(MailFormat.Alternative);
        foreach (var part in message.BodyParts.OfType<TextPart>())
        {
            part.SetText(charset, part.Text);
            part.ContentTransferEncoding = encoding;
        }

        return RawMessageCorpus.Bytes(message);
    }
}
