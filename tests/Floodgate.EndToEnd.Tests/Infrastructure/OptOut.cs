namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A working List-Unsubscribe (RFC 2369), for tests whose message is bulk by its recipients but whose
/// point is something other than the bulk opt-out rule (Policy:BulkOptOut): the cap, the windows, the
/// hold queue, the detector. With it the rule lets the message pass, as it does a real mailing's.
/// </summary>
public static class OptOut
{
    public const string Value = "<https://example.com/u/1>, <mailto:unsub@example.com>";

    /// <summary>The whole field, CRLF included.</summary>
    public const string Field = "List-Unsubscribe: " + Value + "\r\n";

    /// <summary>The start of the gateway's and the milter's refusal of bulk mail without one, as MailKit gives it (the text after the code).</summary>
    public const string BulkRefusalText = "5.7.1 Message refused: it looks like bulk mail";

    /// <summary>The start of that refusal on the wire.</summary>
    public const string BulkRefusal = "550 " + BulkRefusalText;
}
