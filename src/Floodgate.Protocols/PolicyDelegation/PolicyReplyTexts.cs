namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>Every fixed reply of the policy delegation protocol, complete with the terminating empty line.</summary>
internal static class PolicyReplyTexts
{
    public static ReadOnlySpan<byte> Dunno => "action=DUNNO\n\n"u8;

    public static ReadOnlySpan<byte> Ok => "action=OK\n\n"u8;

    // Sent for a malformed or oversized request and when the handler fails: DEFER_IF_PERMIT never turns
    // a message that another restriction would reject into an accepted one.
    public static ReadOnlySpan<byte> ServiceUnavailable => "action=DEFER_IF_PERMIT Service temporarily unavailable\n\n"u8;

    public static ReadOnlySpan<byte> ActionPrefix => "action="u8;

    public static ReadOnlySpan<byte> Terminator => "\n\n"u8;

    public const string Reject = "REJECT";

    public const string Defer = "DEFER";

    public const string DeferIfPermit = "DEFER_IF_PERMIT";

    public const string DeferIfReject = "DEFER_IF_REJECT";

    public const string Hold = "HOLD";

    public const string Discard = "DISCARD";

    public const string Prepend = "PREPEND";

    public const string Filter = "FILTER";
}
