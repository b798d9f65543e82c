using System.Text;

namespace Floodgate.Protocols.Milter;

public enum MilterDecisionKind : byte
{
    /// <summary>Go on with the next step (at end of message: accept).</summary>
    Continue,

    /// <summary>Accept the message; the milter sees no more of it.</summary>
    Accept,

    /// <summary>Temporary failure with the MTA's default text (for RCPT: this recipient only).</summary>
    Tempfail,

    /// <summary>Reject with the MTA's default text (for RCPT: this recipient only).</summary>
    Reject,

    /// <summary>Accept and silently drop the message.</summary>
    Discard,

    /// <summary>A 4xx or 5xx reply with our text (SMFIR_REPLYCODE).</summary>
    ReplyCode,

    /// <summary>Accept into the hold queue (Postfix: HOLD) with a reason; only at end of message.</summary>
    Quarantine,
}

/// <summary>What the milter answers at one step. Decisions with text are encoded once; cache them.</summary>
public readonly struct MilterDecision
{
    private MilterDecision(MilterDecisionKind kind, ReadOnlyMemory<byte> text)
    {
        Kind = kind;
        Text = text;
    }

    public MilterDecisionKind Kind { get; }

    /// <summary>UTF-8, without NUL: "550 5.7.1 text" for <see cref="MilterDecisionKind.ReplyCode"/>, the reason for quarantine.</summary>
    public ReadOnlyMemory<byte> Text { get; }

    public static MilterDecision Continue => default;

    public static MilterDecision Accept => new(MilterDecisionKind.Accept, default);

    public static MilterDecision Tempfail => new(MilterDecisionKind.Tempfail, default);

    public static MilterDecision Reject => new(MilterDecisionKind.Reject, default);

    public static MilterDecision Discard => new(MilterDecisionKind.Discard, default);

    /// <summary>e.g. <c>ReplyCode(452, "4.5.3", "Too many recipients")</c>. The enhanced status class must match the code.</summary>
    public static MilterDecision ReplyCode(int code, string enhancedStatus, string text)
    {
        if (code is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "A milter reply code is 4xx or 5xx.");
        }

        if (enhancedStatus.Length < 5 || enhancedStatus[0] - '0' != code / 100 || enhancedStatus[1] != '.')
        {
            throw new ArgumentException($"Enhanced status '{enhancedStatus}' does not match reply code {code}.", nameof(enhancedStatus));
        }

        return new(MilterDecisionKind.ReplyCode, Encode(code.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + enhancedStatus + " " + text));
    }

    public static MilterDecision Quarantine(string reason) => new(MilterDecisionKind.Quarantine, Encode(reason));

    internal static MilterDecision FromReplyText(ReadOnlySpan<byte> text) => new(MilterDecisionKind.ReplyCode, text.ToArray());

    // NUL would end the string early; CR/LF would split the SMTP reply; '%' is a format character
    // for libmilter-style MTAs (Sendmail) and is refused by smfi_setreply.
    private static byte[] Encode(string text) =>
        Encoding.UTF8.GetBytes(text.Replace('\0', ' ').Replace('\r', ' ').Replace('\n', ' ').Replace('%', ' '));

    public override string ToString() => Text.IsEmpty ? Kind.ToString() : Kind + " " + Encoding.UTF8.GetString(Text.Span);
}
