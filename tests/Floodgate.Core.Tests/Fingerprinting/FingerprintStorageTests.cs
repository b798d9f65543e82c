using Floodgate.Core.Fingerprinting;
using MimeKit;

namespace Floodgate.Core.Tests.Fingerprinting;

public sealed class FingerprintStorageTests
{
    [Fact]
    public void AFingerprintSurvivesItsBytes()
    {
        var message = new MimeMessage { Subject = "Stored", Body = new TextPart("plain") { Text = "The quarterly figures are attached; the board meets on Friday to approve them." } };
        var fp = Fingerprinter.Shared.Compute(message);
        Assert.True(ContentFingerprint.TryFromBytes(fp.ToBytes(), out var back));
        Assert.Equal(1.0, fp.Similarity(back));
        Assert.Equal(fp.ExactHash, back.ExactHash);
        Assert.Equal(fp.FeatureCount, back.FeatureCount);
    }

    [Theory]
    [InlineData(0, "empty")]
    [InlineData(10, "too short")]
    [InlineData(600, "wrong size")]
    public void BytesThatAreNoFingerprintAreRefused(int length, string reason)
    {
        Assert.False(ContentFingerprint.TryFromBytes(new byte[length], out _), reason);
    }
}
