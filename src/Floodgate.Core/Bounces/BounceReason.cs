namespace Floodgate.Core.Bounces;

/// <summary>
/// Why a recipient failed, in Sisimai's taxonomy (libsisimai.org "Bounce Reason List"), plus
/// <see cref="Feedback"/> for ARF complaints (RFC 5965). <see cref="BounceReasons.Name"/> gives the exact name.
/// </summary>
public enum BounceReason
{
    Undefined,
    OnHold,
    UserUnknown,
    HostUnknown,
    HasMoved,
    MailboxFull,
    Suspend,
    SystemFull,
    MesgTooBig,
    ExceedLimit,
    Expired,
    NetworkError,
    SystemError,
    MailerError,
    TooManyConn,
    Speeding,
    Blocked,
    BadReputation,
    RequirePtr,
    AuthFailure,
    NoRelaying,
    SecurityError,
    FailedStartTls,
    PolicyViolation,
    SpamDetected,
    VirusDetected,
    ContentError,
    NotCompliantRfc,
    SyntaxError,
    Rejected,
    Filtered,
    Suppressed,
    NotAccept,
    Feedback,
}

public static class BounceReasons
{
    // Indexed by the enum's value; Sisimai's names are the enum names in lower case.
    private static readonly string[] Names =
    [
        "undefined", "onhold", "userunknown", "hostunknown", "hasmoved", "mailboxfull", "suspend", "systemfull",
        "mesgtoobig", "exceedlimit", "expired", "networkerror", "systemerror", "mailererror", "toomanyconn",
        "speeding", "blocked", "badreputation", "requireptr", "authfailure", "norelaying", "securityerror",
        "failedstarttls", "policyviolation", "spamdetected", "virusdetected", "contenterror", "notcompliantrfc",
        "syntaxerror", "rejected", "filtered", "suppressed", "notaccept", "feedback",
    ];

    public static string Name(this BounceReason reason) => Names[(int)reason];

    /// <summary>
    /// Hard means the address itself is dead, so it counts against the member: it does not exist, its domain
    /// does not, it moved, or its domain permanently accepts no mail. A permanent refusal for policy or
    /// reputation is the sender's problem, never the member's (issue 14, item 4).
    /// </summary>
    public static bool IsHard(BounceReason reason, string status) => reason switch
    {
        BounceReason.UserUnknown or BounceReason.HostUnknown or BounceReason.HasMoved => true,
        BounceReason.NotAccept => status.StartsWith('5'),
        _ => false,
    };
}
