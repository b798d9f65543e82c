using MimeKit;
using MimeKit.Utils;

namespace Floodgate.Core.Bounces;

/// <summary>
/// What an ARF report (RFC 5965) says about the complained-of message, for attribution and the
/// complaint record. <see cref="Error"/> says why the report is not a well-formed ARF report; the
/// facts that could be read are still given, but a malformed report is never attributed.
/// </summary>
/// <param name="FeedbackIds">Every <c>CFBL-Feedback-ID</c> of the original message's headers (RFC 9477), as they were; ours or not is decided later.</param>
public sealed record ComplaintFacts(
    string FeedbackType,
    string? UserAgent,
    string? ReportingMta,
    string? ReportedDomain,
    string? SourceIp,
    string? OriginalMailFrom,
    string? OriginalRecipient,
    string? OriginalMessageId,
    IReadOnlyList<string> FeedbackIds,
    string? Error)
{
    public const int MaxFeedbackIds = 8;

    /// <summary>The original message's headers: the Message-ID and trace headers the attribution reads.</summary>
    internal static (string? MessageId, List<string> FeedbackIds) FromOriginal(HeaderList? headers)
    {
        var ids = new List<string>();
        if (headers is null)
            return (null, ids);
        string? messageId = null;
        foreach (var header in headers)
        {
            if (messageId is null && header.Id == HeaderId.MessageId)
                messageId = MimeUtils.ParseMessageId(header.Value) ?? Trimmed(header.Value);
            else if (ids.Count < MaxFeedbackIds && header.Field.Equals("CFBL-Feedback-ID", StringComparison.OrdinalIgnoreCase))
                ids.Add(header.Value.Trim());
        }

        return (messageId, ids);
    }

    private static string? Trimmed(string value)
    {
        var trimmed = value.Trim().Trim('<', '>').Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }
}
