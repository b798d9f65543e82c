using System.Text.RegularExpressions;

namespace Floodgate.Core.Bounces;

/// <summary>Codes and hosts read out of diagnostic text.</summary>
internal static partial class Diagnostics
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;
    private const int Timeout = 1000;

    // RFC 3463 §2: class "." subject "." detail, subject and detail 1–3 digits. Not part of a dotted quad or version.
    [GeneratedRegex(@"(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?!\.?\d)", Options, Timeout)]
    private static partial Regex EnhancedStatusPattern();

    // RFC 5321 §4.2: a reply code opens a reply line, followed by space or "-" (multiline); in prose it follows
    // "said:", "returned '", "<<<", "#" or a quote, so a bare number elsewhere (sizes, times) is not taken.
    [GeneratedRegex(@"(?:^|[\s'""#(<:;\[=])(?<code>[245][0-5]\d)(?=[ -]|$)", Options | RegexOptions.Multiline, Timeout)]
    private static partial Regex ReplyCodePattern();

    [GeneratedRegex(@"(?:\bhost|while talking to|remote server at|remote host|connect(?:ion)? to|remote-mta:[ \t]*dns;|generating server:|reporting-mta:[ \t]*dns;|\bserver)[ \t]+\[?(?<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}|\d{1,3}(?:\.\d{1,3}){3})\b", Options, Timeout)]
    private static partial Regex RemoteHostPattern();

    [GeneratedRegex(@"\s+", Options, Timeout)]
    private static partial Regex Whitespace();

    public static ReadOnlySpan<char> EnhancedStatus(ReadOnlySpan<char> text)
    {
        foreach (var m in EnhancedStatusPattern().EnumerateMatches(text))
            return text.Slice(m.Index, m.Length);
        return [];
    }

    public static int ReplyCode(ReadOnlySpan<char> text)
    {
        foreach (var m in ReplyCodePattern().EnumerateMatches(text))
        {
            var match = text.Slice(m.Index, m.Length).TrimStart();
            if (match.Length > 3)
                match = match[^3..];
            if (int.TryParse(match, out var code))
                return code;
        }

        return 0;
    }

    public static string? RemoteHost(string text)
    {
        var m = RemoteHostPattern().Match(text);
        return m.Success ? m.Groups["host"].Value.TrimEnd('.') : null;
    }

    public static string Collapse(string text, int max)
    {
        var collapsed = Whitespace().Replace(text.Length > max * 2 ? text[..(max * 2)] : text, " ").Trim();
        return collapsed.Length > max ? collapsed[..max] : collapsed;
    }
}
