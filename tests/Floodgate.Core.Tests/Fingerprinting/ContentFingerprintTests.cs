using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Tests.Fingerprinting;

public sealed class ContentFingerprintTests
{
    [Fact]
    public void ADefaultFingerprintIsSimilarToNothing()
    {
        var some = Fingerprinter.Shared.Compute(new ReadOnlyMemory<byte>("Subject: hi\r\n\r\nhello there\r\n"u8.ToArray()));

        Assert.Equal(0.0, default(ContentFingerprint).Similarity(some));
        Assert.Equal(0.0, some.Similarity(default));
    }

    [Fact]
    public void AStoredFingerprintRoundTrips()
    {
        var original = Fingerprinter.Shared.Compute(new ReadOnlyMemory<byte>("Subject: hi\r\n\r\nhello there, see you soon\r\n"u8.ToArray()));

        var stored = ContentFingerprint.FromStored(original.Values, original.ExactHash, original.FeatureCount, original.HasLittleText);

        Assert.Equal(original, stored);
    }

    [Theory]
    [InlineData(0.9, "near duplicates")]
    [InlineData(0.8, "the detector's threshold")]
    [InlineData(0.5, "half shared")]
    [InlineData(0.2, "mostly different")]
    public void TheEstimateIsCloseToTheTrueJaccardSimilarity(double jaccard, string reason)
    {
        _ = reason;
        var random = new Random(42);
        double totalError = 0;
        const int Trials = 40;
        for (int trial = 0; trial < Trials; trial++)
        {
            // Two sets of 200 features (the structure list holds 256) sharing jaccard * union of them.
            int union = 200;
            int shared = (int)Math.Round(jaccard * union);
            int eachOnly = (union - shared) / 2;
            var a = Accumulate(random, shared, eachOnly, out var b);
            totalError += Math.Abs(a.Similarity(b) - (double)shared / (shared + (2 * eachOnly)));
        }

        // sqrt(J(1-J)/128) <= 0.044, mean absolute error about 0.8 of that.
        Assert.InRange(totalError / Trials, 0.0, 0.05);
    }

    private static ContentFingerprint Accumulate(Random random, int shared, int eachOnly, out ContentFingerprint other)
    {
        var first = FingerprintAccumulator.Rent();
        var sharedTokens = new ulong[shared];
        for (int i = 0; i < shared; i++)
        {
            sharedTokens[i] = (ulong)random.NextInt64();
        }

        var result = Build(random, sharedTokens, eachOnly, first);
        FingerprintAccumulator.Return(first);
        var second = FingerprintAccumulator.Rent();
        other = Build(random, sharedTokens, eachOnly, second);
        FingerprintAccumulator.Return(second);
        return result;
    }

    private static ContentFingerprint Build(Random random, ulong[] shared, int eachOnly, FingerprintAccumulator accumulator)
    {
        // Structure features enter the MinHash as they are when there is little text: a set of known Jaccard.
        foreach (ulong token in shared)
        {
            accumulator.AddStructure(token);
        }

        for (int i = 0; i < eachOnly; i++)
        {
            accumulator.AddStructure((ulong)random.NextInt64());
        }

        return accumulator.Build();
    }
}

public sealed class FingerprinterCharsetTests
{
    [Fact]
    public void Latin1AndUtf8RenderingsOfOneTextAreIdentical()
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße aus München, schöne Grüße\r\n");
        var latin1Bytes = System.Text.Encoding.Latin1.GetBytes("Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nGrüße aus München, schöne Grüße\r\n");

        Assert.Equal(1.0, Fingerprinter.Shared.Compute(latin1Bytes).Similarity(Fingerprinter.Shared.Compute(utf8)));
    }

    [Fact]
    public void AnUnknownCharsetDoesNotThrow()
    {
        byte[] raw = "Subject: x\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello there friend\r\n"u8.ToArray();

        var fingerprint = Fingerprinter.Shared.Compute(raw);

        Assert.True(fingerprint.FeatureCount > 0);
    }
}
