using Floodgate.Core.Fingerprinting;
using MimeKit;
using Xunit.Abstractions;

namespace Floodgate.Core.Tests.Fingerprinting;

/// <summary>
/// <see cref="Fingerprinter.Compute(ReadOnlyMemory{byte})"/> walks the raw bytes without MimeKit's object
/// model; it must give exactly the fingerprint of parsing with MimeKit and fingerprinting the parsed
/// message, or <c>default</c> where MimeKit refuses the input.
/// </summary>
public sealed class FingerprinterEquivalenceTests(ITestOutputHelper output)
{
    private readonly Fingerprinter _fingerprinter = Fingerprinter.Shared;

    [Fact]
    public void WellFormedMailOfEveryShapeGivesTheParsedMessagesFingerprint() => AssertSame(RawMessageCorpus.Wellformed());

    [Fact]
    public void MalformedMimeGivesTheParsedMessagesFingerprint() => AssertSame(RawMessageCorpus.Malformed());

    [Fact]
    public void DamagedMailGivesTheParsedMessagesFingerprint() => AssertSame(RawMessageCorpus.Mutated(20_000));

    private void AssertSame(IEnumerable<(string Name, byte[] Raw)> corpus)
    {
        var different = new List<string>();
        int count = 0;
        foreach (var (name, raw) in corpus)
        {
            count++;
            var expected = Parsed(raw);
            var actual = _fingerprinter.Compute(new ReadOnlyMemory<byte>(raw));
            if (!expected.Equals(actual) || expected.Subject != actual.Subject)
            {
                different.Add($"{name}: parsed {Describe(expected)}, raw {Describe(actual)}");
            }
        }

        foreach (string line in different)
        {
            output.WriteLine(line);
        }

        Assert.True(count > 0);
        Assert.Empty(different);
    }

    /// <summary>The reference: MimeKit's parser and the object-model walk, default where MimeKit throws.</summary>
    private ContentFingerprint Parsed(byte[] raw)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(new MemoryStream(raw, writable: false));
        }
        catch (FormatException)
        {
            return default;
        }

        return _fingerprinter.Compute(message);
    }

    private static string Describe(ContentFingerprint fingerprint) => fingerprint.IsDefault
        ? "default"
        : $"features {fingerprint.FeatureCount}, little text {fingerprint.HasLittleText}, exact {fingerprint.ExactHash:x16}, subject \"{fingerprint.Subject}\"";
}
