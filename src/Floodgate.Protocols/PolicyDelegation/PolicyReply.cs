using System.Text;

namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// A complete policy reply as it goes on the wire (<c>action=...\n\n</c>), encoded once. Make replies
/// with fixed text once and reuse them; the factories allocate.
/// </summary>
public readonly struct PolicyReply
{
    private static readonly byte[] DunnoWire = PolicyReplyTexts.Dunno.ToArray();
    private static readonly byte[] OkWire = PolicyReplyTexts.Ok.ToArray();
    private static readonly byte[] ServiceUnavailableWire = PolicyReplyTexts.ServiceUnavailable.ToArray();

    private PolicyReply(ReadOnlyMemory<byte> wire) => Wire = wire;

    /// <summary>The bytes to send, including the empty line.</summary>
    public ReadOnlyMemory<byte> Wire { get; }

    public bool IsDefault => Wire.IsEmpty;

    /// <summary>No opinion: Postfix goes on with the next restriction.</summary>
    public static PolicyReply Dunno => new(DunnoWire);

    /// <summary>Accept (for this restriction list).</summary>
    public static PolicyReply Ok => new(OkWire);

    /// <summary>What the server answers when it cannot decide: a malformed request or a failed handler.</summary>
    public static PolicyReply ServiceUnavailable => new(ServiceUnavailableWire);

    public static PolicyReply Reject(string text) => Action(PolicyReplyTexts.Reject, text);

    public static PolicyReply Defer(string text) => Action(PolicyReplyTexts.Defer, text);

    public static PolicyReply DeferIfPermit(string text) => Action(PolicyReplyTexts.DeferIfPermit, text);

    public static PolicyReply DeferIfReject(string text) => Action(PolicyReplyTexts.DeferIfReject, text);

    /// <summary>Accept but keep the message in the hold queue (a quarantine for review).</summary>
    public static PolicyReply Hold(string text) => Action(PolicyReplyTexts.Hold, text);

    public static PolicyReply Discard(string text) => Action(PolicyReplyTexts.Discard, text);

    /// <summary>Adds a header line, e.g. <c>Prepend("X-Floodgate: suspect")</c>.</summary>
    public static PolicyReply Prepend(string headerLine) => Action(PolicyReplyTexts.Prepend, headerLine);

    /// <summary>
    /// An SMTP reply Postfix sends as is, e.g. <c>Smtp(452, "4.5.3", "Too many recipients")</c>;
    /// RFC 5321 4.5.3.1.10: 452 lets the client send the remaining recipients in a new transaction.
    /// </summary>
    public static PolicyReply Smtp(int code, string enhancedStatus, string text)
    {
        if (code is < 200 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "An SMTP reply code is 2xx to 5xx.");
        }

        return Action(code.ToString(System.Globalization.CultureInfo.InvariantCulture), enhancedStatus + " " + text);
    }

    /// <summary>Any action Postfix's access(5) table accepts, e.g. <c>Custom("FILTER smtp:[10.0.0.1]:10025")</c>.</summary>
    public static PolicyReply Custom(string action) => Action(action, string.Empty);

    private static PolicyReply Action(string action, string text)
    {
        var line = text.Length == 0 ? action : action + " " + text;

        // A newline would end the reply early and desynchronise Postfix; there is no escape in the protocol.
        line = line.Replace('\r', ' ').Replace('\n', ' ');
        var wire = new byte[PolicyReplyTexts.ActionPrefix.Length + Encoding.UTF8.GetByteCount(line) + PolicyReplyTexts.Terminator.Length];
        PolicyReplyTexts.ActionPrefix.CopyTo(wire);
        var written = PolicyReplyTexts.ActionPrefix.Length + Encoding.UTF8.GetBytes(line, wire.AsSpan(PolicyReplyTexts.ActionPrefix.Length));
        PolicyReplyTexts.Terminator.CopyTo(wire.AsSpan(written));
        return new PolicyReply(wire);
    }

    public override string ToString() => Encoding.UTF8.GetString(Wire.Span).TrimEnd('\n');
}
