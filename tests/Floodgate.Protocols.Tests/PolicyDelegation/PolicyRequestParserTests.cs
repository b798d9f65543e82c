using System.Buffers;
using System.Text;
using Floodgate.Protocols.PolicyDelegation;

namespace Floodgate.Protocols.Tests.PolicyDelegation;

public sealed class PolicyRequestParserTests
{
    internal const string RcptRequest =
        "request=smtpd_access_policy\n" +
        "protocol_state=RCPT\n" +
        "protocol_name=ESMTP\n" +
        "client_address=192.0.2.10\n" +
        "client_name=mail.example.net\n" +
        "reverse_client_name=mail.example.net\n" +
        "helo_name=mail.example.net\n" +
        "sender=alice@example.com\n" +
        "recipient=bob@example.org\n" +
        "recipient_count=0\n" +
        "queue_id=\n" +
        "instance=1b2c.65f0a1b2.3c4d.0\n" +
        "size=12345\n" +
        "etrn_domain=\n" +
        "stress=\n" +
        "sasl_method=plain\n" +
        "sasl_username=alice@example.com\n" +
        "sasl_sender=\n" +
        "ccert_subject=\n" +
        "ccert_issuer=\n" +
        "ccert_fingerprint=\n" +
        "ccert_pubkey_fingerprint=\n" +
        "encryption_protocol=TLSv1.3\n" +
        "encryption_cipher=TLS_AES_256_GCM_SHA384\n" +
        "encryption_keysize=256\n" +
        "policy_context=submission\n" +
        "server_address=198.51.100.1\n" +
        "server_port=587\n" +
        "compatibility_level=3.6\n" +
        "mail_version=3.8.6\n" +
        "\n";

    private static (bool Complete, PolicyParseError Error, PolicyRequest Request, long Consumed) Parse(string input, PolicyRequestLimits? limits = null, int segmentSize = int.MaxValue)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        var sequence = segmentSize == int.MaxValue ? new ReadOnlySequence<byte>(bytes) : Sequences.Split(bytes, segmentSize);
        var reader = new SequenceReader<byte>(sequence);
        var request = new PolicyRequest(limits ?? new PolicyRequestLimits());
        var complete = PolicyRequestParser.TryParse(ref reader, request, out var error);
        return (complete, error, request, reader.Consumed);
    }

    [Fact]
    public void RcptRequestYieldsItsAttributes()
    {
        var (complete, error, request, consumed) = Parse(RcptRequest);

        Assert.True(complete);
        Assert.Equal(PolicyParseError.None, error);
        Assert.Equal(Encoding.UTF8.GetByteCount(RcptRequest), consumed);
        Assert.Equal(PolicyProtocolState.Rcpt, request.ProtocolState);
        Assert.Equal("smtpd_access_policy", request.Request);
        Assert.Equal("ESMTP", request.ProtocolName);
        Assert.Equal("192.0.2.10", request.ClientAddress);
        Assert.Equal("mail.example.net", request.ClientName);
        Assert.Equal("mail.example.net", request.HeloName);
        Assert.Equal("alice@example.com", request.Sender);
        Assert.Equal("bob@example.org", request.Recipient);
        Assert.Equal(0, request.RecipientCount);
        Assert.Equal(12345, request.Size);
        Assert.Equal("1b2c.65f0a1b2.3c4d.0", request.Instance);
        Assert.Equal("plain", request.SaslMethod);
        Assert.Equal("alice@example.com", request.SaslUsername);
        Assert.Equal("TLSv1.3", request.EncryptionProtocol);
        Assert.Equal(256, request.EncryptionKeySize);
        Assert.Equal("submission", request.PolicyContext);
        Assert.Equal(30, request.AttributeCount);
    }

    [Fact]
    public void EmptyValuesArePresentAndEmpty()
    {
        var (_, _, request, _) = Parse(RcptRequest);

        Assert.True(request.Has(PolicyAttribute.QueueId));
        Assert.Equal(string.Empty, request.QueueId);
        Assert.Equal(string.Empty, request.SaslSender);
        Assert.False(request.Has(PolicyAttribute.ClientPort));
        Assert.Null(request.GetString(PolicyAttribute.ClientPort));
    }

    [Fact]
    public void StringIsMadeOnceAndCachedUntilReset()
    {
        var (_, _, request, _) = Parse(RcptRequest);

        Assert.Same(request.Sender, request.Sender);
        request.Reset();
        Assert.Null(request.Sender);
        Assert.Equal(PolicyProtocolState.Unknown, request.ProtocolState);
    }

    [Fact]
    public void RequestSplitOverManySegmentsParsesTheSame()
    {
        var (complete, error, request, _) = Parse(RcptRequest, segmentSize: 7);

        Assert.True(complete, error.ToString());
        Assert.Equal("bob@example.org", request.Recipient);
        Assert.Equal(PolicyProtocolState.Rcpt, request.ProtocolState);
    }

    [Fact]
    public void PartialRequestKeepsItsLinesAndCompletesOnTheNextCall()
    {
        var request = new PolicyRequest();
        var first = Encoding.UTF8.GetBytes("request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(first));
        Assert.False(PolicyRequestParser.TryParse(ref reader, request, out var error));
        Assert.Equal(PolicyParseError.None, error);
        var rest = first.AsSpan((int)reader.Consumed).ToArray().Concat(Encoding.UTF8.GetBytes(".c\n\n")).ToArray();

        reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(rest));
        Assert.True(PolicyRequestParser.TryParse(ref reader, request, out error));
        Assert.Equal("a@b.c", request.Sender);
        Assert.Equal(PolicyProtocolState.Rcpt, request.ProtocolState);
    }

    public static TheoryData<string, string, PolicyProtocolState> States => new()
    {
        { "CONNECT", "smtpd_client_restrictions", PolicyProtocolState.Connect },
        { "EHLO", "smtpd_helo_restrictions after EHLO", PolicyProtocolState.Ehlo },
        { "HELO", "smtpd_helo_restrictions after HELO", PolicyProtocolState.Helo },
        { "MAIL", "smtpd_sender_restrictions", PolicyProtocolState.Mail },
        { "RCPT", "smtpd_recipient_restrictions", PolicyProtocolState.Rcpt },
        { "DATA", "smtpd_data_restrictions", PolicyProtocolState.Data },
        { "END-OF-MESSAGE", "smtpd_end_of_data_restrictions: size and recipient_count are final", PolicyProtocolState.EndOfMessage },
        { "VRFY", "VRFY command", PolicyProtocolState.Vrfy },
        { "ETRN", "ETRN command", PolicyProtocolState.Etrn },
        { "rcpt", "values are case-sensitive as Postfix sends them", PolicyProtocolState.Unknown },
        { "", "empty value", PolicyProtocolState.Unknown },
    };

    [Theory]
    [MemberData(nameof(States))]
    public void ProtocolStateIsDecodedWithoutAString(string wire, string reason, PolicyProtocolState expected)
    {
        var (complete, _, request, _) = Parse($"request=smtpd_access_policy\nprotocol_state={wire}\n\n");

        Assert.True(complete, reason);
        Assert.Equal(expected, request.ProtocolState);
    }

    public static TheoryData<string, string, bool, PolicyParseError> Cases => new()
    {
        { "request=smtpd_access_policy\nsender=\n\n", "the null sender is an empty value", true, PolicyParseError.None },
        { "request=smtpd_access_policy\r\nsender=x\r\n\r\n", "CR before LF is tolerated for hand-typed sessions", true, PolicyParseError.None },
        { "request=smtpd_access_policy\nx_new_attribute=1\n\n", "unknown attributes are ignored", true, PolicyParseError.None },
        { "request=smtpd_access_policy\nsender=a=b\n\n", "the value is everything after the first '='", true, PolicyParseError.None },
        { "request=smtpd_access_policy\nsender", "an unterminated line needs more data", false, PolicyParseError.None },
        { "", "nothing yet", false, PolicyParseError.None },
        { "request=smtpd_access_policy\nsender\n\n", "a line without '=' is malformed", false, PolicyParseError.MalformedLine },
        { "request=smtpd_access_policy\n=value\n\n", "an empty name is malformed", false, PolicyParseError.MalformedLine },
        { "\n", "an empty line before any attribute", false, PolicyParseError.EmptyRequest },
        { "protocol_state=RCPT\n\n", "a request without request=", false, PolicyParseError.UnsupportedRequest },
        { "request=junk\n\n", "an unknown request type", false, PolicyParseError.UnsupportedRequest },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LinesParseAsDocumented(string input, string reason, bool complete, PolicyParseError error)
    {
        var result = Parse(input);

        Assert.True(complete == result.Complete, reason);
        Assert.True(error == result.Error, $"{reason}: got {result.Error}");
    }

    [Fact]
    public void ValueContainingEqualsKeepsTheRest()
    {
        Assert.Equal("a=b", Parse("request=smtpd_access_policy\nsender=a=b\n\n").Request.Sender);
    }

    [Fact]
    public void LineLongerThanTheLimitIsRefusedBeforeItEnds()
    {
        var limits = new PolicyRequestLimits { MaxLineLength = 100, MaxRequestSize = 1000 };

        var result = Parse("request=smtpd_access_policy\nsender=" + new string('x', 200), limits);

        Assert.Equal(PolicyParseError.LineTooLong, result.Error);
    }

    [Fact]
    public void TooManyAttributesIsRefused()
    {
        var limits = new PolicyRequestLimits { MaxAttributes = 5 };
        var input = "request=smtpd_access_policy\n" + string.Concat(Enumerable.Repeat("x=1\n", 10)) + "\n";

        Assert.Equal(PolicyParseError.TooManyAttributes, Parse(input, limits).Error);
    }

    [Fact]
    public void RequestLargerThanTheLimitIsRefused()
    {
        var limits = new PolicyRequestLimits { MaxLineLength = 100, MaxRequestSize = 500 };
        var input = "request=smtpd_access_policy\n" + string.Concat(Enumerable.Repeat("x=" + new string('y', 90) + "\n", 10)) + "\n";

        Assert.Equal(PolicyParseError.RequestTooLarge, Parse(input, limits).Error);
    }

    [Fact]
    public void NonNumericCountIsMinusOneNotAnError()
    {
        var result = Parse("request=smtpd_access_policy\nrecipient_count=many\nsize=-5\n\n");

        Assert.True(result.Complete);
        Assert.Equal(-1, result.Request.RecipientCount);
        Assert.Equal(-1, result.Request.Size);
    }

    [Fact]
    public void RepeatedAttributeKeepsTheLastValue()
    {
        Assert.Equal("second", Parse("request=smtpd_access_policy\nsender=first\nsender=second\n\n").Request.Sender);
    }

    [Fact]
    public void Utf8ValueIsDecoded()
    {
        Assert.Equal("jörg@exämple.de", Parse("request=smtpd_access_policy\nsender=jörg@exämple.de\n\n").Request.Sender);
    }

    [Fact]
    public void ParsingAWarmRequestAllocatesNothing()
    {
        var bytes = Encoding.UTF8.GetBytes(RcptRequest);
        var request = new PolicyRequest();
        ParseOnce(bytes, request);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            ParseOnce(bytes, request);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void ParseOnce(byte[] bytes, PolicyRequest request)
    {
        request.Reset();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        PolicyRequestParser.TryParse(ref reader, request, out _);
    }
}
