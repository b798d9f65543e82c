using System.Globalization;
namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// HTML to the text a reader sees, in place: tags dropped (block tags become line breaks), script,
/// style and title content skipped, entities decoded, link targets written where the link stands (as a
/// plain-text version of the same mail would show them), remote image sources recorded as structure.
/// Text the reader does not see (<see cref="HiddenText"/>) is dropped and its words counted. The output
/// is never longer than the input already read, so it overwrites the buffer it reads.
/// </summary>
internal static class HtmlText
{
    public static int ToText(Span<char> html, FingerprintAccumulator accumulator)
    {
        accumulator.ResetHtml();
        int read = 0;
        int write = 0;
        while (read < html.Length)
        {
            char c = html[read];
            if (c == '<')
            {
                read = Tag(html, read, ref write, accumulator);
            }
            else if (accumulator.HiddenDepth > 0 || accumulator.ColourHidden)
            {
                read = Hidden(html, read, accumulator);
            }
            else if (c == '&')
            {
                read = Entity(html, read, ref write);
            }
            else
            {
                html[write++] = c;
                read++;
            }
        }

        return write;
    }

    /// <summary>Reads hidden text up to the next tag, counting its words and writing nothing.</summary>
    private static int Hidden(ReadOnlySpan<char> html, int read, FingerprintAccumulator accumulator)
    {
        while (read < html.Length && html[read] != '<')
        {
            char c = html[read];
            if (c == '&')
            {
                // An entity is one character: "&nbsp;" is a space, not a word; a zero-width one joins.
                int semicolon = html.Slice(read, Math.Min(12, html.Length - read)).IndexOf(';');
                if (semicolon <= 0 || !IsZeroWidthEntity(html.Slice(read + 1, semicolon - 1)))
                {
                    accumulator.InHiddenWord = false;
                }

                read += semicolon > 0 ? semicolon + 1 : 1;
                continue;
            }

            if (char.IsLetterOrDigit(c))
            {
                if (!accumulator.InHiddenWord)
                {
                    accumulator.HiddenWords++;
                    accumulator.InHiddenWord = true;
                }
            }
            else if (!TextNormalizer.IsIgnorable(c))
            {
                accumulator.InHiddenWord = false;
            }

            read++;
        }

        return read;
    }

    /// <summary>&amp;shy;, &amp;zwj;, &amp;zwnj; and numeric references to the characters words ignore (<see cref="TextNormalizer.IsIgnorable"/>).</summary>
    private static bool IsZeroWidthEntity(ReadOnlySpan<char> name)
    {
        if (name.Equals("shy", StringComparison.OrdinalIgnoreCase) || name.Equals("zwj", StringComparison.OrdinalIgnoreCase) || name.Equals("zwnj", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.Length < 2 || name[0] != '#')
        {
            return false;
        }

        bool hex = name[1] is 'x' or 'X';
        return int.TryParse(hex ? name[2..] : name[1..], hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out int code) &&
            code is <= char.MaxValue and >= 0 && TextNormalizer.IsIgnorable((char)code);
    }

    private static int Tag(Span<char> html, int start, ref int write, FingerprintAccumulator accumulator)
    {
        var rest = html[(start + 1)..];
        if (rest.StartsWith("!--"))
        {
            int close = rest[3..].IndexOf("-->");
            return close < 0 ? html.Length : start + 1 + 3 + close + 3;
        }

        bool hidden = accumulator.HiddenDepth > 0;
        bool closing = rest.Length > 0 && rest[0] == '/';
        int nameStart = start + 1 + (closing ? 1 : 0);
        int nameEnd = nameStart;
        while (nameEnd < html.Length && char.IsAsciiLetterOrDigit(html[nameEnd]))
        {
            nameEnd++;
        }

        if (nameEnd == nameStart && !(rest.Length > 0 && rest[0] is '!' or '?'))
        {
            // "a < b" or "<3": not a tag.
            if (hidden || accumulator.ColourHidden)
            {
                accumulator.InHiddenWord = false;
            }
            else
            {
                html[write++] = '<';
            }

            return start + 1;
        }

        int end = TagEnd(html, nameEnd);
        ReadOnlySpan<char> name = html[nameStart..nameEnd];
        ReadOnlySpan<char> attributes = html[nameEnd..end];
        int next = end < html.Length ? end + 1 : html.Length;
        ulong element = FingerprintHash.LowerWord(name);

        if (closing)
        {
            if (hidden)
            {
                if (element == accumulator.HiddenElement && --accumulator.HiddenDepth == 0 && IsBlock(name))
                {
                    html[write++] = '\n';
                }

                accumulator.InHiddenWord &= !IsBlock(name);
                return next;
            }

            accumulator.PopColours(element);
            if (IsBlock(name))
            {
                accumulator.InHiddenWord = false;
                html[write++] = '\n';
            }

            return next;
        }

        if (name.Equals("script", StringComparison.OrdinalIgnoreCase))
        {
            return SkipTo(html, next, "</script");
        }

        if (name.Equals("style", StringComparison.OrdinalIgnoreCase))
        {
            int found = html[next..].IndexOf("</style", StringComparison.OrdinalIgnoreCase);
            HiddenText.ReadStyleSheet(found < 0 ? html[next..] : html.Slice(next, found), accumulator);
            return SkipTo(html, next, "</style");
        }

        if (name.Equals("title", StringComparison.OrdinalIgnoreCase))
        {
            return SkipTo(html, next, "</title");
        }

        bool empty = IsVoid(name) || (attributes.Length > 0 && attributes[^1] == '/');
        if (hidden)
        {
            if (element != accumulator.HiddenElement || empty)
            {
                accumulator.InHiddenWord &= !IsBlock(name);
                return next;
            }

            if (!ClosesItsNamesake(name) || accumulator.HiddenDepth > 1)
            {
                accumulator.HiddenDepth++;
                return next;
            }

            // A new <p> (or <li>, <td>...) ends the hidden one, as a browser reads it; this one is read afresh.
            accumulator.HiddenDepth = 0;
            accumulator.InHiddenWord = false;
        }

        if (!empty)
        {
            bool hides = Hides(attributes, accumulator, out int colour, out int background);
            if (hides)
            {
                accumulator.HiddenElement = element;
                accumulator.HiddenDepth = 1;
                accumulator.InHiddenWord = false;
                if (IsBlock(name))
                {
                    html[write++] = '\n';
                }

                return next;
            }

            if (colour != HiddenText.NoColour || background != HiddenText.NoColour)
            {
                accumulator.PushColours(element, colour, background);
            }
        }

        if (accumulator.ColourHidden)
        {
            // Inside text coloured like its background: a link or an image there is as hidden as the
            // text; a block still ends the paragraph, so the visible text around it breaks where it would.
            if (IsBlock(name))
            {
                accumulator.InHiddenWord = false;
                html[write++] = '\n';
            }

            return next;
        }

        if (name.Equals("a", StringComparison.OrdinalIgnoreCase))
        {
            var href = Attribute(attributes, "href", out int hrefOffset);
            if (href.Contains("://", StringComparison.Ordinal))
            {
                // Copy the target forward over the consumed tag: write <= start < the target, so the copy
                // (a memmove) never overtakes what is still to be read.
                html[write++] = ' ';
                html.Slice(nameEnd + hrefOffset, href.Length).CopyTo(html[write..]);
                write += href.Length;
                html[write++] = ' ';
            }
            else if (href.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            {
                TextNormalizer.AddEmailPayload(href, accumulator);
            }
            else if (href.StartsWith("tel:", StringComparison.OrdinalIgnoreCase))
            {
                TextNormalizer.AddPhonePayload(href[4..], accumulator);
            }

            return next;
        }

        if (name.Equals("img", StringComparison.OrdinalIgnoreCase))
        {
            if (Hides(attributes, accumulator, out _, out _))
            {
                return next;
            }

            var source = Attribute(attributes, "src", out _);
            if (source.Contains("://", StringComparison.Ordinal))
            {
                ulong host = TextNormalizer.HashUrl(source, FingerprintHash.ImageSalt, out ulong url);
                accumulator.AddStructure(host);
                accumulator.AddStructure(url);
                TextNormalizer.AddLinkPayload(TextNormalizer.HostOf(source, out _), accumulator);
            }

            accumulator.AddStructure(FingerprintHash.ImageSalt);
            return next;
        }

        if (IsBlock(name))
        {
            html[write++] = '\n';
        }
        else if (name.Equals("td", StringComparison.OrdinalIgnoreCase) || name.Equals("th", StringComparison.OrdinalIgnoreCase))
        {
            html[write++] = ' ';
        }

        return next;
    }

    /// <summary>
    /// Whether an element's attributes hide what it holds (the <c>hidden</c> attribute, its inline style,
    /// a class or id the style sheet hides), and the text colour and background it sets.
    /// </summary>
    private static bool Hides(ReadOnlySpan<char> attributes, FingerprintAccumulator accumulator, out int colour, out int background)
    {
        colour = HiddenText.NoColour;
        background = HiddenText.NoColour;
        int attributeColour = HiddenText.NoColour, attributeBackground = HiddenText.NoColour;
        bool hides = false;
        int i = 0;
        while (NextAttribute(attributes, ref i, out var name, out var value, out _))
        {
            if (name.Equals("style", StringComparison.OrdinalIgnoreCase))
            {
                hides |= HiddenText.Hides(value, out colour, out background);
            }
            else if (name.Equals("hidden", StringComparison.OrdinalIgnoreCase))
            {
                hides = true;
            }
            else if (name.Equals("bgcolor", StringComparison.OrdinalIgnoreCase))
            {
                attributeBackground = HiddenText.Colour(value);
            }
            else if (name.Equals("color", StringComparison.OrdinalIgnoreCase))
            {
                attributeColour = HiddenText.Colour(value);
            }
            else if (accumulator.HasHiddenSelectors && name.Equals("class", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var range in value.SplitAny(" \t\r\n"))
                {
                    var token = value[range];
                    hides |= !token.IsEmpty && accumulator.IsHiddenSelector(HiddenText.SelectorKey(token, isId: false));
                }
            }
            else if (accumulator.HasHiddenSelectors && name.Equals("id", StringComparison.OrdinalIgnoreCase))
            {
                hides |= accumulator.IsHiddenSelector(HiddenText.SelectorKey(value, isId: true));
            }
        }

        // An inline style wins over the presentational attributes.
        if (colour == HiddenText.NoColour)
        {
            colour = attributeColour;
        }

        if (background == HiddenText.NoColour)
        {
            background = attributeBackground;
        }

        return hides;
    }

    /// <summary>The index of the '>' that ends a tag, skipping quoted attribute values.</summary>
    private static int TagEnd(ReadOnlySpan<char> html, int from)
    {
        char quote = '\0';
        for (int i = from; i < html.Length; i++)
        {
            char c = html[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '>')
            {
                return i;
            }
        }

        return html.Length;
    }

    private static int SkipTo(ReadOnlySpan<char> html, int from, ReadOnlySpan<char> closingTag)
    {
        int found = html[from..].IndexOf(closingTag, StringComparison.OrdinalIgnoreCase);
        if (found < 0)
        {
            return html.Length;
        }

        int end = html[(from + found)..].IndexOf('>');
        return end < 0 ? html.Length : from + found + end + 1;
    }

    /// <summary>The value of an attribute, unquoted; empty when absent.</summary>
    private static ReadOnlySpan<char> Attribute(ReadOnlySpan<char> attributes, ReadOnlySpan<char> wanted, out int offset)
    {
        int i = 0;
        while (NextAttribute(attributes, ref i, out var name, out var value, out offset))
        {
            if (name.Equals(wanted, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        offset = 0;
        return [];
    }

    /// <summary>
    /// The next attribute from <paramref name="i"/>: its name and its value, unquoted and trimmed (empty
    /// for a bare attribute like <c>hidden</c>), and the value's offset in <paramref name="attributes"/>.
    /// </summary>
    private static bool NextAttribute(ReadOnlySpan<char> attributes, scoped ref int i, out ReadOnlySpan<char> name, out ReadOnlySpan<char> value, out int offset)
    {
        value = [];
        offset = 0;
        while (i < attributes.Length)
        {
            while (i < attributes.Length && (char.IsWhiteSpace(attributes[i]) || attributes[i] == '/'))
            {
                i++;
            }

            int nameStart = i;
            while (i < attributes.Length && attributes[i] != '=' && !char.IsWhiteSpace(attributes[i]) && attributes[i] != '/')
            {
                i++;
            }

            name = attributes[nameStart..i];
            while (i < attributes.Length && char.IsWhiteSpace(attributes[i]))
            {
                i++;
            }

            if (i >= attributes.Length || attributes[i] != '=')
            {
                if (name.IsEmpty)
                {
                    i++;
                    continue;
                }

                return true;
            }

            i++;
            while (i < attributes.Length && char.IsWhiteSpace(attributes[i]))
            {
                i++;
            }

            int valueStart;
            int valueEnd;
            if (i < attributes.Length && attributes[i] is '"' or '\'')
            {
                char quote = attributes[i];
                valueStart = i + 1;
                int close = attributes[valueStart..].IndexOf(quote);
                valueEnd = close < 0 ? attributes.Length : valueStart + close;
                i = Math.Min(attributes.Length, valueEnd + 1);
            }
            else
            {
                valueStart = i;
                while (i < attributes.Length && !char.IsWhiteSpace(attributes[i]))
                {
                    i++;
                }

                valueEnd = i;
            }

            while (valueStart < valueEnd && char.IsWhiteSpace(attributes[valueStart]))
            {
                valueStart++;
            }

            while (valueEnd > valueStart && char.IsWhiteSpace(attributes[valueEnd - 1]))
            {
                valueEnd--;
            }

            offset = valueStart;
            value = attributes[valueStart..valueEnd];
            return true;
        }

        name = [];
        return false;
    }

    /// <summary>Elements with no content.</summary>
    private static bool IsVoid(ReadOnlySpan<char> name) => name.Length switch
    {
        2 => name.Equals("br", StringComparison.OrdinalIgnoreCase) || name.Equals("hr", StringComparison.OrdinalIgnoreCase),
        3 => name.Equals("img", StringComparison.OrdinalIgnoreCase) || name.Equals("wbr", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("col", StringComparison.OrdinalIgnoreCase),
        4 => name.Equals("meta", StringComparison.OrdinalIgnoreCase) || name.Equals("link", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("area", StringComparison.OrdinalIgnoreCase) || name.Equals("base", StringComparison.OrdinalIgnoreCase),
        5 => name.Equals("input", StringComparison.OrdinalIgnoreCase) || name.Equals("embed", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("track", StringComparison.OrdinalIgnoreCase) || name.Equals("param", StringComparison.OrdinalIgnoreCase),
        6 => name.Equals("source", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Elements a new one of the same name closes (HTML's optional end tags).</summary>
    private static bool ClosesItsNamesake(ReadOnlySpan<char> name) => name.Length switch
    {
        1 => name[0] is 'p' or 'P',
        2 => name.Equals("li", StringComparison.OrdinalIgnoreCase) || name.Equals("td", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("th", StringComparison.OrdinalIgnoreCase) || name.Equals("tr", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("dt", StringComparison.OrdinalIgnoreCase) || name.Equals("dd", StringComparison.OrdinalIgnoreCase),
        6 => name.Equals("option", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static bool IsBlock(ReadOnlySpan<char> name) => name.Length switch
    {
        1 => name[0] is 'p' or 'P',
        2 => name.Equals("br", StringComparison.OrdinalIgnoreCase) || name.Equals("tr", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("li", StringComparison.OrdinalIgnoreCase) || name.Equals("hr", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("ul", StringComparison.OrdinalIgnoreCase) || name.Equals("ol", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("dt", StringComparison.OrdinalIgnoreCase) || name.Equals("dd", StringComparison.OrdinalIgnoreCase) ||
             (name[0] is 'h' or 'H' && name[1] is >= '1' and <= '6'),
        3 => name.Equals("div", StringComparison.OrdinalIgnoreCase) || name.Equals("pre", StringComparison.OrdinalIgnoreCase),
        4 => name.Equals("body", StringComparison.OrdinalIgnoreCase),
        5 => name.Equals("table", StringComparison.OrdinalIgnoreCase),
        6 => name.Equals("center", StringComparison.OrdinalIgnoreCase) || name.Equals("header", StringComparison.OrdinalIgnoreCase) ||
             name.Equals("footer", StringComparison.OrdinalIgnoreCase),
        7 => name.Equals("section", StringComparison.OrdinalIgnoreCase) || name.Equals("article", StringComparison.OrdinalIgnoreCase),
        10 => name.Equals("blockquote", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Decodes one character reference; an unknown one stays as written.</summary>
    private static int Entity(Span<char> html, int start, ref int write)
    {
        int limit = Math.Min(html.Length, start + 12);
        int semicolon = -1;
        for (int i = start + 1; i < limit; i++)
        {
            if (html[i] == ';')
            {
                semicolon = i;
                break;
            }

            if (!char.IsAsciiLetterOrDigit(html[i]) && html[i] != '#')
            {
                break;
            }
        }

        if (semicolon < 0)
        {
            html[write++] = '&';
            return start + 1;
        }

        ReadOnlySpan<char> body = html[(start + 1)..semicolon];
        int next = semicolon + 1;
        if (body.Length > 1 && body[0] == '#')
        {
            bool hex = body[1] is 'x' or 'X';
            var digits = hex ? body[2..] : body[1..];
            if (int.TryParse(digits, hex ? System.Globalization.NumberStyles.AllowHexSpecifier : System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out int code) && code is > 0 and <= 0x10FFFF && code is < 0xD800 or > 0xDFFF)
            {
                if (code < 0x10000)
                {
                    html[write++] = (char)code;
                }
                else
                {
                    // Two UTF-16 units from at least "&#65536;" (eight): still behind the read position.
                    code -= 0x10000;
                    html[write++] = (char)(0xD800 + (code >> 10));
                    html[write++] = (char)(0xDC00 + (code & 0x3FF));
                }

                return next;
            }

            html[write++] = '&';
            return start + 1;
        }

        char decoded = Named(body);
        if (decoded == '\uFFFF')
        {
            html[write++] = '&';
            return start + 1;
        }

        if (decoded != '\0')
        {
            html[write++] = decoded;
        }

        return next;
    }

    /// <summary>The common named references of mail HTML; '\0' for zero-width ones, '\uFFFF' when unknown.</summary>
    private static char Named(ReadOnlySpan<char> name) => name switch
    {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" or "ensp" or "emsp" or "thinsp" => ' ',
        "shy" or "zwnj" or "zwj" => '\0',
        "copy" => '\u00A9',
        "reg" => '\u00AE',
        "trade" => '\u2122',
        "hellip" => '\u2026',
        "mdash" => '\u2014',
        "ndash" => '\u2013',
        "lsquo" => '\u2018',
        "rsquo" => '\u2019',
        "ldquo" => '\u201C',
        "rdquo" => '\u201D',
        "bull" or "middot" => '\u2022',
        "euro" => '\u20AC',
        "pound" => '\u00A3',
        "laquo" => '\u00AB',
        "raquo" => '\u00BB',
        "auml" => '\u00E4',
        "ouml" => '\u00F6',
        "uuml" => '\u00FC',
        "szlig" => '\u00DF',
        "eacute" => '\u00E9',
        "egrave" => '\u00E8',
        "aacute" => '\u00E1',
        _ => '\uFFFF',
    };
}
