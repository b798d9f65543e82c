using System.Text;
using Floodgate.Core.Fingerprinting;
using MimeKit.Utils;

namespace Floodgate.Doors.Gateway;

/// <summary>
/// What the gateway needs from a received message's header block, read off the bytes. Building
/// MimeKit's object model for it cost about 19 µs and 15 KB per message, 11 % of the gateway's CPU
/// per relayed message (bench/RESULTS.md, "Gateway: profile"); the relay parses only when it has to.
/// </summary>
internal static class MessageHeaders
{
    /// <summary>
    /// False when the message does not start with a header field (an mbox "From " line aside), which
    /// is when MimeKit refuses to parse it. <paramref name="messageId"/> is the first Message-ID, as
    /// MimeKit's <c>MimeMessage.MessageId</c> gives it (no angle brackets), or null. <paramref name="listSignals"/>
    /// is what the fields say about a mailing (<see cref="ListHeaders.Classify"/>), read in the same pass.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out string? messageId, out ListSignals listSignals)
    {
        messageId = null;
        listSignals = ListSignals.None;
        var rest = message;
        var first = true;
        while (!rest.IsEmpty)
        {
            var lineStart = message.Length - rest.Length;
            var line = NextLine(ref rest);
            if (line.IsEmpty)
            {
                return true;
            }

            if (first && line.StartsWith("From "u8))
            {
                first = false;
                continue;
            }

            var colon = line.IndexOf((byte)':');
            if (colon < 0 || line[0] is (byte)' ' or (byte)'\t')
            {
                // A continuation or a stray line: MimeKit skips it, except before the first field.
                if (first)
                {
                    return false;
                }

                continue;
            }

            var name = line[..colon].TrimEnd(" \t"u8);
            if (name.IsEmpty || name.IndexOfAnyExceptInRange((byte)33, (byte)126) >= 0)
            {
                if (first)
                {
                    return false;
                }

                continue;
            }

            first = false;
            if (messageId is null && Ascii.EqualsIgnoreCase(name, "Message-ID"u8))
            {
                messageId = ReadMessageId(line[(colon + 1)..], rest);
            }
            else if (name.Length >= 7 && (name[0] | 0x20) is 'l' or 'p' or 'a')
            {
                // RFC 5322 2.2.3: the value with its continuation lines, which the loop would skip anyway.
                while (!rest.IsEmpty && rest[0] is (byte)' ' or (byte)'\t')
                {
                    NextLine(ref rest);
                }

                var valueStart = lineStart + colon + 1;
                listSignals |= ListHeaders.Classify(name, message[valueStart..(message.Length - rest.Length)]);
            }
        }

        return !first;
    }

    private static string? ReadMessageId(ReadOnlySpan<byte> value, ReadOnlySpan<byte> rest)
    {
        // RFC 5322 2.2.3: a folded value continues on lines that start with white space.
        if (rest.IsEmpty || rest[0] is not ((byte)' ' or (byte)'\t'))
        {
            return MimeUtils.ParseMessageId(Encoding.Latin1.GetString(value));
        }

        var builder = new StringBuilder(Encoding.Latin1.GetString(value));
        while (!rest.IsEmpty && rest[0] is (byte)' ' or (byte)'\t')
        {
            builder.Append(Encoding.Latin1.GetString(NextLine(ref rest)));
        }

        return MimeUtils.ParseMessageId(builder.ToString());
    }

    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> rest)
    {
        var lf = rest.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line;
        if (lf < 0)
        {
            line = rest;
            rest = default;
        }
        else
        {
            line = rest[..lf];
            rest = rest[(lf + 1)..];
        }

        return line.EndsWith("\r"u8) ? line[..^1] : line;
    }
}
