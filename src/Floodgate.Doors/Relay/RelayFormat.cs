using MimeKit;

namespace Floodgate.Doors.Relay;

internal static class RelayFormat
{
    /// <summary>RFC 5321 4.5.3.1.6: a text line is at most 998 octets plus CRLF.</summary>
    internal const int MaxLineLength = 998;

    /// <summary>
    /// A relay passes the message on as it was received: no header is hidden (MailKit hides Bcc
    /// by default) and line ends are CRLF as SMTP requires.
    /// </summary>
    public static readonly FormatOptions Options = CreateOptions();

    /// <summary>
    /// True when the received bytes can go upstream exactly as they are, which is what MailKit's
    /// Prepare would leave of them too: 7-bit (no 8BITMIME question, no downgrade), no NUL, every
    /// line ended by CRLF and at most 998 octets long. Anything else takes MailKit's own path
    /// (BODY=8BITMIME or a 7-bit downgrade, line folding), as before. Two vectorised scans and one
    /// IndexOf per line: about a microsecond for 5 KB.
    /// </summary>
    public static bool IsRelayableAsReceived(ReadOnlySpan<byte> message) => IsRelayableAsReceived(message, allowEightBit: false);

    /// <summary>
    /// The same, with octets above 127 allowed when <paramref name="allowEightBit"/>: the pipelined
    /// client sends such a message with BODY=8BITMIME to an upstream that offers it, as it was received.
    /// </summary>
    public static bool IsRelayableAsReceived(ReadOnlySpan<byte> message, bool allowEightBit)
    {
        if (message.IsEmpty || message.IndexOfAnyExceptInRange((byte)1, allowEightBit ? (byte)0xFF : (byte)0x7F) >= 0)
        {
            return false;
        }

        var rest = message;
        while (!rest.IsEmpty)
        {
            var lf = rest.IndexOf((byte)'\n');
            if (lf <= 0 || rest[lf - 1] != (byte)'\r' || lf - 1 > MaxLineLength)
            {
                return false;
            }

            rest = rest[(lf + 1)..];
        }

        return true;
    }

    /// <summary>True when any octet is above 127 (RFC 6152: the message needs BODY=8BITMIME).</summary>
    public static bool HasEightBit(ReadOnlySpan<byte> message) => message.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;

    private static FormatOptions CreateOptions()
    {
        var options = FormatOptions.Default.Clone();
        options.HiddenHeaders.Clear();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }
}
