using System.Runtime.CompilerServices;

namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// Turns decoded text into token hashes: lower case, white space collapsed, numbers, e-mail addresses
/// and random-looking tokens to placeholders, URLs to host and path, names after a greeting dropped.
/// Works on spans; no string is built.
/// </summary>
internal static class TextNormalizer
{
    private const int MaxNameWords = 3;

    private static readonly string[] Greetings =
    [
        "dear", "hi", "hello", "hey", "hiya", "greetings", "howdy", "hallo", "hola", "bonjour", "salut", "ciao",
        "liebe", "lieber", "cher", "chère", "querido", "querida",
    ];

    public static void Tokenize(ReadOnlySpan<char> text, FingerprintAccumulator accumulator)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\n')
            {
                accumulator.EndLine();
                i++;
                continue;
            }

            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                i++;
                continue;
            }

            if ((c is '+' or '(' || char.IsAsciiDigit(c)) && (i == 0 || !IsPhoneChar(text[i - 1])))
            {
                AddPhone(text, i, accumulator);
            }

            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && !char.IsControl(text[i]))
            {
                i++;
            }

            AddWord(text[start..i], accumulator);
        }
    }

    private static void AddWord(ReadOnlySpan<char> raw, FingerprintAccumulator accumulator)
    {
        int start = 0;
        while (start < raw.Length && !IsWordChar(raw[start]))
        {
            start++;
        }

        int end = raw.Length;
        while (end > start && !IsWordChar(raw[end - 1]))
        {
            end--;
        }

        if (start == end)
        {
            return;
        }

        bool endsClause = false;
        for (int i = end; i < raw.Length; i++)
        {
            endsClause |= raw[i] is ',' or '!' or ':' or ';' or '.' or '?';
        }

        var word = raw[start..end];
        bool atLineStart = accumulator.AtLineStart;
        accumulator.AtLineStart = false;

        if (accumulator.SkipNames > 0)
        {
            accumulator.SkipNames = endsClause ? 0 : accumulator.SkipNames - 1;
            return;
        }

        // One pass decides the kind of word; most words are short and plain, and leave by the fast path.
        int letters = 0, digits = 0;
        bool other = false, at = false, colon = false;
        foreach (char c in word)
        {
            if (char.IsAsciiLetter(c))
            {
                letters++;
            }
            else if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (c == '@')
            {
                at = true;
            }
            else if (c == ':')
            {
                colon = true;
            }
            else if (char.IsLetter(c))
            {
                letters++;
                other = true;
            }
            else
            {
                other = true;
            }
        }

        if ((colon && word.Contains("://", StringComparison.Ordinal)) ||
            (word.Length > 4 && word[0] is 'w' or 'W' && word.StartsWith("www.", StringComparison.OrdinalIgnoreCase)))
        {
            ulong host = HashUrl(word, FingerprintHash.LinkSalt, out ulong url);
            accumulator.AddToken(url);
            accumulator.AddStructure(host);
            accumulator.AddStructure(url);
            AddLinkPayload(HostOf(word), accumulator);
            return;
        }

        if ((colon && word.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)) || (at && IsEmailAddress(word)))
        {
            accumulator.AddToken(FingerprintHash.Email);
            AddEmailPayload(word, accumulator);
            return;
        }

        if (atLineStart && IsGreeting(word))
        {
            accumulator.AddToken(FingerprintHash.LowerWord(word));
            accumulator.SkipNames = endsClause ? 0 : MaxNameWords;
            return;
        }

        if (digits > 0)
        {
            // Prices, dates, order numbers: "3pm" and "$1,299.00" are numbers; "INV2024X7" is an identifier.
            accumulator.AddToken(letters == 0 || word.Length < 6 ? FingerprintHash.Number : FingerprintHash.Random);
            return;
        }

        if (!other && !at && !colon)
        {
            accumulator.AddToken(word.Length >= 8 && LooksRandom(word) ? FingerprintHash.Random : FingerprintHash.LowerWord(word));
            return;
        }

        if (LooksRandom(word))
        {
            accumulator.AddToken(FingerprintHash.Random);
            return;
        }

        AddLetterRuns(word, accumulator);
    }

    /// <summary>Adds each run of letters as a word; CJK characters are words of their own (no spaces there).</summary>
    private static void AddLetterRuns(ReadOnlySpan<char> word, FingerprintAccumulator accumulator)
    {
        int i = 0;
        while (i < word.Length)
        {
            char c = word[i];
            if (IsIdeograph(c))
            {
                accumulator.AddToken(FingerprintHash.LowerWord(word.Slice(i, 1)));
                i++;
                continue;
            }

            if (!IsWordChar(c) || IsIgnorable(c))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < word.Length && IsWordChar(word[i]) && !IsIdeograph(word[i]))
            {
                i++;
            }

            accumulator.AddToken(FingerprintHash.LowerWord(word[start..i]));
        }
    }

    /// <summary>
    /// Hashes a URL as host plus path: scheme, user info, port, "www.", query string and fragment are dropped
    /// (tracking parameters live there), and path parts that are numbers or look random become placeholders.
    /// Returns the host feature; <paramref name="url"/> is the host-and-path feature.
    /// </summary>
    public static ulong HashUrl(ReadOnlySpan<char> value, ulong salt, out ulong url)
    {
        var host = HostOf(value, out var path);
        ulong hostHash = FingerprintHash.Combine(salt, FingerprintHash.LowerWord(host));
        ulong h = hostHash;
        int i = 0;
        while (i < path.Length)
        {
            if (!char.IsAsciiLetterOrDigit(path[i]) && !char.IsLetter(path[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < path.Length && (char.IsLetterOrDigit(path[i]) || IsIgnorable(path[i])))
            {
                i++;
            }

            h = FingerprintHash.Combine(h, PartHash(path[start..i]));
        }

        url = h;
        return hostHash;
    }

    /// <summary>The host of a URL (no scheme, user info, port or "www."), and the path after it without query or fragment.</summary>
    public static ReadOnlySpan<char> HostOf(ReadOnlySpan<char> value, out ReadOnlySpan<char> path)
    {
        int scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            value = value[(scheme + 3)..];
        }

        int query = value.IndexOfAny('?', '#');
        if (query >= 0)
        {
            value = value[..query];
        }

        int slash = value.IndexOf('/');
        var host = slash < 0 ? value : value[..slash];
        path = slash < 0 ? [] : value[(slash + 1)..];
        int at = host.LastIndexOf('@');
        if (at >= 0)
        {
            host = host[(at + 1)..];
        }

        int colon = host.IndexOf(':');
        if (colon >= 0)
        {
            host = host[..colon];
        }

        if (host.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
        {
            host = host[4..];
        }

        return host.TrimEnd('.');
    }

    private static ReadOnlySpan<char> HostOf(ReadOnlySpan<char> value) => HostOf(value, out _);

    /// <summary>A link's payload is its registrable domain: subdomains and paths rotate, the domain a run bought does not.</summary>
    internal static void AddLinkPayload(ReadOnlySpan<char> host, FingerprintAccumulator accumulator)
    {
        if (host.IsEmpty)
        {
            return;
        }

        ulong domain = FingerprintHash.LowerWord(PublicSuffixList.Shared.RegistrableDomain(host));
        accumulator.AddPayload(ContentFingerprint.PayloadKey(PayloadKind.LinkDomain, FingerprintHash.Combine(FingerprintHash.PayloadLinkSalt, domain)), domain);
    }

    /// <summary>An address in the text or in Reply-To: where the replies of a run go.</summary>
    internal static void AddEmailPayload(ReadOnlySpan<char> word, FingerprintAccumulator accumulator)
    {
        if (word.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            word = word[7..];
        }

        int query = word.IndexOf('?');
        if (query >= 0)
        {
            word = word[..query];
        }

        word = word.Trim().Trim('<').TrimEnd('>');
        int at = word.LastIndexOf('@');
        if (at <= 0 || at == word.Length - 1)
        {
            return;
        }

        ulong domain = FingerprintHash.LowerWord(PublicSuffixList.Shared.RegistrableDomain(word[(at + 1)..]));
        accumulator.AddPayload(ContentFingerprint.PayloadKey(PayloadKind.Address, FingerprintHash.Combine(FingerprintHash.PayloadEmailSalt, FingerprintHash.LowerWord(word))), domain);
    }

    /// <summary>
    /// A phone number starting at <paramref name="start"/>: 9 to 15 digits, written with a leading "+"
    /// or in at least three groups ("555.201.7788", "(555) 201-7788"). Its key is its last nine digits,
    /// which every way of writing one number shares (with or without the country code or a trunk 0).
    /// The words themselves are still tokenized as numbers.
    /// </summary>
    private static void AddPhone(ReadOnlySpan<char> text, int start, FingerprintAccumulator accumulator, bool certain = false)
    {
        int digits = 0, groups = 0, separators = 0;
        bool plus = text[start] == '+', inGroup = false, parenthesis = false;
        ulong last = 0;
        int end = start;
        for (int i = plus ? start + 1 : start; i < text.Length && digits <= 15; i++)
        {
            char c = text[i];
            if (char.IsAsciiDigit(c))
            {
                digits++;
                last = (last * 10 + (ulong)(c - '0')) % 1_000_000_000;
                groups += inGroup ? 0 : 1;
                inGroup = true;
                separators = 0;
                end = i + 1;
                continue;
            }

            // At most two separators in a row: ") " and " (" and "- " join groups, anything more ends the number.
            if (c is ' ' or '-' or '.' or '/' or '(' or ')' && ++separators <= 2)
            {
                parenthesis |= c == '(';
                inGroup = false;
                continue;
            }

            break;
        }

        if (digits is >= 9 and <= 15 && (certain || plus || parenthesis || groups >= 3) && end > start)
        {
            accumulator.AddPayload(ContentFingerprint.PayloadKey(PayloadKind.Phone, FingerprintHash.Combine(FingerprintHash.PayloadPhoneSalt, last)), 0);
        }
    }

    /// <summary>A tel: link's number: a phone number however it is written.</summary>
    internal static void AddPhonePayload(ReadOnlySpan<char> number, FingerprintAccumulator accumulator)
    {
        number = number.Trim();
        if (!number.IsEmpty)
        {
            AddPhone(number, 0, accumulator, certain: true);
        }
    }

    private static bool IsPhoneChar(char c) => char.IsAsciiDigit(c) || c is '+' or '-' or '.' or '/' or '(' or ')' || char.IsLetter(c);

    /// <summary>Hashes a file name the way words are: numbers and random parts become placeholders.</summary>
    public static ulong NameHash(ReadOnlySpan<char> name)
    {
        ulong h = 0x4E414D45;
        int i = 0;
        while (i < name.Length)
        {
            if (!char.IsLetterOrDigit(name[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < name.Length && char.IsLetterOrDigit(name[i]))
            {
                i++;
            }

            h = FingerprintHash.Combine(h, PartHash(name[start..i]));
        }

        return h;
    }

    /// <summary>A part of a path or a file name: numbers and random-looking parts become placeholders, as words do.</summary>
    private static ulong PartHash(ReadOnlySpan<char> part)
    {
        Classify(part, out int letters, out int digits);
        return digits > 0
            ? letters == 0 || part.Length < 6 ? FingerprintHash.Number : FingerprintHash.Random
            : LooksRandom(part) ? FingerprintHash.Random : FingerprintHash.LowerWord(part);
    }

    private static bool IsGreeting(ReadOnlySpan<char> word)
    {
        foreach (string greeting in Greetings)
        {
            if (word.Equals(greeting, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsEmailAddress(ReadOnlySpan<char> word)
    {
        int at = word.IndexOf('@');
        return at > 0 && word[(at + 1)..].IndexOf('.') > 0;
    }

    private static void Classify(ReadOnlySpan<char> word, out int letters, out int digits)
    {
        letters = 0;
        digits = 0;
        foreach (char c in word)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (char.IsLetter(c))
            {
                letters++;
            }
        }
    }

    /// <summary>
    /// Letters-only tokens that no language writes: base64-ish case mixes (QmFzZTY0), long hex, and
    /// consonant runs or vowel shortage that random lower-case strings show. ASCII only, so that other
    /// scripts are never mistaken for noise.
    /// </summary>
    internal static bool LooksRandom(ReadOnlySpan<char> word)
    {
        if (word.Length < 8)
        {
            return false;
        }

        int letters = 0, vowels = 0, caseChanges = 0, run = 0, maxRun = 0;
        bool allHex = true;
        int previousCase = 0;
        foreach (char c in word)
        {
            if (IsIgnorable(c))
            {
                continue;
            }

            if (!char.IsAsciiLetter(c))
            {
                if (c > 0x7F && char.IsLetter(c))
                {
                    return false;
                }

                run = 0;
                continue;
            }

            letters++;
            int currentCase = char.IsAsciiLetterUpper(c) ? 1 : 2;
            if (previousCase != 0 && currentCase != previousCase)
            {
                caseChanges++;
            }

            previousCase = currentCase;
            char lower = (char)(c | 0x20);
            allHex &= lower <= 'f';
            if (lower is 'a' or 'e' or 'i' or 'o' or 'u' or 'y')
            {
                vowels++;
                run = 0;
            }
            else if (++run > maxRun)
            {
                maxRun = run;
            }
        }

        if (letters < 8)
        {
            return false;
        }

        return caseChanges >= 4 || allHex || maxRun >= 6 || (letters >= 10 && (maxRun >= 5 || vowels * 6 < letters));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || IsIgnorable(c);

    /// <summary>Soft hyphen and zero-width characters, which spammers put inside words to break filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsIgnorable(char c) => c is '\u00AD' or (>= '\u200B' and <= '\u200D') or '\u2060' or '\uFEFF';

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsIdeograph(char c) => c is (>= '\u2E80' and <= '\u9FFF') or (>= '\uAC00' and <= '\uD7AF') or (>= '\uF900' and <= '\uFAFF');
}
