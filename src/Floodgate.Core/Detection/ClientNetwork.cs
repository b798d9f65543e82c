using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Floodgate.Core.Detection;

/// <summary>
/// The network a login came from: the /24 of an IPv4 address, the /48 of an IPv6 one (a site's
/// allocation, RFC 6177; a home or an office rotates addresses inside it). An IPv4-mapped IPv6 address
/// (::ffff:a.b.c.d, what a dual-stack socket reports) is its IPv4 address. The key is the network's
/// address bits in the IPv6 space: IPv4 networks as ::ffff:a.b.c.0, so the two kinds never collide.
/// </summary>
public readonly record struct ClientNetwork(UInt128 Key)
{
    private static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32;

    public bool IsIPv4 => (Key >> 32) == 0xFFFF;

    public static bool TryParse(ReadOnlySpan<char> address, out ClientNetwork network)
    {
        network = default;
        var trimmed = address.Trim();
        if (trimmed.Length > 2 && trimmed[0] == '[' && trimmed[^1] == ']')
        {
            trimmed = trimmed[1..^1];
        }

        // Postfix writes IPv6 client addresses without a prefix; Sendmail's macros may carry "IPv6:".
        if (trimmed.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            trimmed = trimmed[5..];
        }

        return IPAddress.TryParse(trimmed, out var ip) && TryFrom(ip, out network);
    }

    public static bool TryFrom(IPAddress address, out ClientNetwork network)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork && address.TryWriteBytes(bytes, out _))
        {
            var v4 = ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8);
            network = new ClientNetwork(MappedPrefix | v4);
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.TryWriteBytes(bytes, out _))
        {
            UInt128 key = 0;
            for (var i = 0; i < 6; i++)
            {
                key = (key << 8) | bytes[i];
            }

            network = new ClientNetwork(key << 80);
            return true;
        }

        network = default;
        return false;
    }

    /// <summary>"203.0.113.0/24" or "2001:db8:1::/48".</summary>
    public override string ToString()
    {
        if (IsIPv4)
        {
            var v4 = (uint)(Key & 0xFFFF_FFFF);
            return string.Create(CultureInfo.InvariantCulture, $"{v4 >> 24}.{(v4 >> 16) & 0xFF}.{(v4 >> 8) & 0xFF}.0/24");
        }

        Span<byte> bytes = stackalloc byte[16];
        var k = Key;
        for (var i = 15; i >= 0; i--)
        {
            bytes[i] = (byte)(k & 0xFF);
            k >>= 8;
        }

        return new IPAddress(bytes) + "/48";
    }
}
