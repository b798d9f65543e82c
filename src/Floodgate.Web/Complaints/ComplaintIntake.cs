using Floodgate.Core.Bounces;
using Floodgate.Core.Complaints;
using Floodgate.Storage.Complaints;

namespace Floodgate.Web.Complaints;

/// <summary>
/// The complaint side of a bounce door: a report the classifier read as a complaint is attributed and
/// kept (<see cref="ComplaintStore"/>), and the detector's complaint rates are read afresh.
/// </summary>
public sealed class ComplaintIntake(ComplaintStore store, FeedbackId ids, ComplaintReputation? reputation = null)
{
    public ComplaintStore Store => store;

    /// <summary>Which mailbox sent the message a bounce returns: the same evidence as for a complaint.</summary>
    public Task<MessageAttribution> AttributeAsync(IReadOnlyList<string> feedbackIds, string? originalMessageId, CancellationToken cancellationToken = default) =>
        store.AttributeAsync(feedbackIds, originalMessageId, ids, cancellationToken);

    public async Task<ComplaintOutcome?> TakeAsync(BounceReport report, long bounceMessageId, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Kind != BounceKind.Feedback || report.Complaint is not { } facts)
            return null;
        var outcome = await store.RecordAsync(facts, ids, bounceMessageId, source, cancellationToken).ConfigureAwait(false);
        if (outcome.MailboxId is not null && reputation is not null)
            await reputation.RefreshAsync(cancellationToken).ConfigureAwait(false);
        return outcome;
    }
}
