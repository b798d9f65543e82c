using System.Globalization;

namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// What a reader of an HTML message does not see. Spammers hide filler from the reader and show it to
/// filters: <c>display:none</c>, <c>visibility:hidden</c>, zero opacity, zero or tiny font sizes, boxes of
/// no height with their overflow hidden, text pushed off screen, text coloured like its background, and
/// the same through classes of a &lt;style&gt; block. Such text is not content: it is skipped before
/// fingerprinting and its words counted as a signal of their own.
/// </summary>
/// <remarks>
/// The rules are those a mail client applies without layout: inline styles, the HTML attributes
/// (<c>hidden</c>, <c>bgcolor</c>, <c>&lt;font color&gt;</c>) and simple class and id rules of a style
/// sheet. A class a <c>@media</c> block shows again (the mobile half of a responsive template) is not
/// hidden: some readers see it.
/// </remarks>
internal static class HiddenText
{
    /// <summary>A font this small (CSS pixels) is not read.</summary>
    public const double TinyFontPx = 2;

    /// <summary>An offset this far left or up puts text off screen.</summary>
    public const double OffScreenPx = -500;

    /// <summary>Colours closer than this (sum of the channel differences) are "the same" to a reader.</summary>
    public const int SameColourDistance = 48;

    public const int White = 0xFFFFFF;

    public const int NoColour = -1;

    /// <summary>A background the rules cannot know (an image, a gradient): no colour is compared with it.</summary>
    public const int UnknownColour = -2;

    /// <summary>
    /// Reads CSS declarations (an inline style): whether they hide the element, and the text colour
    /// and background they set (<see cref="NoColour"/> when none).
    /// </summary>
    public static bool Hides(ReadOnlySpan<char> declarations, out int colour, out int background)
    {
        colour = NoColour;
        background = NoColour;
        bool hidden = false, overflowHidden = false, collapsed = false, positioned = false, shifted = false;
        while (!declarations.IsEmpty)
        {
            int semicolon = declarations.IndexOf(';');
            var declaration = semicolon < 0 ? declarations : declarations[..semicolon];
            declarations = semicolon < 0 ? [] : declarations[(semicolon + 1)..];
            int colon = declaration.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var property = declaration[..colon].Trim();
            var value = declaration[(colon + 1)..].Trim();
            int important = value.IndexOf('!');
            if (important >= 0)
            {
                value = value[..important].TrimEnd();
            }

            if (Is(property, "display"))
            {
                hidden |= Is(value, "none");
            }
            else if (Is(property, "visibility"))
            {
                hidden |= Is(value, "hidden") || Is(value, "collapse");
            }
            else if (Is(property, "opacity"))
            {
                hidden |= double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var opacity) && opacity <= 0.05;
            }
            else if (Is(property, "font-size") || Is(property, "font"))
            {
                // "font: 0/0 a" is the shorthand form of the same trick; its first length is the size.
                hidden |= TryLength(FirstLength(value), out var px) && px <= TinyFontPx;
            }
            else if (Is(property, "max-height") || Is(property, "height") || Is(property, "max-width") || Is(property, "width"))
            {
                collapsed |= TryLength(value, out var px) && px <= 1;
            }
            else if (Is(property, "overflow") || Is(property, "overflow-x") || Is(property, "overflow-y"))
            {
                overflowHidden |= Is(value, "hidden") || Is(value, "clip");
            }
            else if (Is(property, "text-indent") || Is(property, "margin-left") || Is(property, "margin-top"))
            {
                hidden |= TryLength(value, out var px) && px <= OffScreenPx;
            }
            else if (Is(property, "left") || Is(property, "top"))
            {
                shifted |= TryLength(value, out var px) && px <= OffScreenPx;
            }
            else if (Is(property, "position"))
            {
                positioned |= Is(value, "absolute") || Is(value, "fixed") || Is(value, "relative");
            }
            else if (Is(property, "clip"))
            {
                hidden |= IsEmptyRect(value);
            }
            else if (Is(property, "color"))
            {
                // Transparent text is invisible on any background.
                hidden |= IsTransparent(value);
                colour = Colour(value);
            }
            else if (Is(property, "transform"))
            {
                hidden |= ScalesToNothing(value);
            }
            else if (Is(property, "background-color") || Is(property, "background"))
            {
                background = Background(value);
            }
        }

        return hidden || (collapsed && overflowHidden) || (positioned && shifted);
    }

    /// <summary>"transparent", or rgba()/hsla() (or the four-value forms) with an alpha of at most 0.05.</summary>
    internal static bool IsTransparent(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (Is(value, "transparent"))
        {
            return true;
        }

        int open = value.IndexOf('(');
        int close = value.LastIndexOf(')');
        if (open < 0 || close < open || !(value.StartsWith("rgb", StringComparison.OrdinalIgnoreCase) || value.StartsWith("hsl", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        // The alpha is the fourth value: after a comma or a slash.
        var inner = value[(open + 1)..close];
        int separator = inner.LastIndexOfAny(",/");
        if (separator < 0 || (inner[separator] == ',' && inner[..separator].Count(',') < 2))
        {
            return false;
        }

        var alpha = inner[(separator + 1)..].Trim();
        bool percent = alpha.EndsWith("%");
        return double.TryParse(percent ? alpha[..^1] : alpha, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) &&
            (percent ? a / 100 : a) <= 0.05;
    }

    /// <summary>scale(0), scaleX(0.01) and the like: the element is drawn at no size.</summary>
    private static bool ScalesToNothing(ReadOnlySpan<char> value)
    {
        int at = value.IndexOf("scale", StringComparison.OrdinalIgnoreCase);
        while (at >= 0)
        {
            var rest = value[(at + 5)..];
            int open = rest.IndexOf('(');
            int close = rest.IndexOf(')');
            if (open is >= 0 and <= 1 && close > open)
            {
                var first = rest[(open + 1)..close];
                int comma = first.IndexOf(',');
                if (comma >= 0)
                {
                    first = first[..comma];
                }

                if (double.TryParse(first.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) && Math.Abs(factor) <= 0.05)
                {
                    return true;
                }
            }

            int next = value[(at + 5)..].IndexOf("scale", StringComparison.OrdinalIgnoreCase);
            at = next < 0 ? -1 : at + 5 + next;
        }

        return false;
    }

    /// <summary>True when a reader cannot tell the text from its background.</summary>
    public static bool SameColour(int colour, int background)
    {
        if (colour < 0 || background < 0)
        {
            return false;
        }

        int distance = Math.Abs((colour >> 16) - (background >> 16)) + Math.Abs(((colour >> 8) & 0xFF) - ((background >> 8) & 0xFF)) +
                       Math.Abs((colour & 0xFF) - (background & 0xFF));
        return distance < SameColourDistance;
    }

    /// <summary>A CSS or HTML colour as 0xRRGGBB: #rgb, #rrggbb, rgb(), rgba() and the common names; <see cref="NoColour"/> otherwise.</summary>
    public static int Colour(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (value.Length > 1 && value[0] == '#')
        {
            var hex = value[1..];
            if (hex.Length is 3 or 4 && int.TryParse(hex[..3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int short3))
            {
                int r = (short3 >> 8) & 0xF, g = (short3 >> 4) & 0xF, b = short3 & 0xF;
                return (r * 17 << 16) | (g * 17 << 8) | (b * 17);
            }

            return hex.Length is 6 or 8 && int.TryParse(hex[..6], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int full)
                ? full
                : NoColour;
        }

        if (value.StartsWith("rgb", StringComparison.OrdinalIgnoreCase))
        {
            int open = value.IndexOf('(');
            int close = value.IndexOf(')');
            if (open < 0 || close < open)
            {
                return NoColour;
            }

            Span<int> channels = stackalloc int[3];
            var inner = value[(open + 1)..close];
            for (int i = 0; i < 3; i++)
            {
                inner = inner.TrimStart(" ,");
                int end = inner.IndexOfAny(" ,/");
                var part = end < 0 ? inner : inner[..end];
                inner = end < 0 ? [] : inner[end..];
                bool percent = part.EndsWith("%");
                if (!double.TryParse(percent ? part[..^1] : part, NumberStyles.Float, CultureInfo.InvariantCulture, out var channel))
                {
                    return NoColour;
                }

                channels[i] = (int)Math.Clamp(percent ? channel * 2.55 : channel, 0, 255);
            }

            return (channels[0] << 16) | (channels[1] << 8) | channels[2];
        }

        return value switch
        {
            _ when Is(value, "white") => White,
            _ when Is(value, "black") => 0x000000,
            _ when Is(value, "red") => 0xFF0000,
            _ when Is(value, "green") => 0x008000,
            _ when Is(value, "blue") => 0x0000FF,
            _ when Is(value, "yellow") => 0xFFFF00,
            _ when Is(value, "gray") || Is(value, "grey") => 0x808080,
            _ when Is(value, "silver") => 0xC0C0C0,
            _ when Is(value, "navy") => 0x000080,
            _ when Is(value, "whitesmoke") => 0xF5F5F5,
            _ when Is(value, "snow") => 0xFFFAFA,
            _ when Is(value, "ivory") => 0xFFFFF0,
            _ when Is(value, "transparent") => UnknownColour,
            _ => NoColour,
        };
    }

    /// <summary>The colour of a background value; <see cref="UnknownColour"/> for images and gradients.</summary>
    public static int Background(ReadOnlySpan<char> value)
    {
        if (value.Contains("url(", StringComparison.OrdinalIgnoreCase) || value.Contains("gradient", StringComparison.OrdinalIgnoreCase))
        {
            return UnknownColour;
        }

        // "background: #fff", "background: rgb(0 0 0) no-repeat": the colour is one of the parts.
        if (value.StartsWith("rgb", StringComparison.OrdinalIgnoreCase))
        {
            int close = value.IndexOf(')');
            return Colour(close < 0 ? value : value[..(close + 1)]);
        }

        foreach (var range in value.SplitAny(" \t"))
        {
            int c = Colour(value[range]);
            if (c != NoColour)
            {
                return c;
            }
        }

        return UnknownColour;
    }

    /// <summary>A CSS length in CSS pixels; "0" without a unit too.</summary>
    public static bool TryLength(ReadOnlySpan<char> value, out double px)
    {
        px = 0;
        value = value.Trim();
        int end = 0;
        while (end < value.Length && (char.IsAsciiDigit(value[end]) || value[end] is '.' or '-' or '+'))
        {
            end++;
        }

        if (end == 0 || !double.TryParse(value[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var unit = value[end..].Trim();
        double factor = unit switch
        {
            _ when unit.IsEmpty => number == 0 ? 1 : double.NaN,
            _ when Is(unit, "px") => 1,
            _ when Is(unit, "pt") => 96.0 / 72,
            _ when Is(unit, "pc") => 16,
            _ when Is(unit, "em") || Is(unit, "rem") => 16,
            _ when Is(unit, "ex") || Is(unit, "ch") => 8,
            _ when Is(unit, "%") => 0.16,
            _ when Is(unit, "in") => 96,
            _ when Is(unit, "cm") => 96 / 2.54,
            _ when Is(unit, "mm") => 96 / 25.4,
            _ when Is(unit, "vw") || Is(unit, "vh") => 10,
            _ => double.NaN,
        };
        if (double.IsNaN(factor))
        {
            return false;
        }

        px = number * factor;
        return true;
    }

    /// <summary>
    /// Reads a style sheet for the classes and ids it hides (simple selectors: <c>.x</c>, <c>div.x</c>,
    /// <c>#y</c>) and the page background (<c>body</c>). A class that an <c>@media</c> block shows again
    /// is not hidden.
    /// </summary>
    public static void ReadStyleSheet(ReadOnlySpan<char> css, FingerprintAccumulator accumulator)
    {
        ReadRules(css, accumulator);
        accumulator.UpdateColourHidden();
    }

    private static void ReadRules(ReadOnlySpan<char> css, FingerprintAccumulator accumulator)
    {
        int depth = 0;
        bool inMedia = false;
        int i = 0;
        while (i < css.Length)
        {
            // Comments may hold braces.
            if (css[i] == '/' && i + 1 < css.Length && css[i + 1] == '*')
            {
                int close = css[(i + 2)..].IndexOf("*/");
                i = close < 0 ? css.Length : i + 2 + close + 2;
                continue;
            }

            if (css[i] == '}')
            {
                depth = Math.Max(0, depth - 1);
                inMedia &= depth > 0;
                i++;
                continue;
            }

            int open = css[i..].IndexOfAny('{', '}');
            if (open < 0)
            {
                return;
            }

            open += i;
            if (css[open] == '}')
            {
                i = open;
                continue;
            }

            var prelude = css[i..open].Trim();
            if (prelude.StartsWith("@"))
            {
                // @media and @supports hold rules; other at-rules (@font-face, @page) are skipped whole.
                depth++;
                inMedia = depth == 1 && (prelude.StartsWith("@media", StringComparison.OrdinalIgnoreCase) || prelude.StartsWith("@supports", StringComparison.OrdinalIgnoreCase));
                if (!inMedia)
                {
                    i = SkipBlock(css, open);
                    depth--;
                    continue;
                }

                i = open + 1;
                continue;
            }

            int end = css[(open + 1)..].IndexOf('}');
            var block = end < 0 ? css[(open + 1)..] : css.Slice(open + 1, end);
            i = end < 0 ? css.Length : open + 1 + end + 1;
            bool hides = Hides(block, out int colour, out int background);
            foreach (var range in prelude.Split(','))
            {
                var selector = prelude[range].Trim();
                if (!inMedia && (Is(selector, "body") || Is(selector, "html")))
                {
                    if (background != NoColour)
                    {
                        accumulator.PageBackground = background;
                    }

                    if (colour != NoColour)
                    {
                        accumulator.PageColour = colour;
                    }
                }

                if (!SimpleSelector(selector, out var name, out bool isId))
                {
                    continue;
                }

                ulong key = SelectorKey(name, isId);
                if (inMedia)
                {
                    if (!hides)
                    {
                        accumulator.ShowSelector(key);
                    }
                }
                else if (hides)
                {
                    accumulator.HideSelector(key);
                }
            }
        }
    }

    public static ulong SelectorKey(ReadOnlySpan<char> name, bool isId) =>
        FingerprintHash.Combine(isId ? 0x4944000000000001UL : 0x434C415353000002UL, FingerprintHash.LowerWord(name));

    /// <summary>".x", "div.x", "#y", "p#y": the class or id; false for anything with combinators or pseudo-classes.</summary>
    private static bool SimpleSelector(ReadOnlySpan<char> selector, out ReadOnlySpan<char> name, out bool isId)
    {
        name = [];
        isId = false;
        int mark = selector.IndexOfAny('.', '#');
        if (mark < 0)
        {
            return false;
        }

        for (int j = 0; j < mark; j++)
        {
            if (!char.IsAsciiLetterOrDigit(selector[j]))
            {
                return false;
            }
        }

        isId = selector[mark] == '#';
        name = selector[(mark + 1)..];
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }

        return true;
    }

    private static int SkipBlock(ReadOnlySpan<char> css, int open)
    {
        int depth = 0;
        for (int j = open; j < css.Length; j++)
        {
            if (css[j] == '{')
            {
                depth++;
            }
            else if (css[j] == '}' && --depth == 0)
            {
                return j + 1;
            }
        }

        return css.Length;
    }

    private static bool IsEmptyRect(ReadOnlySpan<char> value)
    {
        int open = value.IndexOf('(');
        int close = value.IndexOf(')');
        if (!value.StartsWith("rect", StringComparison.OrdinalIgnoreCase) || open < 0 || close < open)
        {
            return false;
        }

        var inner = value[(open + 1)..close];
        int parts = 0;
        foreach (var range in inner.SplitAny(", "))
        {
            var part = inner[range];
            if (part.IsEmpty)
            {
                continue;
            }

            if (!TryLength(part, out var px) || px > 1)
            {
                return false;
            }

            parts++;
        }

        return parts == 4;
    }

    private static ReadOnlySpan<char> FirstLength(ReadOnlySpan<char> value)
    {
        foreach (var range in value.SplitAny(" /"))
        {
            var token = value[range];
            if (token.Length > 0 && (char.IsAsciiDigit(token[0]) || token[0] == '.'))
            {
                return token;
            }
        }

        return [];
    }

    private static bool Is(ReadOnlySpan<char> value, string expected) => value.Equals(expected, StringComparison.OrdinalIgnoreCase);
}
