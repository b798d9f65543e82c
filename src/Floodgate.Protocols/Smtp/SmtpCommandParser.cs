using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;

namespace Floodgate.Protocols.Smtp;

/// <summary>
/// Parses one command line (without its CRLF). Never throws on client input: every malformed line
/// comes back as a <see cref="SmtpParseError"/>. Allocates nothing.
/// </summary>
internal static class SmtpCommandParser
{
    // Four-letter verbs compared as one little-endian uint, lower-cased by OR-ing 0x20 into each
    // byte (only ASCII letters map onto lower-case letters that way).
    private const uint Helo = 'h' | 'e' << 8 | 'l' << 16 | (uint)'o' << 24;
    private const uint Ehlo = 'e' | 'h' << 8 | 'l' << 16 | (uint)'o' << 24;
    private const uint Auth = 'a' | 'u' << 8 | 't' << 16 | (uint)'h' << 24;
    private const uint Mail = 'm' | 'a' << 8 | 'i' << 16 | (uint)'l' << 24;
    private const uint Rcpt = 'r' | 'c' << 8 | 'p' << 16 | (uint)'t' << 24;
    private const uint Data = 'd' | 'a' << 8 | 't' << 16 | (uint)'a' << 24;
    private const uint Rset = 'r' | 's' << 8 | 'e' << 16 | (uint)'t' << 24;
    private const uint Noop = 'n' | 'o' << 8 | 'o' << 16 | (uint)'p' << 24;
    private const uint Quit = 'q' | 'u' << 8 | 'i' << 16 | (uint)'t' << 24;
    private const uint Vrfy = 'v' | 'r' << 8 | 'f' << 16 | (uint)'y' << 24;
    private const uint HelpVerb = 'h' | 'e' << 8 | 'l' << 16 | (uint)'p' << 24;
    private const uint Lhlo = 'l' | 'h' << 8 | 'l' << 16 | (uint)'o' << 24;

    // Control characters other than TAB, and DEL.
    private static readonly SearchValues<byte> ControlCharacters = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    private static readonly SearchValues<byte> PathSpecials = SearchValues.Create("\"<> \t"u8);
    private static readonly SearchValues<byte> QuotedSpecials = SearchValues.Create("\"\\"u8);

    public static bool TryParse(ReadOnlySpan<byte> line, out SmtpCommand command)
    {
        command = default;

        // Control characters are never part of a command; TAB is tolerated as white space.
        if (line.IndexOfAny(ControlCharacters) >= 0)
        {
            command.Error = SmtpParseError.InvalidCharacters;
            return false;
        }

        line = TrimEnd(line);
        var space = line.IndexOfAny((byte)' ', (byte)'\t');
        var verb = space < 0 ? line : line[..space];
        var rest = space < 0 ? [] : TrimStart(line[(space + 1)..]);

        command.Verb = ParseVerb(verb);
        command.Error = command.Verb switch
        {
            SmtpVerb.Unknown => SmtpParseError.UnknownCommand,
            SmtpVerb.Helo or SmtpVerb.Ehlo or SmtpVerb.Lhlo => rest.IsEmpty ? SmtpParseError.Syntax : SetArgument(ref command, rest),
            SmtpVerb.StartTls or SmtpVerb.Data or SmtpVerb.Rset or SmtpVerb.Quit =>
                rest.IsEmpty ? SmtpParseError.None : SmtpParseError.Syntax,
            SmtpVerb.Noop or SmtpVerb.Help => SetArgument(ref command, rest),
            SmtpVerb.Vrfy => rest.IsEmpty ? SmtpParseError.Syntax : SetArgument(ref command, rest),
            SmtpVerb.Auth => ParseAuth(rest, ref command),
            SmtpVerb.Mail => ParseMail(rest, ref command),
            SmtpVerb.Rcpt => ParseRcpt(rest, ref command),
            _ => SmtpParseError.UnknownCommand,
        };

        return command.Error == SmtpParseError.None;
    }

    private static SmtpVerb ParseVerb(ReadOnlySpan<byte> verb)
    {
        if (verb.Length == 4)
        {
            return (BinaryPrimitives.ReadUInt32LittleEndian(verb) | 0x20202020u) switch
            {
                Helo => SmtpVerb.Helo,
                Ehlo => SmtpVerb.Ehlo,
                Auth => SmtpVerb.Auth,
                Mail => SmtpVerb.Mail,
                Rcpt => SmtpVerb.Rcpt,
                Data => SmtpVerb.Data,
                Rset => SmtpVerb.Rset,
                Noop => SmtpVerb.Noop,
                Quit => SmtpVerb.Quit,
                Vrfy => SmtpVerb.Vrfy,
                HelpVerb => SmtpVerb.Help,
                Lhlo => SmtpVerb.Lhlo,
                _ => SmtpVerb.Unknown,
            };
        }

        return verb.Length == 8 && Ascii.EqualsIgnoreCase(verb, "STARTTLS"u8) ? SmtpVerb.StartTls : SmtpVerb.Unknown;
    }

    private static SmtpParseError SetArgument(ref SmtpCommand command, ReadOnlySpan<byte> argument)
    {
        command.Argument = argument;
        return SmtpParseError.None;
    }

    // RFC 4954 4: AUTH mechanism [initial-response]
    private static SmtpParseError ParseAuth(ReadOnlySpan<byte> rest, ref SmtpCommand command)
    {
        if (rest.IsEmpty)
        {
            return SmtpParseError.Syntax;
        }

        var space = rest.IndexOfAny((byte)' ', (byte)'\t');
        if (space < 0)
        {
            command.Argument = rest;
            return SmtpParseError.None;
        }

        command.Argument = rest[..space];
        command.InitialResponse = TrimStart(rest[(space + 1)..]);
        return command.InitialResponse.IndexOfAny((byte)' ', (byte)'\t') >= 0 ? SmtpParseError.Syntax : SmtpParseError.None;
    }

    // RFC 5321 4.1.1.2: MAIL FROM:<reverse-path> [SP mail-parameters]
    private static SmtpParseError ParseMail(ReadOnlySpan<byte> rest, ref SmtpCommand command)
    {
        if (!TryStripKeyword(rest, "FROM:"u8, out rest) || !TryParsePath(rest, out command.Argument, out var consumed))
        {
            return SmtpParseError.Syntax;
        }

        var parameters = rest[consumed..];
        while (true)
        {
            parameters = TrimStart(parameters);
            if (parameters.IsEmpty)
            {
                return SmtpParseError.None;
            }

            var end = parameters.IndexOfAny((byte)' ', (byte)'\t');
            var parameter = end < 0 ? parameters : parameters[..end];
            parameters = end < 0 ? [] : parameters[end..];

            var equals = parameter.IndexOf((byte)'=');
            var keyword = equals < 0 ? parameter : parameter[..equals];
            var value = equals < 0 ? [] : parameter[(equals + 1)..];

            if (Ascii.EqualsIgnoreCase(keyword, "SIZE"u8))
            {
                // RFC 1870 6: size-value ::= 1*20DIGIT; a value beyond long is a syntax error here.
                if (value.IsEmpty || !Utf8Parser.TryParse(value, out long size, out var used) || used != value.Length || size < 0)
                {
                    return SmtpParseError.Syntax;
                }

                command.Size = size;
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "BODY"u8))
            {
                // RFC 6152 2.
                if (Ascii.EqualsIgnoreCase(value, "8BITMIME"u8))
                {
                    command.Body = SmtpBodyType.EightBitMime;
                }
                else if (Ascii.EqualsIgnoreCase(value, "7BIT"u8))
                {
                    command.Body = SmtpBodyType.SevenBit;
                }
                else
                {
                    return SmtpParseError.Syntax;
                }
            }
            else if (Ascii.EqualsIgnoreCase(keyword, "AUTH"u8))
            {
                // RFC 4954 5: a server that offers AUTH must accept the AUTH= parameter; the
                // submitter identity it names is not used.
                if (value.IsEmpty)
                {
                    return SmtpParseError.Syntax;
                }
            }
            else
            {
                return SmtpParseError.UnknownParameter;
            }
        }
    }

    // RFC 5321 4.1.1.3: RCPT TO:<forward-path>; no RCPT parameters are advertised.
    private static SmtpParseError ParseRcpt(ReadOnlySpan<byte> rest, ref SmtpCommand command)
    {
        if (!TryStripKeyword(rest, "TO:"u8, out rest) || !TryParsePath(rest, out command.Argument, out var consumed)
            || command.Argument.IsEmpty)
        {
            return SmtpParseError.Syntax;
        }

        return TrimStart(rest[consumed..]).IsEmpty ? SmtpParseError.None : SmtpParseError.UnknownParameter;
    }

    private static bool TryStripKeyword(ReadOnlySpan<byte> rest, ReadOnlySpan<byte> keyword, out ReadOnlySpan<byte> after)
    {
        if (rest.Length < keyword.Length || !Ascii.EqualsIgnoreCase(rest[..keyword.Length], keyword))
        {
            after = default;
            return false;
        }

        // "MAIL FROM: <a@b>" breaks RFC 5321 but is common enough that refusing it only hurts.
        after = TrimStart(rest[keyword.Length..]);
        return true;
    }

    /// <summary>Reads "&lt;...&gt;"; the address comes back without brackets or source route.</summary>
    private static bool TryParsePath(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> address, out int consumed)
    {
        address = default;
        consumed = 0;
        if (text.IsEmpty || text[0] != (byte)'<')
        {
            return false;
        }

        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            var special = text[i..].IndexOfAny(quoted ? QuotedSpecials : PathSpecials);
            if (special < 0)
            {
                return false;
            }

            i += special;
            var b = text[i];
            if (quoted)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else
                {
                    quoted = false;
                }

                continue;
            }

            switch (b)
            {
                case (byte)'"':
                    quoted = true;
                    break;
                case (byte)'>':
                    // No SMTPUTF8 offered (RFC 6531 3.2), so addresses are ASCII.
                    if (!Ascii.IsValid(text[1..i]))
                    {
                        return false;
                    }

                    address = StripSourceRoute(text[1..i]);
                    consumed = i + 1;
                    return true;
                default:
                    // '<', or white space outside quotes.
                    return false;
            }
        }

        return false;
    }

    // RFC 5321 4.1.2 and appendix C: a source route "@a,@b:" must be accepted and should be ignored.
    private static ReadOnlySpan<byte> StripSourceRoute(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty || path[0] != (byte)'@')
        {
            return path;
        }

        var colon = path.IndexOf((byte)':');
        return colon < 0 ? path : path[(colon + 1)..];
    }

    private static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> span) => span.TrimStart(" \t"u8);

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> span) => span.TrimEnd(" \t"u8);
}
