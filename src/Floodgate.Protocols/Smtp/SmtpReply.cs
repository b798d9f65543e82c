using System.Text;

namespace Floodgate.Protocols.Smtp;

/// <summary>
/// One complete SMTP reply as it goes on the wire (all lines, CRLF-terminated).
/// Kept as bytes so the hot path writes it without encoding.
/// </summary>
public readonly struct SmtpReply
{
    public SmtpReply(int code, ReadOnlyMemory<byte> wire)
    {
        Code = code;
        Wire = wire;
    }

    public int Code { get; }

    public ReadOnlyMemory<byte> Wire { get; }

    public bool IsPositive => Code is >= 200 and < 400;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code >= 500;

    /// <summary>Builds a reply from its parts; multi-line texts get the RFC 5321 4.2.1 continuation form.</summary>
    public static SmtpReply Create(int code, string? enhancedCode, string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            lines = [string.Empty];
        }

        for (var i = 0; i < lines.Length; i++)
        {
            sb.Append(code).Append(i == lines.Length - 1 ? ' ' : '-');
            if (enhancedCode is not null)
            {
                sb.Append(enhancedCode).Append(' ');
            }

            sb.Append(Sanitize(lines[i])).Append("\r\n");
        }

        return new SmtpReply(code, Encoding.UTF8.GetBytes(sb.ToString()));
    }

    public static SmtpReply FromWire(int code, ReadOnlySpan<byte> wire) => new(code, wire.ToArray());

    public override string ToString() => Encoding.UTF8.GetString(Wire.Span).TrimEnd();

    // A reply line must not carry CR or LF of its own (RFC 5321 4.2).
    private static string Sanitize(string line) => line.Replace('\r', ' ');
}
