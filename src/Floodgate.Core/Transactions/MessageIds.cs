using System.Text;

namespace Floodgate.Core.Transactions;

/// <summary>One form of a Message-ID for every door: the id without angle brackets, as MimeKit gives it.</summary>
public static class MessageIds
{
    /// <summary>The first msg-id of a Message-ID field value (RFC 5322 3.6.4), or null when there is none.</summary>
    public static string? Normalize(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : MimeKit.Utils.MimeUtils.ParseMessageId(value) is { Length: > 0 } id ? id : null;

    /// <summary>The same, from the raw bytes of the field value (folding included), decoded as Latin-1 so no byte is lost.</summary>
    public static string? Normalize(ReadOnlySpan<byte> value) => value.IsEmpty ? null : Normalize(Encoding.Latin1.GetString(value));
}
