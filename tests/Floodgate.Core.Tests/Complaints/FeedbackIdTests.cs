using Floodgate.Core.Bounces;
using Floodgate.Core.Complaints;

namespace Floodgate.Core.Tests.Complaints;

public sealed class FeedbackIdTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
    private static readonly DateTimeOffset At = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AValueVerifiesWithTheKeyAndNamesItsMailboxAndTime()
    {
        var ids = new FeedbackId(Key);
        var value = ids.Create(123456, At);

        Assert.Equal(FeedbackId.Length, value.Length);
        Assert.True(value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), "base64url: RFC 5322 atext only");
        Assert.Equal(FeedbackIdCheck.Valid, ids.Verify("  " + value + "\r\n", out var reference));
        Assert.Equal(123456, reference.MailboxId);
        Assert.Equal(At, reference.RelayedAt);
    }

    [Fact]
    public void TwoMessagesOfOneMailboxInOneSecondGetDifferentValues()
    {
        var ids = new FeedbackId(Key);
        Assert.NotEqual(ids.Create(1, At), ids.Create(1, At));
    }

    [Fact]
    public void EveryAlteredCharacterAndAnotherKeyFailVerification()
    {
        var ids = new FeedbackId(Key);
        var value = ids.Create(5, At);
        // From the second character on (the first holds the version), each change keeps our format but breaks the MAC.
        for (var i = 2; i < value.Length - 1; i++)
        {
            var altered = value[..i] + (value[i] == 'A' ? 'B' : 'A') + value[(i + 1)..];
            Assert.Equal(FeedbackIdCheck.BadSignature, ids.Verify(altered, out var reference));
            Assert.Equal(default, reference);
        }

        var otherKey = new FeedbackId([.. Key.Select(b => (byte)(b ^ 1))]);
        Assert.Equal(FeedbackIdCheck.BadSignature, otherKey.Verify(value, out _));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("111:222:333:4444", "RFC 9477's own example: another sender's format")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "too long")]
    [InlineData("AQAAAAEAAAAAAAAB!!!!!!!!!!!!!!!!", "not base64url")]
    [InlineData("AgAAAAEAAAAAAAABAAAAAAAAAAAAAAAA", "version 2 is not ours")]
    public void AValueNotInOurFormatIsNotOurs(string value, string why)
    {
        Assert.True(FeedbackIdCheck.NotOurs == new FeedbackId(Key).Verify(value, out _), why);
    }

    [Fact]
    public void WritingAValueAllocatesNothing()
    {
        var ids = new FeedbackId(Key);
        Span<byte> destination = stackalloc byte[FeedbackId.Length];
        ids.Write(1, At, destination);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            ids.Write(i, At, destination);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void AShortKeyIsRefused() => Assert.Throws<ArgumentException>(() => new FeedbackId(new byte[16]));

    [Theory]
    [InlineData("Complaints:Address", "Address", "not-an-address")]
    [InlineData("Complaints:SigningKey", "SigningKey", "c2hvcnQ=")]
    [InlineData("Complaints:OffenseRate", "OffenseRate", "0.0005")]
    [InlineData("Complaints:MinComplaints", "MinComplaints", "0")]
    public void ABadSettingIsNamed(string setting, string property, string value)
    {
        var options = new ComplaintOptions();
        var p = typeof(ComplaintOptions).GetProperty(property)!;
        p.SetValue(options, p.PropertyType == typeof(string) ? value : Convert.ChangeType(value, Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(options.Validate(), e => e.StartsWith(setting + ":", StringComparison.Ordinal));
        Assert.Empty(new ComplaintOptions { Address = "fbl@provider.test", SigningKey = Convert.ToBase64String(Key) }.Validate());
    }
}

public sealed class ComplaintFactsTests
{
    private const string Report = """
        From: <fbl@mailbox.example>
        To: <fbl@provider.test>
        Subject: complaint
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=feedback-report; boundary="r"

        --r
        Content-Type: text/plain

        A complaint.

        --r
        Content-Type: message/feedback-report

        Feedback-Type: abuse
        User-Agent: ExampleFBL/1.0
        Version: 1
        Source-IP: 192.0.2.9
        Original-Rcpt-To: <reader@mailbox.example>
        Reported-Domain: acme.test

        --r
        Content-Type: text/rfc822-headers

        CFBL-Address: fbl@provider.test; report=arf
        CFBL-Feedback-ID: first
        From: <ann@acme.test>
        Message-ID: <m-1@acme.test>
        CFBL-Feedback-ID: second

        --r--

        """;

    [Fact]
    public void TheOriginalsMessageIdAndEveryTraceValueAreRead()
    {
        Assert.True(BounceClassifier.TryClassify(System.Text.Encoding.ASCII.GetBytes(Report.ReplaceLineEndings("\r\n")), out var report));
        var facts = report.Complaint!;
        Assert.Null(facts.Error);
        Assert.Equal("abuse", facts.FeedbackType);
        Assert.Equal("m-1@acme.test", facts.OriginalMessageId);
        Assert.Equal(["first", "second"], facts.FeedbackIds);
        Assert.Equal("192.0.2.9", facts.SourceIp);
        Assert.Equal("reader@mailbox.example", facts.OriginalRecipient);
        Assert.Equal("ExampleFBL/1.0", facts.UserAgent);
    }

    [Fact]
    public void AFeedbackReportWithoutItsOriginalIsMalformed()
    {
        var cut = Report[..Report.IndexOf("--r\nContent-Type: text/rfc822-headers", StringComparison.Ordinal)] + "--r--\n";
        Assert.True(BounceClassifier.TryClassify(System.Text.Encoding.ASCII.GetBytes(cut.ReplaceLineEndings("\r\n")), out var report));
        Assert.Equal(BounceKind.Feedback, report.Kind);
        Assert.StartsWith("malformed ARF report: no original message", report.Complaint!.Error, StringComparison.Ordinal);
    }
}
