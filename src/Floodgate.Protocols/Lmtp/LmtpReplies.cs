using Floodgate.Protocols.Smtp;

namespace Floodgate.Protocols.Lmtp;

/// <summary>
/// The reply texts of the LMTP dialect, as UTF-8 literals. The replies LMTP shares with SMTP (500,
/// 501, 503, 552, ...) are in <see cref="SmtpReplies"/>: the same connection writes both.
/// </summary>
internal static class LmtpReplies
{
    public static ReadOnlySpan<byte> GreetingSuffix => " LMTP Floodgate\r\n"u8;

    // RFC 2033 4.1: "HELO and EHLO ... are not used in LMTP"; 500 as for any command not of the protocol.
    public static ReadOnlySpan<byte> UseLhlo => "500 5.5.1 This is LMTP: use LHLO (RFC 2033)\r\n"u8;
    public static ReadOnlySpan<byte> SendLhloFirst => "503 5.5.1 Send LHLO first\r\n"u8;

    // RFC 2033 4.2: DATA without a successful RCPT gets 503.
    public static ReadOnlySpan<byte> NoValidRecipients => "503 5.5.1 No valid recipients\r\n"u8;
    public static ReadOnlySpan<byte> Help => "214 2.0.0 Commands: LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n"u8;

    // RFC 5321 4.5.3.1.10: 452 lets the client send the remaining recipients in a new transaction.
    public static ReadOnlySpan<byte> TooManyRecipientsWire => "452 4.5.3 Too many recipients\r\n"u8;

    // The handler failed after DATA: a temporary failure per recipient, the MTA retries the message.
    public static ReadOnlySpan<byte> DeliveryFailedWire => "451 4.3.0 Temporary failure in mail delivery\r\n"u8;
    public static ReadOnlySpan<byte> ListServiceNotReadyWire => "451 4.3.2 List service not ready\r\n"u8;
    public static ReadOnlySpan<byte> SenderOkWire => "250 2.1.0 Sender OK\r\n"u8;
    public static ReadOnlySpan<byte> RecipientOkWire => "250 2.1.5 Recipient OK\r\n"u8;

    public static readonly SmtpReply TooManyRecipients = SmtpReply.FromWire(452, TooManyRecipientsWire);
    public static readonly SmtpReply DeliveryFailed = SmtpReply.FromWire(451, DeliveryFailedWire);
    public static readonly SmtpReply ListServiceNotReady = SmtpReply.FromWire(451, ListServiceNotReadyWire);
    public static readonly SmtpReply SenderOk = SmtpReply.FromWire(250, SenderOkWire);
    public static readonly SmtpReply RecipientOk = SmtpReply.FromWire(250, RecipientOkWire);
    public static readonly SmtpReply StartMailInput = SmtpReply.FromWire(354, SmtpReplies.StartMailInput);
}
