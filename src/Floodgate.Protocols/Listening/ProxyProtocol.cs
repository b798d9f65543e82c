using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.Protocols.Listening;

/// <summary>
/// Where a connection really comes from, as a load balancer's PROXY header says. Null endpoints: the
/// header carries none (v1 UNKNOWN, v2 LOCAL or an unspecified family: the balancer's own health
/// check), and the connection's own endpoints stand.
/// </summary>
public sealed record ProxyHeader(IPEndPoint? Source, IPEndPoint? Destination)
{
    public static readonly ProxyHeader None = new(null, null);
}

/// <summary>
/// The PROXY protocol, versions 1 (text) and 2 (binary), as HAProxy's proxy-protocol.txt defines
/// them: the balancer sends one header before any byte of the client's, so an SMTP server reads it
/// before its greeting. The parsers are Try methods over spans and never throw on what the peer
/// sent; <see cref="ReadAsync"/> reads exactly the header's bytes, never one of the client's.
/// </summary>
public static class ProxyProtocol
{
    /// <summary>Longest v1 header, CRLF included ("PROXY TCP6" and two full IPv6 addresses and ports).</summary>
    public const int V1MaxLength = 107;

    /// <summary>The v2 fixed part: signature, version and command, family and transport, length.</summary>
    public const int V2FixedLength = 16;

    /// <summary>
    /// Most v2 payload accepted: addresses (216 bytes for unix sockets) and the TLVs a balancer adds
    /// (ALPN, authority, TLS details, a unique id). A longer header is an error, not a reason to
    /// buffer 64 KiB per connection.
    /// </summary>
    public const int V2MaxPayload = 2048;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>Both versions' headers are at least this long (v1 "PROXY UNKNOWN\r\n" is 15), so it is safe to wait for them.</summary>
    private const int ShortestHeader = 15;

    /// <summary>
    /// Reads one header from <paramref name="socket"/>: the caller bounds the wait through
    /// <paramref name="cancellationToken"/>. A peer that closes or sends something else gets a
    /// <see cref="ProxyProtocolException"/> whose message says what was wrong.
    /// </summary>
    public static async ValueTask<ProxyHeader> ReadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[V2FixedLength + V2MaxPayload];
        await ReceiveExactlyAsync(socket, buffer.AsMemory(0, ShortestHeader), cancellationToken).ConfigureAwait(false);
        if (buffer.AsSpan(0, V2Signature.Length).SequenceEqual(V2Signature))
        {
            await ReceiveExactlyAsync(socket, buffer.AsMemory(ShortestHeader, V2FixedLength - ShortestHeader), cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(14, 2));
            if (length > V2MaxPayload)
            {
                throw new ProxyProtocolException($"PROXY v2 header of {length} bytes is longer than the {V2MaxPayload} accepted");
            }

            await ReceiveExactlyAsync(socket, buffer.AsMemory(V2FixedLength, length), cancellationToken).ConfigureAwait(false);
            return TryParseV2(buffer.AsSpan(0, V2FixedLength + length), out var header, out var error)
                ? header
                : throw new ProxyProtocolException(error!);
        }

        if (!buffer.AsSpan(0, V1Prefix.Length).SequenceEqual(V1Prefix))
        {
            throw new ProxyProtocolException("no PROXY header: the connection did not start with a PROXY v1 or v2 signature");
        }

        // A v1 header ends at its LF; reading byte by byte past the shortest header keeps the
        // client's first bytes (none, for SMTP, before the greeting) out of this buffer.
        var read = ShortestHeader;
        while (buffer[read - 1] != (byte)'\n')
        {
            if (read == V1MaxLength)
            {
                throw new ProxyProtocolException($"PROXY v1 header without CRLF in its first {V1MaxLength} bytes");
            }

            await ReceiveExactlyAsync(socket, buffer.AsMemory(read, 1), cancellationToken).ConfigureAwait(false);
            read++;
        }

        return TryParseV1(buffer.AsSpan(0, read), out var v1, out var v1Error) ? v1 : throw new ProxyProtocolException(v1Error!);
    }

    /// <summary>A v1 header, CRLF included: <c>PROXY TCP4 192.0.2.1 198.51.100.2 56324 587\r\n</c>.</summary>
    public static bool TryParseV1(ReadOnlySpan<byte> line, out ProxyHeader header, out string? error)
    {
        header = ProxyHeader.None;
        if (line.Length > V1MaxLength || !line.EndsWith("\r\n"u8) || !line.StartsWith(V1Prefix))
        {
            error = "PROXY v1 header must be 'PROXY ...' ending in CRLF within 107 bytes";
            return false;
        }

        var text = Encoding.ASCII.GetString(line[V1Prefix.Length..^2]);
        var parts = text.Split(' ');
        if (parts[0] == "UNKNOWN")
        {
            // The balancer could not tell (or it is its own check): the rest of the line is ignored.
            error = null;
            return true;
        }

        var family = parts[0] switch
        {
            "TCP4" => AddressFamily.InterNetwork,
            "TCP6" => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (family == AddressFamily.Unknown)
        {
            error = $"PROXY v1 protocol '{Printable(parts[0])}' is none of TCP4, TCP6, UNKNOWN";
            return false;
        }

        if (parts.Length != 5)
        {
            error = "PROXY v1 header must have a source and destination address and port, separated by single spaces";
            return false;
        }

        if (!TryAddress(parts[1], family, out var source) || !TryAddress(parts[2], family, out var destination))
        {
            error = $"PROXY v1 addresses '{Printable(parts[1])}' and '{Printable(parts[2])}' are not both {parts[0]} addresses";
            return false;
        }

        if (!TryPort(parts[3], out var sourcePort) || !TryPort(parts[4], out var destinationPort))
        {
            error = $"PROXY v1 ports '{Printable(parts[3])}' and '{Printable(parts[4])}' are not both decimal numbers 0 to 65535";
            return false;
        }

        header = new ProxyHeader(new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        error = null;
        return true;
    }

    /// <summary>A whole v2 header: the 16 fixed bytes and the payload their length announces.</summary>
    public static bool TryParseV2(ReadOnlySpan<byte> data, out ProxyHeader header, out string? error)
    {
        header = ProxyHeader.None;
        if (data.Length < V2FixedLength || !data[..V2Signature.Length].SequenceEqual(V2Signature))
        {
            error = "PROXY v2 header must start with its 12-byte signature";
            return false;
        }

        var version = data[12] >> 4;
        var command = data[12] & 0x0F;
        if (version != 2 || command > 1)
        {
            error = $"PROXY v2 version {version} command {command} is not version 2 LOCAL or PROXY";
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(14, 2));
        if (data.Length != V2FixedLength + length)
        {
            error = $"PROXY v2 header announces {length} bytes but carries {data.Length - V2FixedLength}";
            return false;
        }

        var payload = data[V2FixedLength..];
        var family = data[13] >> 4;
        var transport = data[13] & 0x0F;
        // LOCAL: the balancer's own connection (a health check); the addresses, if any, are to be ignored.
        if (command == 0 || family == 0)
        {
            error = null;
            return true;
        }

        if (transport != 1)
        {
            error = $"PROXY v2 transport {transport} is not a stream (TCP)";
            return false;
        }

        switch (family)
        {
            case 1 when payload.Length >= 12:
                header = new ProxyHeader(
                    new IPEndPoint(new IPAddress(payload[..4]), BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(8, 2))),
                    new IPEndPoint(new IPAddress(payload.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(10, 2))));
                break;
            case 2 when payload.Length >= 36:
                header = new ProxyHeader(
                    new IPEndPoint(new IPAddress(payload[..16]), BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(32, 2))),
                    new IPEndPoint(new IPAddress(payload.Slice(16, 16)), BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(34, 2))));
                break;
            case 3:
                // A client on a unix socket of the balancer's host: it has no network address to keep.
                break;
            case 1 or 2:
                error = $"PROXY v2 payload of {payload.Length} bytes is too short for its {(family == 1 ? "IPv4" : "IPv6")} addresses";
                return false;
            default:
                error = $"PROXY v2 address family {family} is none of unspecified, IPv4, IPv6, unix";
                return false;
        }

        error = null;
        return true;
    }

    private static bool TryAddress(string text, AddressFamily family, out IPAddress address)
    {
        // IPAddress.TryParse takes "1" for 0.0.0.1 and zone ids; the spec wants the plain forms.
        if (!IPAddress.TryParse(text, out address!) || address.AddressFamily != family || text.Contains('%', StringComparison.Ordinal))
        {
            return false;
        }

        return family != AddressFamily.InterNetwork || address.ToString() == text;
    }

    private static bool TryPort(string text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            port = (port * 10) + (c - '0');
        }

        return port <= 65535;
    }

    private static string Printable(string text)
    {
        var clipped = text.Length > 40 ? text[..40] : text;
        return string.Create(clipped.Length, clipped, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = s[i] is >= ' ' and <= '~' ? s[i] : '?';
            }
        });
    }

    private static async ValueTask ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new ProxyProtocolException("the connection closed before its PROXY header was complete");
            }

            buffer = buffer[n..];
        }
    }
}

/// <summary>A connection from a trusted balancer that did not start with a well-formed PROXY header.</summary>
public sealed class ProxyProtocolException(string message) : Exception(message);
