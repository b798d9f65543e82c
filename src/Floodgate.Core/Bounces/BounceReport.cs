namespace Floodgate.Core.Bounces;

public enum BounceKind
{
    /// <summary>An auto-reply, a success or delay notification, or ordinary mail.</summary>
    NotBounce,

    /// <summary>A delivery failure report; <see cref="BounceReport.Recipients"/> may still be empty when none could be recognised.</summary>
    Failure,

    /// <summary>An ARF complaint (RFC 5965).</summary>
    Feedback,
}

/// <summary>One failed recipient of a bounce, or the complainant of an ARF report.</summary>
/// <param name="Status">Enhanced status code (RFC 3463), inferred from the reason when the bounce gives none; empty for feedback.</param>
/// <param name="Diagnostic">The remote or local diagnostic text, whitespace collapsed, at most 1,000 characters.</param>
/// <param name="FeedbackType">RFC 5965 Feedback-Type (abuse, fraud, virus, other, not-spam, ...), feedback only.</param>
/// <param name="OriginalSender">The sender of the message that bounced or was complained about, when the report names it.</param>
public sealed record FailedRecipient(
    string Recipient,
    string Status,
    BounceReason Reason,
    bool Hard,
    string Diagnostic,
    string? RemoteMta,
    string? FeedbackType,
    string? OriginalSender);

/// <summary>What a message is as a bounce. <see cref="Error"/> says why the input could not be read, or why a bounce yielded no recipient.</summary>
public sealed record BounceReport(BounceKind Kind, IReadOnlyList<FailedRecipient> Recipients, string? Error)
{
    /// <summary>For a complaint (<see cref="BounceKind.Feedback"/>): what the report says about the original message.</summary>
    public ComplaintFacts? Complaint { get; init; }

    /// <summary>For a failure: the Message-ID of the message that bounced, when the bounce returns its headers.</summary>
    public string? OriginalMessageId { get; init; }

    /// <summary>For a failure: the returned headers' <c>CFBL-Feedback-ID</c> values (RFC 9477), ours or not.</summary>
    public IReadOnlyList<string> OriginalFeedbackIds { get; init; } = [];

    public static BounceReport NotBounce { get; } = new(BounceKind.NotBounce, [], null);

    public static BounceReport Malformed(string error) => new(BounceKind.NotBounce, [], error);
}
