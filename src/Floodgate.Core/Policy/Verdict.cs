namespace Floodgate.Core.Policy;

/// <summary>
/// What happens to a transaction, or at one of its stages: the one word for it in the engine, the
/// doors, the detector's memory, the relay and the transaction log (stored as its number).
/// </summary>
public enum Outcome : byte
{
    /// <summary>Go on (a stage), or accepted and handed on: relayed upstream or written to the outbox (a transaction).</summary>
    Accepted = 0,

    /// <summary>Temporary refusal (4xx): the sender's MTA retries; nothing is lost.</summary>
    Deferred = 1,

    /// <summary>Permanent refusal (5xx).</summary>
    Rejected = 2,

    /// <summary>Suspicious: deferred (gateway) or put in the hold queue (milter) while people look.</summary>
    Held = 3,
}

/// <summary>
/// The engine's answer for one stage of one transaction: what to do, the SMTP reply code with its
/// enhanced status code (RFC 3463), a text a person can read, and a stable reason key for metrics
/// and the transaction log.
/// </summary>
public readonly record struct Verdict(Outcome Outcome, int Code, string EnhancedCode, string Text, string Reason)
{
    public static readonly Verdict Accept = new(Outcome.Accepted, 250, "2.0.0", "OK", PolicyReasons.Ok);

    public bool IsAccept => Outcome == Outcome.Accepted;

    /// <summary>"550 5.7.1": what the transaction log keeps as the reply code.</summary>
    public string ReplyCode => Code.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + EnhancedCode;

    public override string ToString() => $"{Code} {EnhancedCode} {Text}";
}

/// <summary>Stable reason keys: metrics labels and the transaction log's verdict reason.</summary>
public static class PolicyReasons
{
    public const string Ok = "ok";
    public const string Relayed = "relayed";
    public const string MailboxSuspended = "mailbox-suspended";
    public const string DomainSuspended = "domain-suspended";
    public const string ClientSuspended = "client-suspended";
    public const string ClientTerminated = "client-terminated";
    public const string Disabled = "disabled";
    public const string SenderNotAllowed = "sender-not-allowed";
    public const string CredentialsRevoked = "credentials-revoked";
    public const string RecipientCap = "recipient-cap";
    public const string RateLimit = "rate-limit";
    public const string StateUnavailable = "state-unavailable";
    public const string MessageTooLarge = "message-too-large";
    public const string Held = "held";
    public const string Offense = "offense";
    public const string BulkWithoutOptOut = "bulk-without-opt-out";
    public const string UnknownLogin = "unknown-login";
    public const string UnknownSender = "unknown-sender";
    public const string Unparsable = "unparsable";
    public const string UpstreamDeferred = "upstream-deferred";
    public const string UpstreamRejected = "upstream-rejected";
    public const string NoEndOfMessage = "no-end-of-message";
    public const string Inspected = "inspected";
    public const string SpoolFull = "spool-full";
}
