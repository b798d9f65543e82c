namespace Floodgate.Core.Policy;

public enum VerdictKind : byte
{
    Accept = 0,

    /// <summary>Temporary refusal (4xx): the sender's MTA retries; nothing is lost.</summary>
    Defer = 1,

    /// <summary>Permanent refusal (5xx).</summary>
    Reject = 2,

    /// <summary>Suspicious: defer it (gateway) or put it in the hold queue (milter) while people look.</summary>
    Hold = 3,
}

/// <summary>
/// The engine's answer for one stage of one transaction: what to do, the SMTP reply code with its
/// enhanced status code (RFC 3463), a text a person can read, and a stable reason key for metrics
/// and the transaction log.
/// </summary>
public readonly record struct Verdict(VerdictKind Kind, int Code, string EnhancedCode, string Text, string Reason)
{
    public static readonly Verdict Accept = new(VerdictKind.Accept, 250, "2.0.0", "OK", PolicyReasons.Ok);

    public bool IsAccept => Kind == VerdictKind.Accept;

    public override string ToString() => $"{Code} {EnhancedCode} {Text}";
}

/// <summary>Stable reason keys: metrics labels and the transaction log's verdict reason.</summary>
public static class PolicyReasons
{
    public const string Ok = "ok";
    public const string MailboxSuspended = "mailbox-suspended";
    public const string DomainSuspended = "domain-suspended";
    public const string ClientSuspended = "client-suspended";
    public const string ClientTerminated = "client-terminated";
    public const string Disabled = "disabled";
    public const string SenderNotAllowed = "sender-not-allowed";
    public const string RecipientCap = "recipient-cap";
    public const string RateLimit = "rate-limit";
    public const string MessageTooLarge = "message-too-large";
    public const string Held = "held";
    public const string Offense = "offense";
}
