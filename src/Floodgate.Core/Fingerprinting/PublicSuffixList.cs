namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// The registrable domain of a host name ("shop.example.co.uk" → "example.co.uk") by the Public
/// Suffix List: a spam run rotates subdomains and paths freely, but its links must reach a domain it
/// registered. Read once from Debian's <c>publicsuffix</c> package (or <see cref="PathVariable"/>);
/// without the file, a fallback that knows the common two-label suffixes ("co.uk", "com.au").
/// Rules are kept as hashes of their lower-cased text, so a lookup builds no string.
/// </summary>
internal sealed class PublicSuffixList
{
    public const string DefaultPath = "/usr/share/publicsuffix/public_suffix_list.dat";

    /// <summary>Environment variable naming another copy of the list.</summary>
    public const string PathVariable = "FLOODGATE_PUBLIC_SUFFIX_LIST";

    private static readonly Lazy<PublicSuffixList> s_shared = new(Load);

    private readonly HashSet<ulong> _rules = [];
    private readonly HashSet<ulong> _wildcards = [];
    private readonly HashSet<ulong> _exceptions = [];

    private PublicSuffixList(bool fromFile) => FromFile = fromFile;

    public static PublicSuffixList Shared => s_shared.Value;

    /// <summary>False: the list was not found and the fallback rules apply.</summary>
    public bool FromFile { get; }

    public int RuleCount => _rules.Count + _wildcards.Count + _exceptions.Count;

    /// <summary>Parses the list's text format: one rule per line, "//" comments, "*." wildcards, "!" exceptions.</summary>
    public static PublicSuffixList Parse(TextReader reader, bool fromFile = true)
    {
        var list = new PublicSuffixList(fromFile);
        while (reader.ReadLine() is { } line)
        {
            var rule = line.AsSpan().Trim();
            int space = rule.IndexOfAny(' ', '\t');
            if (space >= 0)
            {
                rule = rule[..space];
            }

            if (rule.IsEmpty || rule.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            if (rule[0] == '!')
            {
                list._exceptions.Add(FingerprintHash.LowerWord(rule[1..]));
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                list._wildcards.Add(FingerprintHash.LowerWord(rule[2..]));
            }
            else
            {
                list._rules.Add(FingerprintHash.LowerWord(rule));
            }
        }

        return list;
    }

    /// <summary>
    /// The registrable domain of <paramref name="host"/> (a slice of it), or the host itself when it is a
    /// public suffix, a single label or an IP literal.
    /// </summary>
    public ReadOnlySpan<char> RegistrableDomain(ReadOnlySpan<char> host)
    {
        host = host.TrimEnd('.');
        if (host.IsEmpty || host.IndexOf('.') < 0 || char.IsAsciiDigit(host[^1]) || host[0] == '[')
        {
            return host;
        }

        // Candidate suffixes from the longest (the whole host) to the last label; the first rule that
        // matches is the longest, which the list's algorithm prefers.
        int suffixStart = -1;
        int start = 0;
        while (true)
        {
            var candidate = host[start..];
            int parent = NextLabel(host, start);
            if (_exceptions.Contains(FingerprintHash.LowerWord(candidate)))
            {
                // "!www.ck": the exception is registrable, its suffix is the rest.
                suffixStart = parent;
                break;
            }

            if (_rules.Contains(FingerprintHash.LowerWord(candidate)) ||
                (parent < host.Length && _wildcards.Contains(FingerprintHash.LowerWord(host[parent..]))))
            {
                suffixStart = start;
                break;
            }

            if (parent >= host.Length)
            {
                break;
            }

            start = parent;
        }

        if (suffixStart < 0)
        {
            // The implicit "*" rule: the last label is the suffix.
            suffixStart = host.LastIndexOf('.') + 1;
        }

        if (suffixStart == 0)
        {
            return host;
        }

        // One label more than the suffix.
        int labelStart = host[..(suffixStart - 1)].LastIndexOf('.') + 1;
        return host[labelStart..];
    }

    private static int NextLabel(ReadOnlySpan<char> host, int start)
    {
        int dot = host[start..].IndexOf('.');
        return dot < 0 ? host.Length : start + dot + 1;
    }

    private static PublicSuffixList Load()
    {
        var path = Environment.GetEnvironmentVariable(PathVariable);
        path = string.IsNullOrWhiteSpace(path) ? DefaultPath : path;
        try
        {
            using var reader = new StreamReader(path);
            return Parse(reader);
        }
        catch (IOException)
        {
            return Fallback();
        }
        catch (UnauthorizedAccessException)
        {
            return Fallback();
        }
    }

    /// <summary>Without the list: every top-level domain, and the second levels most mail uses under country codes.</summary>
    private static PublicSuffixList Fallback()
    {
        var text = new System.Text.StringBuilder();
        foreach (var cc in new[] { "uk", "au", "nz", "za", "jp", "br", "in", "il", "kr", "mx", "ar", "tr", "cn", "hk", "sg", "my", "id", "th", "ua" })
        {
            foreach (var second in new[] { "co", "com", "net", "org", "gov", "edu", "ac", "ltd", "plc", "ne", "or" })
            {
                text.Append(second).Append('.').Append(cc).Append('\n');
            }
        }

        return Parse(new StringReader(text.ToString()), fromFile: false);
    }
}
