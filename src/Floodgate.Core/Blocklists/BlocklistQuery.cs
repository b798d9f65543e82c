using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.Core.Blocklists;

/// <summary>The DNS name asked for one address or domain in one zone (RFC 5782 2.1–2.4).</summary>
public static class BlocklistQuery
{
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    /// <summary>
    /// IPv4: the octets reversed, then the zone (RFC 5782 2.1: 192.0.2.99 → 99.2.0.192.zone).
    /// IPv6: the 32 nibbles reversed, dot-separated (RFC 5782 2.4, like ip6.arpa). An IPv4-mapped
    /// IPv6 address is asked as the IPv4 address it carries: that is what the world's lists hold.
    /// Domain: the name itself, in ASCII (RFC 5782 2.3). Never throws on outside input.
    /// </summary>
    public static bool TryBuildName(string subject, BlocklistZone zone, out string name, out string? error)
    {
        name = "";
        if (!TryNormalizeDomain(zone.Name, out var zoneName))
        {
            error = $"'{zone.Name}' is not a zone name";
            return false;
        }

        if (zone.Kind == BlocklistZoneKind.Domain)
        {
            if (!TryNormalizeDomain(subject, out var domain))
            {
                error = $"'{subject}' is not a domain name";
                return false;
            }

            name = domain + "." + zoneName;
        }
        else
        {
            if (!TryParseAddress(subject, out var address))
            {
                error = $"'{subject}' is not an IP address";
                return false;
            }

            name = ReversedAddress(address) + "." + zoneName;
        }

        // RFC 1035 2.3.4: 253 characters of name at most (255 octets on the wire).
        if (name.Length > 253)
        {
            error = $"'{name}' is longer than a DNS name may be";
            name = "";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>
    /// An IPv4 address in dotted-quad form or an IPv6 address. IPAddress.TryParse alone also takes
    /// inet_aton's short forms ("198.51.100" is 198.51.0.100), which would check an address nobody meant.
    /// </summary>
    public static bool TryParseAddress(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var t = text.Trim();
        if (!IPAddress.TryParse(t, out var parsed))
            return false;
        if (parsed.AddressFamily == AddressFamily.InterNetwork && t.Split('.').Length != 4)
            return false;
        address = parsed;
        return true;
    }

    public static string ReversedAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        var text = new StringBuilder(address.AddressFamily == AddressFamily.InterNetwork ? 15 : 63);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (text.Length > 0)
                text.Append('.');
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                text.Append(bytes[i].ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append("0123456789abcdef"[bytes[i] & 0xF]).Append('.').Append("0123456789abcdef"[bytes[i] >> 4]);
            }
        }

        return text.ToString();
    }

    /// <summary>A host or zone name in lower-case ASCII (IDNA for Unicode), without a trailing dot.</summary>
    public static bool TryNormalizeDomain(string? text, out string domain)
    {
        domain = "";
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var t = text.Trim().TrimEnd('.');
        if (t.Length == 0 || t.Length > 253)
            return false;
        try
        {
            t = Idn.GetAscii(t).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return false;
        }

        foreach (var label in t.Split('.'))
        {
            if (label.Length is 0 or > 63)
                return false;
        }

        domain = t;
        return true;
    }

    /// <summary>
    /// The one spelling a subject is stored and shown by: an address in its canonical form (the IPv4
    /// address an IPv4-mapped one carries), a domain in lower-case ASCII; anything else trimmed.
    /// "2001:DB8::1" and "2001:db8:0::1" are one pair's history, not two.
    /// </summary>
    public static string NormalizeSubject(string subject)
    {
        if (TryParseAddress(subject, out var address))
            return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        return TryNormalizeDomain(subject, out var domain) ? domain : subject.Trim();
    }

    public static string NormalizeZone(string name) => TryNormalizeDomain(name, out var zone) ? zone : name.Trim().ToLowerInvariant();

    /// <summary>IP:PORT, [IPv6]:PORT, or a bare IP (port 53).</summary>
    public static bool TryParseResolver(string? text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var t = text.Trim();
        if (t.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
            t = "127.0.0.1:" + t["localhost:".Length..];
        if (!IPEndPoint.TryParse(t, out var ep))
            return false;
        if (ep.Port == 0)
        {
            // IPEndPoint.TryParse reads a missing port as 0; an explicit :0 is no resolver.
            if (t.EndsWith(":0", StringComparison.Ordinal) && !IPAddress.TryParse(t, out _))
                return false;
            ep.Port = 53;
        }

        endPoint = ep;
        return true;
    }
}
