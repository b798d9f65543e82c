namespace Floodgate.Core.Bounces;

/// <summary>
/// Whether one refusal of a recipient says the address does not exist (a guessed or harvested
/// address), which is what the invalid-recipients signal counts. Only permanent refusals: a 4xx may
/// succeed later and says nothing about the address. Only unknown users: a policy refusal (X.7.x) is
/// about the sender, a full mailbox (X.2.2) about a real person, and neither is a sign of a stolen list.
/// </summary>
public static class UnknownRecipient
{
    /// <param name="replyCode">The SMTP reply code (RFC 5321 4.2), or 0 when the report gives none.</param>
    /// <param name="status">The enhanced status code (RFC 3463), or empty.</param>
    /// <param name="text">The diagnostic text, or empty.</param>
    public static bool Is(int replyCode, ReadOnlySpan<char> status, ReadOnlySpan<char> text)
    {
        if (status.IsEmpty)
        {
            status = Diagnostics.EnhancedStatus(text);
        }

        var hasStatus = ReasonTable.TrySplit(status, out var cls, out var subject, out _);
        if (replyCode is >= 400 and < 500 || (hasStatus && cls != 5) || (replyCode == 0 && !hasStatus))
        {
            return false;
        }

        // RFC 3463 3.8: X.7.x is a security or policy refusal, whatever words come with it.
        if (hasStatus && subject == 7)
        {
            return false;
        }

        // The text decides first ("5.1.1 too many recipients this hour" is a rate limit), then the code.
        return ReasonTable.Classify(text, status, replyCode) == BounceReason.UserUnknown;
    }

    /// <summary>A failed recipient of a bounce: hard, "user unknown", permanent, not a policy code.</summary>
    public static bool Is(FailedRecipient recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        return recipient.Hard && recipient.Reason == BounceReason.UserUnknown
            && ReasonTable.TrySplit(recipient.Status, out var cls, out var subject, out _) && cls == 5 && subject != 7;
    }

    /// <summary>The same for one reply line as the upstream sent it: "550 5.1.1 &lt;a@b&gt;: User unknown".</summary>
    public static bool IsReply(int replyCode, ReadOnlySpan<char> text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.Length >= 4 && char.IsAsciiDigit(trimmed[0]) && char.IsAsciiDigit(trimmed[1]) && char.IsAsciiDigit(trimmed[2]) && trimmed[3] is ' ' or '-')
        {
            trimmed = trimmed[4..].TrimStart();
        }

        var space = trimmed.IndexOf(' ');
        var first = space < 0 ? trimmed : trimmed[..space];
        var status = ReasonTable.TrySplit(first, out _, out _, out _) ? first : [];
        return Is(replyCode, status, status.IsEmpty ? trimmed : trimmed[first.Length..].TrimStart());
    }
}
