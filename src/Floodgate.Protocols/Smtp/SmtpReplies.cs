using System.Globalization;
using System.Text;

namespace Floodgate.Protocols.Smtp;

/// <summary>
/// Every reply text the SMTP server writes, as UTF-8 literals. Texts that carry a configured value
/// (host name, SIZE) are assembled once per server from the pieces below.
/// </summary>
internal static class SmtpReplies
{
    // Greeting and EHLO/HELO, assembled at server start (RFC 5321 4.2, 4.1.1.1).
    public static ReadOnlySpan<byte> GreetingPrefix => "220 "u8;
    public static ReadOnlySpan<byte> GreetingSuffix => " ESMTP Floodgate\r\n"u8;
    public static ReadOnlySpan<byte> HeloPrefix => "250 "u8;
    public static ReadOnlySpan<byte> EhloFirstPrefix => "250-"u8;
    public static ReadOnlySpan<byte> LineEnd => "\r\n"u8;
    public static ReadOnlySpan<byte> EhloPipelining => "250-PIPELINING\r\n"u8;
    public static ReadOnlySpan<byte> EhloSizePrefix => "250-SIZE "u8;
    public static ReadOnlySpan<byte> Ehlo8BitMime => "250-8BITMIME\r\n"u8;
    public static ReadOnlySpan<byte> EhloStartTls => "250-STARTTLS\r\n"u8;
    public static ReadOnlySpan<byte> EhloAuth => "250-AUTH PLAIN LOGIN\r\n"u8;

    // The last EHLO line is fixed so the optional lines above it never need the "250 " form.
    public static ReadOnlySpan<byte> EhloLast => "250 ENHANCEDSTATUSCODES\r\n"u8;

    public static ReadOnlySpan<byte> Ok => "250 2.0.0 OK\r\n"u8;
    public static ReadOnlySpan<byte> ResetOk => "250 2.0.0 Reset\r\n"u8;
    public static ReadOnlySpan<byte> StartMailInput => "354 End data with <CR><LF>.<CR><LF>\r\n"u8;
    public static ReadOnlySpan<byte> Bye => "221 2.0.0 Bye\r\n"u8;
    public static ReadOnlySpan<byte> CannotVrfy => "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"u8;
    public static ReadOnlySpan<byte> Help => "214 2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n"u8;
    public static ReadOnlySpan<byte> ReadyToStartTls => "220 2.0.0 Ready to start TLS\r\n"u8;

    // RFC 4954 4: an empty challenge for PLAIN; LOGIN asks "Username:" and "Password:" in base64.
    public static ReadOnlySpan<byte> AuthContinue => "334 \r\n"u8;
    public static ReadOnlySpan<byte> AuthUsername => "334 VXNlcm5hbWU6\r\n"u8;
    public static ReadOnlySpan<byte> AuthPassword => "334 UGFzc3dvcmQ6\r\n"u8;

    public static ReadOnlySpan<byte> TooManyConnections => "421 4.7.0 Too many connections\r\n"u8;
    public static ReadOnlySpan<byte> TooManyErrors => "421 4.7.0 Too many errors, closing connection\r\n"u8;
    public static ReadOnlySpan<byte> IdleTimeout => "421 4.4.2 Idle timeout, closing connection\r\n"u8;
    public static ReadOnlySpan<byte> ShuttingDown => "421 4.3.2 Service shutting down\r\n"u8;
    public static ReadOnlySpan<byte> InternalError => "421 4.3.0 Internal error, closing connection\r\n"u8;

    // RFC 5321 3.8: 421 names the host, then the server closes. Assembled at server start.
    public static ReadOnlySpan<byte> TooManyJunkCommandsPrefix => "421 4.7.0 "u8;
    public static ReadOnlySpan<byte> TooManyJunkCommandsSuffix => " Too many commands without progress; closing connection\r\n"u8;
    public static ReadOnlySpan<byte> SessionTooLongPrefix => "421 4.4.2 "u8;
    public static ReadOnlySpan<byte> SessionTooLongSuffix => " Session lasted too long; closing connection\r\n"u8;

    // RFC 3463 4.3.1, RFC 5321 4.5.3.1.9: the spool cannot hold the message now; the client retries.
    public static ReadOnlySpan<byte> InsufficientStorage => "452 4.3.1 Insufficient system storage; try again later\r\n"u8;

    public static ReadOnlySpan<byte> UnknownCommand => "500 5.5.2 Command unrecognized\r\n"u8;
    public static ReadOnlySpan<byte> InvalidCharacters => "500 5.5.2 Invalid characters in command\r\n"u8;
    public static ReadOnlySpan<byte> LineTooLong => "500 5.5.2 Line too long\r\n"u8;
    public static ReadOnlySpan<byte> SyntaxError => "501 5.5.4 Syntax error in parameters or arguments\r\n"u8;
    public static ReadOnlySpan<byte> AuthCancelled => "501 5.7.0 Authentication cancelled\r\n"u8;
    public static ReadOnlySpan<byte> AuthBadEncoding => "501 5.5.2 Cannot decode response\r\n"u8;
    public static ReadOnlySpan<byte> StartTlsUnavailable => "502 5.5.1 STARTTLS not available\r\n"u8;
    public static ReadOnlySpan<byte> BadSequence => "503 5.5.1 Bad sequence of commands\r\n"u8;
    public static ReadOnlySpan<byte> SendHelloFirst => "503 5.5.1 Send EHLO or HELO first\r\n"u8;
    public static ReadOnlySpan<byte> AlreadyAuthenticated => "503 5.5.1 Already authenticated\r\n"u8;
    public static ReadOnlySpan<byte> AlreadyTls => "503 5.5.1 TLS already active\r\n"u8;
    public static ReadOnlySpan<byte> AuthMechanismUnknown => "504 5.5.4 Unrecognized authentication type\r\n"u8;
    public static ReadOnlySpan<byte> AuthRequired => "530 5.7.0 Authentication required\r\n"u8;
    public static ReadOnlySpan<byte> AuthorizationIdentityRefused => "535 5.7.8 Authorization identity not supported\r\n"u8;
    public static ReadOnlySpan<byte> EncryptionRequired => "538 5.7.11 Encryption required for requested authentication mechanism\r\n"u8;
    public static ReadOnlySpan<byte> MessageTooBig => "552 5.3.4 Message size exceeds fixed maximum message size\r\n"u8;

    // RFC 2920 3.1: after every RCPT failed, a pipelined DATA gets 503 or 554.
    public static ReadOnlySpan<byte> NoValidRecipients => "554 5.5.1 No valid recipients\r\n"u8;
    public static ReadOnlySpan<byte> UnknownParameter => "555 5.5.4 Parameter not recognized\r\n"u8;

    /// <summary>"220 host ESMTP Floodgate" (or the LMTP suffix).</summary>
    public static byte[] BuildGreeting(string hostName, ReadOnlySpan<byte> suffix) => Concat(GreetingPrefix, hostName, suffix);

    /// <summary>"250 host", the HELO reply.</summary>
    public static byte[] BuildHelo(string hostName) => Concat(HeloPrefix, hostName, LineEnd);

    /// <summary>"250-host", the first EHLO line.</summary>
    public static byte[] BuildEhloFirst(string hostName) => Concat(EhloFirstPrefix, hostName, LineEnd);

    /// <summary>"421 4.7.0 host Too many commands without progress; closing connection".</summary>
    public static byte[] BuildTooManyJunkCommands(string hostName) => Concat(TooManyJunkCommandsPrefix, hostName, TooManyJunkCommandsSuffix);

    /// <summary>"421 4.4.2 host Session lasted too long; closing connection".</summary>
    public static byte[] BuildSessionTooLong(string hostName) => Concat(SessionTooLongPrefix, hostName, SessionTooLongSuffix);

    /// <summary>"250-SIZE n" (RFC 1870).</summary>
    public static byte[] BuildEhloSize(long maxMessageSize) =>
        Concat(EhloSizePrefix, maxMessageSize.ToString(CultureInfo.InvariantCulture), LineEnd);

    private static byte[] Concat(ReadOnlySpan<byte> prefix, string middle, ReadOnlySpan<byte> suffix)
    {
        var result = new byte[prefix.Length + Encoding.ASCII.GetByteCount(middle) + suffix.Length];
        prefix.CopyTo(result);
        var written = Encoding.ASCII.GetBytes(middle, result.AsSpan(prefix.Length));
        suffix.CopyTo(result.AsSpan(prefix.Length + written));
        return result;
    }
}
