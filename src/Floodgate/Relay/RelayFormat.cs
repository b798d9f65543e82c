using MimeKit;

namespace Floodgate.Relay;

internal static class RelayFormat
{
    /// <summary>
    /// A relay passes the message on as it was received: no header is hidden (MailKit hides Bcc
    /// by default) and line ends are CRLF as SMTP requires.
    /// </summary>
    public static readonly FormatOptions Options = CreateOptions();

    private static FormatOptions CreateOptions()
    {
        var options = FormatOptions.Default.Clone();
        options.HiddenHeaders.Clear();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }
}
