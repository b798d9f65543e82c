using System.Text;
using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Tests.Fingerprinting;

public sealed class SubjectTests
{
    private static ContentFingerprint Of(string headers) =>
        Fingerprinter.Shared.Compute(new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(headers + "\r\n\r\nHello there, this is the body of the message.\r\n")));

    [Fact]
    public void TheSubjectIsKeptAsAPersonReadsIt()
    {
        var fingerprint = Of("From: a@b.test\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?= and\r\n   more\twords");
        Assert.Equal("Grüße and more words", fingerprint.Subject);
    }

    [Fact]
    public void AHugeSubjectKeepsItsFirst120Characters()
    {
        var fingerprint = Of("From: a@b.test\r\nSubject: " + new string('x', 5000));
        Assert.Equal(new string('x', ContentFingerprint.MaxSubjectLength), fingerprint.Subject);
    }

    [Fact]
    public void AMessageWithoutASubjectHasNone()
    {
        Assert.Null(Of("From: a@b.test").Subject);
        Assert.Null(Of("From: a@b.test\r\nSubject:    ").Subject);
    }

    [Fact]
    public void TheSubjectIsNotPartOfTheFingerprintsIdentity()
    {
        var a = Of("From: a@b.test\r\nSubject: Offer");
        Assert.Equal(a, a.WithoutAnchors());
        Assert.Equal("Offer", a.WithoutAnchors().Subject);
        Assert.True(ContentFingerprint.TryFromBytes(a.ToBytes(), out var stored));
        Assert.Equal(a, stored);
        Assert.Null(stored.Subject);
    }
}
