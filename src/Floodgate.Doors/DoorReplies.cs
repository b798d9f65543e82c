using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.PolicyDelegation;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Doors;

/// <summary>
/// Every reply text of the doors layer in one place: the gateway's own SMTP replies, the policy
/// door's, and the relay's. The policy's texts come from the engine's verdicts (Core's PolicyTexts);
/// the wire's from each protocol's reply file.
/// </summary>
internal static class DoorReplies
{
    // ---- the SMTP gateway
    public static readonly SmtpReply AuthSucceeded = Fixed(235, "235 2.7.0 Authentication successful\r\n"u8);
    public static readonly SmtpReply AuthFailed = Fixed(535, "535 5.7.8 Authentication credentials invalid\r\n"u8);
    public static readonly SmtpReply AuthThrottled = Fixed(454, "454 4.7.0 Too many failed logins; try again later\r\n"u8);
    // RFC 4954 6: 454 4.7.0 is the temporary authentication failure; the client tries again later.
    public static readonly SmtpReply AuthUnavailable = Fixed(454, "454 4.7.0 Temporary authentication failure; try again later\r\n"u8);
    public static readonly SmtpReply SenderOk = Fixed(250, "250 2.1.0 Sender OK\r\n"u8);
    public static readonly SmtpReply RecipientOk = Fixed(250, "250 2.1.5 Recipient OK\r\n"u8);
    public static readonly SmtpReply StartData = Fixed(354, "354 Start mail input; end with <CRLF>.<CRLF>\r\n"u8);
    public static readonly SmtpReply Relayed = Fixed(250, "250 2.0.0 Message accepted and relayed\r\n"u8);
    public static readonly SmtpReply NeedMail = Fixed(503, "503 5.5.1 MAIL first\r\n"u8);
    public static readonly SmtpReply NoValidRecipients = Fixed(554, "554 5.5.1 No valid recipients\r\n"u8);

    /// <summary>A list's post address from a mailbox that is not one of its posters (RFC 3463 5.7.1: not authorised).</summary>
    public static readonly SmtpReply NotAPoster = Fixed(550, "550 5.7.1 This mailbox may not post to this list\r\n"u8);

    public static readonly SmtpReply ListPostQueued = Fixed(250, "250 2.0.0 Post accepted for the list's confirmed members\r\n"u8);

    public static readonly SmtpReply ListPostFailed = Fixed(451, "451 4.3.0 The list service could not store the post; try again later\r\n"u8);
    public static readonly SmtpReply BadRecipient = Fixed(501, "501 5.1.3 Bad recipient address syntax\r\n"u8);
    public static readonly SmtpReply UnknownSenderMailbox = Fixed(550, "550 5.7.1 Sender is not a mailbox of this provider; authenticate first\r\n"u8);
    public static readonly SmtpReply Unparsable = Fixed(554, "554 5.6.0 Message could not be parsed\r\n"u8);

    // ---- policy delegation
    // Full table: refuse new messages for a moment rather than let them through without a cap.
    public static readonly PolicyReply PolicyBusy = PolicyReply.DeferIfPermit("4.3.2 Policy service busy, try again later");

    // ---- the relay
    public static readonly RelayResult UpstreamBusy = new(Outcome.Deferred, 451, "4.4.5", "Upstream busy: all relay connections in use; try again later");
    public static readonly RelayResult UpstreamTimedOut = new(Outcome.Deferred, 451, "4.4.2", "Upstream timed out; try again later");
    public static readonly RelayResult UpstreamUnavailable = new(Outcome.Deferred, 451, "4.4.1", "Upstream unavailable; try again later");
    public static readonly RelayResult MessageNotParsable = new(Outcome.Rejected, 554, "5.6.0", "Message could not be parsed");

    public static RelayResult AddressNotRelayable(string detail) => new(Outcome.Rejected, 553, "5.1.3", $"Address not relayable: {detail}");

    public static RelayResult OutboxNotWritable(string detail) => new(Outcome.Deferred, 451, "4.3.0", $"Outbox not writable: {detail}");

    public static RelayResult UpstreamRefused(int code, string enhanced, string rest) => code >= 500
        ? new RelayResult(Outcome.Rejected, code, enhanced, "Upstream rejected: " + rest)
        : new RelayResult(Outcome.Deferred, 451, "4.4.0", "Upstream deferred: " + rest);

    private static SmtpReply Fixed(int code, ReadOnlySpan<byte> wire) => SmtpReply.FromWire(code, wire);
}
