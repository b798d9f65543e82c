using System.Net;
using System.Text;
using Floodgate.Protocols.Listening;

namespace Floodgate.Protocols.Tests.Listening;

/// <summary>The PROXY header parsers (HAProxy's proxy-protocol.txt, versions 1 and 2) on well-formed and hostile input.</summary>
public sealed class ProxyProtocolTests
{
    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static bool V1(string line, out ProxyHeader header, out string? error) =>
        ProxyProtocol.TryParseV1(Encoding.ASCII.GetBytes(line), out header, out error);

    [Fact]
    public void AV1Tcp4HeaderNamesTheClientAndTheAddressItReached()
    {
        Assert.True(V1("PROXY TCP4 192.0.2.10 198.51.100.2 56324 587\r\n", out var header, out var error), error);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.10"), 56324), header.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.2"), 587), header.Destination);
    }

    [Fact]
    public void AV1Tcp6HeaderWithTheLongestAddressesAndPortsIsRead()
    {
        const string line = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        Assert.True(line.Length <= ProxyProtocol.V1MaxLength);

        Assert.True(V1(line, out var header, out var error), error);
        Assert.Equal(65535, header.Source!.Port);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, header.Source.AddressFamily);
    }

    [Fact]
    public void AV1UnknownHeaderKeepsTheConnectionsOwnAddress()
    {
        Assert.True(V1("PROXY UNKNOWN\r\n", out var bare, out _));
        Assert.Null(bare.Source);
        Assert.True(V1("PROXY UNKNOWN ffff:: ffff:: 1 2\r\n", out var withRest, out _));
        Assert.Null(withRest.Source);
    }

    [Theory]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.2 56324 587\n", "LF without CR")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.2 56324\r\n", "a port missing")]
    [InlineData("PROXY TCP4 192.0.2.10  198.51.100.2 56324 587\r\n", "two spaces")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.2 56324 587 9\r\n", "a field too many")]
    [InlineData("PROXY tcp4 192.0.2.10 198.51.100.2 56324 587\r\n", "the protocol in lower case")]
    [InlineData("PROXY TCP5 192.0.2.10 198.51.100.2 56324 587\r\n", "no such protocol")]
    [InlineData("PROXY TCP4 2001:db8::1 198.51.100.2 56324 587\r\n", "an IPv6 address under TCP4")]
    [InlineData("PROXY TCP6 192.0.2.10 2001:db8::2 56324 587\r\n", "an IPv4 address under TCP6")]
    [InlineData("PROXY TCP4 3221225994 198.51.100.2 56324 587\r\n", "an address as one number")]
    [InlineData("PROXY TCP6 fe80::1%eth0 2001:db8::2 56324 587\r\n", "a zone id")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.2 65536 587\r\n", "a port over 65535")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.2 0587 587\r\n", "a port with a leading zero")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.2 -1 587\r\n", "a negative port")]
    [InlineData("proxy TCP4 192.0.2.10 198.51.100.2 56324 587\r\n", "the keyword in lower case")]
    public void AMalformedV1HeaderIsRefusedWithAReason(string line, string why)
    {
        Assert.False(V1(line, out var header, out var error), why);
        Assert.False(string.IsNullOrEmpty(error), why);
        Assert.Null(header.Source);
    }

    [Fact]
    public void AV1HeaderLongerThan107BytesIsRefused()
    {
        var line = "PROXY UNKNOWN " + new string('x', 100) + "\r\n";
        Assert.False(V1(line, out _, out var error));
        Assert.Contains("107", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlBytesInAV1HeaderAreNotEchoedIntoTheError()
    {
        Assert.False(V1("PROXY T\u001bCP4 a b 1 2\r\n", out _, out var error));
        Assert.DoesNotContain('\u001b', error!);
    }

    internal static byte[] V2(byte versionCommand, byte familyTransport, byte[] payload)
    {
        var header = new byte[16 + payload.Length];
        Signature.CopyTo(header, 0);
        header[12] = versionCommand;
        header[13] = familyTransport;
        header[14] = (byte)(payload.Length >> 8);
        header[15] = (byte)payload.Length;
        payload.CopyTo(header, 16);
        return header;
    }

    internal static byte[] V2Tcp4(string source, int sourcePort, string destination, int destinationPort, byte[]? tlvs = null)
    {
        var payload = new List<byte>();
        payload.AddRange(IPAddress.Parse(source).GetAddressBytes());
        payload.AddRange(IPAddress.Parse(destination).GetAddressBytes());
        payload.AddRange([(byte)(sourcePort >> 8), (byte)sourcePort, (byte)(destinationPort >> 8), (byte)destinationPort]);
        payload.AddRange(tlvs ?? []);
        return V2(0x21, 0x11, [.. payload]);
    }

    [Fact]
    public void AV2ProxyHeaderOverTcp4NamesTheClient()
    {
        Assert.True(ProxyProtocol.TryParseV2(V2Tcp4("203.0.113.7", 40000, "198.51.100.2", 587), out var header, out var error), error);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40000), header.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.2"), 587), header.Destination);
    }

    [Fact]
    public void TlvsAfterTheAddressesAreSkipped()
    {
        // PP2_TYPE_UNIQUE_ID (0x05) with 4 bytes, as HAProxy's unique-id option sends it.
        byte[] tlv = [0x05, 0x00, 0x04, 1, 2, 3, 4];
        Assert.True(ProxyProtocol.TryParseV2(V2Tcp4("203.0.113.7", 40000, "198.51.100.2", 587, tlv), out var header, out var error), error);
        Assert.Equal(40000, header.Source!.Port);
    }

    [Fact]
    public void AV2ProxyHeaderOverTcp6NamesTheClient()
    {
        var payload = new List<byte>();
        payload.AddRange(IPAddress.Parse("2001:db8::7").GetAddressBytes());
        payload.AddRange(IPAddress.Parse("2001:db8::2").GetAddressBytes());
        payload.AddRange([0x9C, 0x40, 0x02, 0x4B]);

        Assert.True(ProxyProtocol.TryParseV2(V2(0x21, 0x21, [.. payload]), out var header, out var error), error);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40000), header.Source);
        Assert.Equal(587, header.Destination!.Port);
    }

    [Fact]
    public void AV2LocalOrUnspecifiedHeaderKeepsTheConnectionsOwnAddress()
    {
        Assert.True(ProxyProtocol.TryParseV2(V2(0x20, 0x00, []), out var local, out _));
        Assert.Null(local.Source);
        // LOCAL with addresses: they are to be ignored (the balancer's own health check).
        var withAddresses = V2Tcp4("203.0.113.7", 40000, "198.51.100.2", 587);
        withAddresses[12] = 0x20;
        Assert.True(ProxyProtocol.TryParseV2(withAddresses, out var ignored, out _));
        Assert.Null(ignored.Source);
        Assert.True(ProxyProtocol.TryParseV2(V2(0x21, 0x00, []), out var unspecified, out _));
        Assert.Null(unspecified.Source);
    }

    [Theory]
    [InlineData(0x11, 0x11, 12, "version 1 in a v2 signature")]
    [InlineData(0x22, 0x11, 12, "command 2")]
    [InlineData(0x21, 0x12, 12, "a datagram transport")]
    [InlineData(0x21, 0x11, 11, "an IPv4 payload one byte short")]
    [InlineData(0x21, 0x21, 20, "an IPv6 payload too short")]
    [InlineData(0x21, 0x41, 12, "address family 4")]
    public void AMalformedV2HeaderIsRefusedWithAReason(byte versionCommand, byte familyTransport, int payloadLength, string why)
    {
        Assert.False(ProxyProtocol.TryParseV2(V2(versionCommand, familyTransport, new byte[payloadLength]), out var header, out var error), why);
        Assert.False(string.IsNullOrEmpty(error), why);
        Assert.Null(header.Source);
    }

    [Fact]
    public void AV2HeaderWhoseLengthDisagreesWithItsBytesIsRefused()
    {
        var header = V2Tcp4("203.0.113.7", 40000, "198.51.100.2", 587);
        Assert.False(ProxyProtocol.TryParseV2(header.AsSpan(0, header.Length - 1), out _, out var error));
        Assert.Contains("announces", error, StringComparison.Ordinal);
        header[0] = 0x0A;
        Assert.False(ProxyProtocol.TryParseV2(header, out _, out error));
        Assert.Contains("signature", error, StringComparison.Ordinal);
    }
}
