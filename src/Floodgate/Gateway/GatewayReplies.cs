using Floodgate.Protocols.Smtp;

namespace Floodgate.Gateway;

/// <summary>The gateway's own reply texts (policy texts come from the engine's verdicts).</summary>
internal static class GatewayReplies
{
    public static readonly SmtpReply AuthSucceeded = Fixed(235, "235 2.7.0 Authentication successful\r\n"u8);
    public static readonly SmtpReply AuthFailed = Fixed(535, "535 5.7.8 Authentication credentials invalid\r\n"u8);
    public static readonly SmtpReply AuthThrottled = Fixed(454, "454 4.7.0 Too many failed logins; try again later\r\n"u8);
    public static readonly SmtpReply SenderOk = Fixed(250, "250 2.1.0 Sender OK\r\n"u8);
    public static readonly SmtpReply RecipientOk = Fixed(250, "250 2.1.5 Recipient OK\r\n"u8);
    public static readonly SmtpReply StartData = Fixed(354, "354 Start mail input; end with <CRLF>.<CRLF>\r\n"u8);
    public static readonly SmtpReply Relayed = Fixed(250, "250 2.0.0 Message accepted and relayed\r\n"u8);
    public static readonly SmtpReply NeedMail = Fixed(503, "503 5.5.1 MAIL first\r\n"u8);
    public static readonly SmtpReply NoValidRecipients = Fixed(554, "554 5.5.1 No valid recipients\r\n"u8);
    public static readonly SmtpReply BadRecipient = Fixed(501, "501 5.1.3 Bad recipient address syntax\r\n"u8);
    public static readonly SmtpReply UnknownSenderMailbox = Fixed(550, "550 5.7.1 Sender is not a mailbox of this provider; authenticate first\r\n"u8);
    public static readonly SmtpReply Unparsable = Fixed(554, "554 5.6.0 Message could not be parsed\r\n"u8);

    private static SmtpReply Fixed(int code, ReadOnlySpan<byte> wire) => SmtpReply.FromWire(code, wire);
}
