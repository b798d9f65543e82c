namespace Floodgate.Protocols.Milter;

/// <summary>The fixed milter replies, framed and ready to send.</summary>
internal static class MilterReplyTexts
{
    public static ReadOnlySpan<byte> Continue => [0, 0, 0, 1, (byte)'c'];

    public static ReadOnlySpan<byte> Accept => [0, 0, 0, 1, (byte)'a'];

    public static ReadOnlySpan<byte> Tempfail => [0, 0, 0, 1, (byte)'t'];

    public static ReadOnlySpan<byte> Reject => [0, 0, 0, 1, (byte)'r'];

    public static ReadOnlySpan<byte> Discard => [0, 0, 0, 1, (byte)'d'];

    public static ReadOnlySpan<byte> Progress => [0, 0, 0, 1, (byte)'p'];

    // RFC 3463 5.3.4: message too big for system. Permanent: the same message will never fit.
    public static ReadOnlySpan<byte> MessageTooBig => "552 5.3.4 Message size exceeds the limit of this service"u8;

    public static ReadOnlySpan<byte> ServiceUnavailable => "451 4.3.0 Service temporarily unavailable"u8;
}
