using Floodgate.Core.Bounces;
using Floodgate.Core.Detection;
using Floodgate.Core.Lists;
using Floodgate.Storage.Lists;
using Floodgate.Web.Complaints;

namespace Floodgate.Web.Lists;

/// <summary>
/// Takes in a bounce or complaint from any door (LMTP, HTTP, <c>floodgate bounce ingest</c>):
/// classifies it, checks the VERP address it came to (a genuine token names the member, and the
/// list), and records it with its effects. It is kept whatever it turns out to be, so nothing
/// received is lost. Mail the effects call for (a re-enable link) is sent by the server's loop.
/// </summary>
/// <remarks>
/// A complaint also goes to <paramref name="complaints"/>: attributed to the mailbox that sent it, for the
/// complaint rates. A bounce of a relayed message (not a list copy) that says a recipient does not exist is
/// attributed the same way and counted in <paramref name="compromise"/>: a stolen account working a
/// harvested list shows first as unknown users.
/// </remarks>
public sealed class BounceInbox(ListStore store, ListTokens tokens, TimeProvider time, ComplaintIntake? complaints = null, CompromiseWatch? compromise = null)
{
    public async Task<BounceOutcome> IngestAsync(ReadOnlyMemory<byte> raw, string source, string? envelopeRecipient, CancellationToken cancellationToken = default)
    {
        BounceReport report;
        try
        {
            BounceClassifier.TryClassify(raw.ToArray(), out report);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            report = BounceReport.Malformed("the message could not be read: " + ex.Message);
        }

        int? listId = null, memberId = null;
        if (envelopeRecipient is not null && ListAddress.TryParse(envelopeRecipient, out var address))
        {
            var list = await store.FindListAsync(address.List, cancellationToken).ConfigureAwait(false);
            listId = list?.Id;
            if (list is not null && address.Command == ListCommand.Bounce && address.Token is { } token
                && tokens.Verify(token, TokenPurpose.Bounce, time.GetUtcNow(), out var id) == TokenCheck.Valid)
            {
                var member = await store.GetMemberAsync(id, cancellationToken).ConfigureAwait(false);
                if (member?.ListId == list.Id)
                    memberId = id;
            }
        }

        var outcome = await store.RecordBounceAsync(new BounceIntake(source, envelopeRecipient, raw, report, listId, memberId), cancellationToken).ConfigureAwait(false);
        if (listId is null && compromise is not null && complaints is not null && report.Kind == BounceKind.Failure)
            await CountUnknownRecipientsAsync(report, complaints, compromise, cancellationToken).ConfigureAwait(false);
        if (complaints is not null && await complaints.TakeAsync(report, outcome.BounceMessageId, source, cancellationToken).ConfigureAwait(false) is { } complaint)
            outcome = outcome with { Complaint = complaint };
        return outcome;
    }

    private async Task CountUnknownRecipientsAsync(BounceReport report, ComplaintIntake complaints, CompromiseWatch compromise, CancellationToken cancellationToken)
    {
        var any = false;
        foreach (var r in report.Recipients)
            any |= UnknownRecipient.Is(r);
        if (!any || (report.OriginalMessageId is null && report.OriginalFeedbackIds.Count == 0))
            return;
        var attribution = await complaints.AttributeAsync(report.OriginalFeedbackIds, report.OriginalMessageId, cancellationToken).ConfigureAwait(false);
        if (attribution.MailboxId is not { } mailboxId)
            return;
        var now = time.GetUtcNow();
        foreach (var r in report.Recipients)
        {
            if (UnknownRecipient.Is(r))
                compromise.RecipientRefused(mailboxId, r.Recipient, RefusalSource.Bounce, now);
        }
    }
}
