using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Floodgate.Protocols.PolicyDelegation;

namespace Floodgate.Benchmarks;

/// <summary>Parsing one Postfix policy request as smtpd sends it (about 30 attributes, ~800 bytes).</summary>
[MemoryDiagnoser]
public class PolicyDelegationBenchmarks
{
    private const string Common =
        "request=smtpd_access_policy\nprotocol_name=ESMTP\nclient_address=192.0.2.10\nclient_name=mail.example.net\n" +
        "reverse_client_name=mail.example.net\nhelo_name=mail.example.net\nsender=alice@example.com\n" +
        "instance=1b2c.65f0a1b2.3c4d.0\netrn_domain=\nstress=\nsasl_method=plain\nsasl_username=alice@example.com\n" +
        "sasl_sender=\nccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n" +
        "encryption_protocol=TLSv1.3\nencryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\n" +
        "policy_context=submission\nserver_address=198.51.100.1\nserver_port=587\ncompatibility_level=3.6\nmail_version=3.8.6\n";

    private readonly byte[] _rcpt = Encoding.UTF8.GetBytes(Common + "protocol_state=RCPT\nrecipient=bob@example.org\nrecipient_count=0\nqueue_id=\nsize=12345\n\n");
    private readonly byte[] _endOfMessage = Encoding.UTF8.GetBytes(Common + "protocol_state=END-OF-MESSAGE\nrecipient=\nrecipient_count=3\nqueue_id=4XyZ1c2Ab3\nsize=48213\n\n");
    private readonly PolicyRequest _request = new();

    [Benchmark(Baseline = true)]
    public PolicyProtocolState ParseRcptRequest() => Parse(_rcpt);

    [Benchmark]
    public PolicyProtocolState ParseEndOfMessageRequest() => Parse(_endOfMessage);

    /// <summary>The parse plus the two strings a typical handler asks for (the account and the recipient).</summary>
    [Benchmark]
    public int ParseRcptRequestAndReadTwoStrings()
    {
        Parse(_rcpt);
        return _request.SaslUsername!.Length + _request.Recipient!.Length;
    }

    private PolicyProtocolState Parse(byte[] bytes)
    {
        _request.Reset();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        PolicyRequestParser.TryParse(ref reader, _request, out _);
        return _request.ProtocolState;
    }
}
