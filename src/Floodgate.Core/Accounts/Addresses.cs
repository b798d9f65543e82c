using System.Globalization;
using System.Text;

namespace Floodgate.Core.Accounts;

/// <summary>
/// The one normalisation of logins and envelope addresses, for every front door, the login throttle
/// and the sender resolver: whatever form a client writes an address in, it meets the same account
/// and the same counters.
/// </summary>
public static class Addresses
{
    /// <summary>Longest address kept (RFC 5321 4.5.3.1.3 path limit, 256 octets, with room for a decoded IDN).</summary>
    public const int MaxLength = 320;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    /// <summary>
    /// Writes the canonical form of <paramref name="input"/>: white space and one pair of angle
    /// brackets removed, a source route (RFC 5321 4.1.2 <c>@relay,@relay:</c>) dropped, quotes around a
    /// local part that needs none removed (RFC 5321 4.1.2: <c>"ann"</c> and <c>ann</c> are the same
    /// mailbox), the domain's trailing dot dropped and U-labels turned into A-labels (RFC 5891),
    /// everything lower-cased. A login without '@' is trimmed and lower-cased.
    /// </summary>
    /// <returns>False for nothing usable: empty, control characters, an empty local part or domain, longer than <see cref="MaxLength"/>.</returns>
    public static bool TryNormalize(ReadOnlySpan<char> input, Span<char> destination, out int written)
    {
        written = 0;
        var s = input.Trim();
        if (s.Length >= 2 && s[0] == '<' && s[^1] == '>')
        {
            s = s[1..^1].Trim();
        }

        if (!s.IsEmpty && s[0] == '@')
        {
            var colon = s.IndexOf(':');
            if (colon < 0)
            {
                return false;
            }

            s = s[(colon + 1)..];
        }

        // An unbalanced bracket is no path at all (and a quoted local part with one is not worth the risk).
        if (s.IsEmpty || s.Length > MaxLength || HasForbidden(s))
        {
            return false;
        }

        var at = s.LastIndexOf('@');
        if (at < 0)
        {
            // A plain login ("ann"), as Dovecot and control panels allow.
            return Lower(s, destination, ref written);
        }

        var local = s[..at];
        var domain = s[(at + 1)..];
        if (local.Length >= 2 && local[0] == '"' && local[^1] == '"' && IsDotAtom(local[1..^1]))
        {
            local = local[1..^1];
        }

        if (domain.Length > 1 && domain[^1] == '.')
        {
            domain = domain[..^1];
        }

        if (local.IsEmpty || domain.IsEmpty || domain[0] == '.' || domain.IndexOf("..") >= 0)
        {
            return false;
        }

        if (!Lower(local, destination, ref written) || written >= destination.Length)
        {
            return false;
        }

        destination[written++] = '@';
        if (!Ascii.IsValid(domain) && domain[0] != '[')
        {
            string ascii;
            try
            {
                ascii = Idn.GetAscii(domain.ToString());
            }
            catch (ArgumentException)
            {
                return false;
            }

            return Lower(ascii, destination, ref written);
        }

        return Lower(domain, destination, ref written);
    }

    /// <summary>The canonical form, or null when <see cref="TryNormalize"/> finds nothing usable.</summary>
    public static string? Normalize(ReadOnlySpan<char> input)
    {
        Span<char> buffer = stackalloc char[MaxLength + 8];
        return TryNormalize(input, buffer, out var written) ? new string(buffer[..written]) : null;
    }

    /// <summary>
    /// True when the local part of a normalised address is a plain dot-atom with no routing
    /// characters: only such a recipient may count as internal. <c>bob%evil.example@acme.test</c> or
    /// <c>evil!bob@acme.test</c> may be routed onwards by the next MTA (the percent hack, bang paths).
    /// </summary>
    public static bool HasPlainLocalPart(ReadOnlySpan<char> normalized)
    {
        var at = normalized.LastIndexOf('@');
        return at > 0 && IsDotAtom(normalized[..at]) && normalized[..at].IndexOfAny('%', '!') < 0;
    }

    /// <summary>The domain of a normalised address (after the last '@'), or empty.</summary>
    public static ReadOnlySpan<char> DomainOf(ReadOnlySpan<char> normalized)
    {
        var at = normalized.LastIndexOf('@');
        return at < 0 ? [] : normalized[(at + 1)..];
    }

    private static bool Lower(ReadOnlySpan<char> source, Span<char> destination, ref int written)
    {
        if (written + source.Length > destination.Length)
        {
            return false;
        }

        var target = destination[written..];
        if (Ascii.IsValid(source))
        {
            Ascii.ToLower(source, target, out var n);
            written += n;
            return true;
        }

        written += source.ToLowerInvariant(target);
        return true;
    }

    // A plain loop: the span helpers for ranges allocated per call here (96 B, measured by
    // AllocationBudgetTests), and an address is short.
    private static bool HasForbidden(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c < ' ' || c is '\x7f' or '<' or '>')
            {
                return true;
            }
        }

        return false;
    }

    // RFC 5322 3.2.3 dot-atom: atext runs separated by single dots; UTF-8 allowed (RFC 6531).
    private static bool IsDotAtom(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s[0] == '.' || s[^1] == '.')
        {
            return false;
        }

        var previousDot = false;
        foreach (var c in s)
        {
            if (c == '.')
            {
                if (previousDot)
                {
                    return false;
                }

                previousDot = true;
                continue;
            }

            previousDot = false;
            if (c < 0x80 && !(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c)))
            {
                return false;
            }
        }

        return true;
    }
}
