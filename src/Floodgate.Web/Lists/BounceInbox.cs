using Floodgate.Core.Bounces;
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
/// <remarks>A complaint also goes to <paramref name="complaints"/>: attributed to the mailbox that sent it, for the complaint rates.</remarks>
public sealed class BounceInbox(ListStore store, ListTokens tokens, TimeProvider time, ComplaintIntake? complaints = null)
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
        if (complaints is not null && await complaints.TakeAsync(report, outcome.BounceMessageId, source, cancellationToken).ConfigureAwait(false) is { } complaint)
            outcome = outcome with { Complaint = complaint };
        return outcome;
    }
}
