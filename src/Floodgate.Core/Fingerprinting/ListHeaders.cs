using System.Text;

namespace Floodgate.Core.Fingerprinting;

/// <summary>What a message's top-level header fields say about it being a mailing (RFC 2369, RFC 2919, RFC 3834).</summary>
[Flags]
public enum ListSignals : byte
{
    None = 0,

    /// <summary>A List-Unsubscribe field, working or not.</summary>
    Unsubscribe = 1 << 0,

    /// <summary>A List-Unsubscribe field holds at least one working URI (<see cref="ListHeaders.HasWorkingUri"/>).</summary>
    WorkingUnsubscribe = 1 << 1,

    PrecedenceBulk = 1 << 2,
    PrecedenceList = 1 << 3,
    PrecedenceJunk = 1 << 4,

    /// <summary>List-Id (RFC 2919) or List-Help, -Subscribe, -Post, -Owner, -Archive (RFC 2369), or List-Unsubscribe-Post (RFC 8058).</summary>
    ListFields = 1 << 5,

    /// <summary>RFC 3834 5: Auto-Submitted with a value other than "no" (an auto-reply, a notification).</summary>
    AutoSubmitted = 1 << 6,
}

/// <summary>
/// Reads the list signals off one header field, over the received bytes and without allocating. A door
/// calls it on each top-level field in the header pass it already makes for the Message-ID (the
/// gateway's header read, the milter's header events): the fingerprint is computed only for messages
/// the detector tracks, and the bulk rule needs these facts for every message.
/// </summary>
public static class ListHeaders
{
    /// <summary>Any of the Precedence values that mark bulk mail.</summary>
    public const ListSignals Precedence = ListSignals.PrecedenceBulk | ListSignals.PrecedenceList | ListSignals.PrecedenceJunk;

    // A compacted URI is this long at most: enough for the scheme and a host (253) or an address (64 + 1 + 253).
    private const int MaxUri = 512;
    private const int MaxHost = 253;

    /// <summary>The signals of one field; <paramref name="name"/> without the colon, <paramref name="value"/> as received (folding included).</summary>
    public static ListSignals Classify(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (name.Length < 7)
        {
            return ListSignals.None;
        }

        switch (name[0] | 0x20)
        {
            case 'l':
                if (name.Length == 16 && Ascii.EqualsIgnoreCase(name, "List-Unsubscribe"u8))
                {
                    return HasWorkingUri(value) ? ListSignals.Unsubscribe | ListSignals.WorkingUnsubscribe : ListSignals.Unsubscribe;
                }

                return IsListField(name) ? ListSignals.ListFields : ListSignals.None;
            case 'p':
                return name.Length == 10 && Ascii.EqualsIgnoreCase(name, "Precedence"u8) ? PrecedenceOf(FirstWord(value)) : ListSignals.None;
            case 'a':
                return name.Length == 14 && Ascii.EqualsIgnoreCase(name, "Auto-Submitted"u8) && IsAutomatic(FirstWord(value))
                    ? ListSignals.AutoSubmitted
                    : ListSignals.None;
            default:
                return ListSignals.None;
        }
    }

    /// <summary>
    /// RFC 2369 2: the field is a list of angle-bracketed URIs (white space inside them ignored); text
    /// outside brackets is not a URI. Working: an absolute <c>https:</c> or <c>http:</c> URI with a
    /// host name, or a <c>mailto:</c> URI with an address (RFC 6068). <c>http:</c> counts: RFC 2369
    /// allows any scheme a recipient can act on and a plain link still unsubscribes; RFC 8058's
    /// one-click (HTTPS) is a matter for the receiving side, not a reason to refuse a mailing here.
    /// Anything else (<c>javascript:</c>, <c>https://</c> without a host, a bare word) is not working.
    /// </summary>
    public static bool HasWorkingUri(ReadOnlySpan<byte> value)
    {
        var rest = value;
        while (true)
        {
            var open = rest.IndexOf((byte)'<');
            if (open < 0)
            {
                return false;
            }

            rest = rest[(open + 1)..];
            var close = rest.IndexOf((byte)'>');
            if (close < 0)
            {
                return false;
            }

            if (IsWorkingUri(rest[..close]))
            {
                return true;
            }

            rest = rest[(close + 1)..];
        }
    }

    private static bool IsWorkingUri(ReadOnlySpan<byte> raw)
    {
        Span<byte> buffer = stackalloc byte[MaxUri];
        var n = 0;
        var truncated = false;
        foreach (var b in raw)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            if (n == buffer.Length)
            {
                truncated = true;
                break;
            }

            buffer[n++] = b;
        }

        var uri = buffer[..n];
        if (StartsWith(uri, "https:"u8))
        {
            return HasHost(uri[6..], truncated);
        }

        if (StartsWith(uri, "http:"u8))
        {
            return HasHost(uri[5..], truncated);
        }

        return StartsWith(uri, "mailto:"u8) && HasAddress(uri[7..], truncated);
    }

    // RFC 3986 3.2: "//" authority, the authority ending at "/", "?" or "#"; user information and port aside.
    private static bool HasHost(ReadOnlySpan<byte> rest, bool truncated)
    {
        if (!rest.StartsWith("//"u8))
        {
            return false;
        }

        rest = rest[2..];
        var end = rest.IndexOfAny("/?#"u8);
        if (end < 0)
        {
            // A host cut off by the compaction buffer is longer than any host name.
            if (truncated)
            {
                return false;
            }

            end = rest.Length;
        }

        var authority = rest[..end];
        var at = authority.LastIndexOf((byte)'@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }

        var colon = authority.LastIndexOf((byte)':');
        if (colon >= 0)
        {
            if (authority[(colon + 1)..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            {
                return false;
            }

            authority = authority[..colon];
        }

        return IsHostName(authority);
    }

    // RFC 6068 2: mailto:addr-spec[,addr-spec]?hfields; the first address must be one.
    private static bool HasAddress(ReadOnlySpan<byte> rest, bool truncated)
    {
        var end = rest.IndexOfAny("?,"u8);
        if (end < 0)
        {
            if (truncated)
            {
                return false;
            }

            end = rest.Length;
        }

        var address = rest[..end];
        var at = address.LastIndexOf((byte)'@');
        return at > 0 && address[..at].IndexOfAnyExceptInRange((byte)33, (byte)126) < 0 && IsHostName(address[(at + 1)..]);
    }

    /// <summary>
    /// A name a recipient anywhere can reach: letters, digits, hyphens and at least one dot, no empty
    /// label (an IP literal in brackets is not a working opt-out for a mailing).
    /// </summary>
    private static bool IsHostName(ReadOnlySpan<byte> host)
    {
        if (host.IsEmpty || host.Length > MaxHost || host[0] is (byte)'.' or (byte)'-' || host[^1] is (byte)'.' or (byte)'-'
            || host.IndexOf((byte)'.') < 0 || host.IndexOf(".."u8) >= 0)
        {
            return false;
        }

        foreach (var b in host)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsListField(ReadOnlySpan<byte> name) =>
        (name.Length == 7 && Ascii.EqualsIgnoreCase(name, "List-Id"u8))
        || (name.Length == 9 && (Ascii.EqualsIgnoreCase(name, "List-Help"u8) || Ascii.EqualsIgnoreCase(name, "List-Post"u8)))
        || (name.Length == 10 && Ascii.EqualsIgnoreCase(name, "List-Owner"u8))
        || (name.Length == 12 && Ascii.EqualsIgnoreCase(name, "List-Archive"u8))
        || (name.Length == 14 && Ascii.EqualsIgnoreCase(name, "List-Subscribe"u8))
        || (name.Length == 21 && Ascii.EqualsIgnoreCase(name, "List-Unsubscribe-Post"u8));

    private static bool IsAutomatic(ReadOnlySpan<byte> word) => !word.IsEmpty && !Ascii.EqualsIgnoreCase(word, "no"u8);

    private static ListSignals PrecedenceOf(ReadOnlySpan<byte> word) =>
        Ascii.EqualsIgnoreCase(word, "bulk"u8) ? ListSignals.PrecedenceBulk
        : Ascii.EqualsIgnoreCase(word, "list"u8) ? ListSignals.PrecedenceList
        : Ascii.EqualsIgnoreCase(word, "junk"u8) ? ListSignals.PrecedenceJunk
        : ListSignals.None;

    // The first word of a value: up to white space, ";" or a comment.
    private static ReadOnlySpan<byte> FirstWord(ReadOnlySpan<byte> value)
    {
        value = value.TrimStart(" \t\r\n"u8);
        var end = value.IndexOfAny(" \t\r\n;("u8);
        return end < 0 ? value : value[..end];
    }

    private static bool StartsWith(ReadOnlySpan<byte> uri, ReadOnlySpan<byte> scheme) =>
        uri.Length >= scheme.Length && Ascii.EqualsIgnoreCase(uri[..scheme.Length], scheme);
}
