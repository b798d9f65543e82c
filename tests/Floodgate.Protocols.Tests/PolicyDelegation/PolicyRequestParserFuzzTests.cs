using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Floodgate.Protocols.PolicyDelegation;

namespace Floodgate.Protocols.Tests.PolicyDelegation;

/// <summary>
/// Generated input against the parser: it must never throw, never consume more than it was given, and
/// end every request either complete or with an error. The seed is fixed so a failure replays.
/// </summary>
public sealed class PolicyRequestParserFuzzTests
{
    private const string Seed = "(20250101,7)";
    private static readonly PolicyRequestLimits SmallLimits = new() { MaxLineLength = 64, MaxAttributes = 16, MaxRequestSize = 512 };

    [Property(Replay = Seed, MaxTest = 500)]
    public void ArbitraryBytesNeverBreakTheParser(byte[] input) => ParseAll(input, segmentSize: 1 + (input.Length % 13));

    [Property(Replay = Seed, MaxTest = 500, Arbitrary = [typeof(NearValidRequests)])]
    public void NearValidRequestsAreParsedOrRefused(NearValidRequest request) => ParseAll(request.Bytes, segmentSize: request.SegmentSize);

    [Property(Replay = Seed, MaxTest = 200, Arbitrary = [typeof(NearValidRequests)])]
    public void ValidRequestsRoundTripTheirValues(ValidRequest request)
    {
        var parsed = new PolicyRequest();
        var reader = new SequenceReader<byte>(Sequences.Split(request.Bytes, request.SegmentSize));

        Assert.True(PolicyRequestParser.TryParse(ref reader, parsed, out var error), error.ToString());
        Assert.Equal(request.Sender, parsed.Sender);
        Assert.Equal(request.Recipient, parsed.Recipient);
        Assert.Equal(request.Bytes.Length, reader.Consumed);
    }

    // Drives the parser as the server does: parse, reset after each request, stop at an error or when
    // no progress is possible.
    private static void ParseAll(byte[] input, int segmentSize)
    {
        var request = new PolicyRequest(SmallLimits);
        var sequence = Sequences.Split(input, segmentSize);
        var reader = new SequenceReader<byte>(sequence);
        for (var guard = 0; guard <= input.Length + 1; guard++)
        {
            var before = reader.Consumed;
            var complete = PolicyRequestParser.TryParse(ref reader, request, out var error);
            Assert.InRange(reader.Consumed, before, input.Length);
            Assert.InRange(request.ByteCount, 0, SmallLimits.MaxRequestSize);
            if (complete)
            {
                Assert.Equal(PolicyParseError.None, error);
                Assert.Equal("smtpd_access_policy", request.Request);
                request.Reset();
                continue;
            }

            return;
        }

        Assert.Fail("the parser made no progress");
    }
}

public sealed record NearValidRequest(byte[] Bytes, int SegmentSize)
{
    public override string ToString() => Encoding.UTF8.GetString(Bytes).Replace("\n", "\\n", StringComparison.Ordinal);
}

public sealed record ValidRequest(byte[] Bytes, int SegmentSize, string Sender, string Recipient)
{
    public override string ToString() => Encoding.UTF8.GetString(Bytes).Replace("\n", "\\n", StringComparison.Ordinal);
}

public static class NearValidRequests
{
    private static readonly string[] Names = ["request", "protocol_state", "sender", "recipient", "recipient_count", "size", "instance", "sasl_username", "x_unknown", ""];

    private static Gen<string> Value =>
        Gen.Elements("", "RCPT", "END-OF-MESSAGE", "alice@example.com", "smtpd_access_policy", "12", "-1", "99999999999999999999", "a=b", "jörg", "\r", "x\0y")
            .Zip(Gen.Choose(0, 80), (value, repeat) => repeat > 70 ? new string('v', repeat * 2) : value);

    private static Gen<string> Line =>
        Gen.Elements(Names).Zip(Value, (name, value) => name + "=" + value)
            .Zip(Gen.Choose(0, 20), (line, mutation) => mutation switch
            {
                0 => line.Replace("=", string.Empty, StringComparison.Ordinal), // no '='
                1 => line + "\r",
                2 => line[..(line.Length / 2)], // cut short
                _ => line,
            });

    public static Arbitrary<NearValidRequest> NearValid() =>
        Gen.ListOf(Line)
            .Zip(Gen.Choose(0, 3), (lines, ending) =>
            {
                var text = "request=smtpd_access_policy\n" + string.Join("\n", lines) + (ending == 0 ? string.Empty : "\n\n");
                return Encoding.UTF8.GetBytes(text);
            })
            .Zip(Gen.Choose(1, 40), (bytes, segment) => new NearValidRequest(bytes, segment))
            .ToArbitrary();

    public static Arbitrary<ValidRequest> Valid() =>
        Gen.Elements("", "alice@example.com", "a=b@example.com", "jörg@exämple.de")
            .Zip(Gen.Elements("bob@example.org", "x@y", ""), (sender, recipient) => (sender, recipient))
            .Zip(Gen.Choose(1, 40), (pair, segment) => new ValidRequest(
                Encoding.UTF8.GetBytes($"request=smtpd_access_policy\nprotocol_state=RCPT\nsender={pair.sender}\nrecipient={pair.recipient}\nunknown=1\n\n"),
                segment,
                pair.sender,
                pair.recipient))
            .ToArbitrary();
}
