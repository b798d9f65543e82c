using System.Text;

namespace Floodgate.Protocols.Milter;

/// <summary>
/// The NUL-separated arguments of MAIL or RCPT: first the address as given (with angle brackets),
/// then the ESMTP parameters (<c>SIZE=1234</c>, <c>BODY=8BITMIME</c>). Valid only during the callback.
/// </summary>
public readonly ref struct MilterArguments
{
    private readonly ReadOnlySpan<byte> _data;

    internal MilterArguments(ReadOnlySpan<byte> data)
    {
        // Drop the final NUL so that splitting yields exactly the arguments.
        _data = data.Length > 0 && data[^1] == 0 ? data[..^1] : data;
    }

    /// <summary>The address without angle brackets; empty for the null sender &lt;&gt;.</summary>
    public ReadOnlySpan<byte> Address
    {
        get
        {
            var first = this[0];
            return first.Length >= 2 && first[0] == (byte)'<' && first[^1] == (byte)'>' ? first[1..^1] : first;
        }
    }

    public string AddressString => Encoding.UTF8.GetString(Address);

    public int Count
    {
        get
        {
            if (_data.IsEmpty)
            {
                return 0;
            }

            return _data.Count((byte)0) + 1;
        }
    }

    /// <summary>Argument <paramref name="index"/> (0 is the address); empty when there is no such argument.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            var rest = _data;
            for (var i = 0; !rest.IsEmpty || i == 0; i++)
            {
                var end = rest.IndexOf((byte)0);
                var argument = end < 0 ? rest : rest[..end];
                if (i == index)
                {
                    return argument;
                }

                if (end < 0)
                {
                    break;
                }

                rest = rest[(end + 1)..];
            }

            return default;
        }
    }

    /// <summary>Finds an ESMTP parameter by keyword (ASCII case-insensitive), e.g. <c>TryGetParameter("SIZE"u8, out var size)</c>.</summary>
    public bool TryGetParameter(ReadOnlySpan<byte> keyword, out ReadOnlySpan<byte> value)
    {
        var count = Count;
        for (var i = 1; i < count; i++)
        {
            var argument = this[i];
            var equals = argument.IndexOf((byte)'=');
            var key = equals < 0 ? argument : argument[..equals];
            if (System.Text.Ascii.EqualsIgnoreCase(key, keyword))
            {
                value = equals < 0 ? default : argument[(equals + 1)..];
                return true;
            }
        }

        value = default;
        return false;
    }
}

/// <summary>The CONNECT packet: the SMTP client as the MTA sees it.</summary>
public readonly ref struct MilterConnectInfo
{
    internal MilterConnectInfo(ReadOnlySpan<byte> hostName, byte family, ushort port, ReadOnlySpan<byte> address)
    {
        HostName = hostName;
        Family = family;
        Port = port;
        Address = address;
    }

    /// <summary>The client's verified name, or the address in brackets when it has none.</summary>
    public ReadOnlySpan<byte> HostName { get; }

    /// <summary>'4' IPv4, '6' IPv6, 'L' unix socket, 'U' unknown.</summary>
    public byte Family { get; }

    public ushort Port { get; }

    /// <summary>The client address as text (IPv6 without the "IPv6:" prefix); empty for family 'U'.</summary>
    public ReadOnlySpan<byte> Address { get; }

    public string AddressString => Encoding.UTF8.GetString(Address);

    public string HostNameString => Encoding.UTF8.GetString(HostName);
}
