using Floodgate.Core.Transactions;

namespace Floodgate.Storage.Transactions;

/// <summary>
/// The transaction log's side of a completed transaction: every door's transactions, in one form,
/// handed to the background writer (the door never waits for the database). A content-only
/// transaction that was let through is written only when it carries a fingerprint: it is there for
/// the detector's memory, the counting door wrote its own row.
/// </summary>
public sealed class TransactionLogObserver(TransactionLogWriter writer) : ITransactionObserver
{
    public void Completed(CompletedTransaction t)
    {
        if (!t.Counted && t.Outcome == Core.Policy.Outcome.Accepted && t.Fingerprint.IsDefault)
        {
            return;
        }

        var m = t.Mailbox;
        writer.TryWrite(new TransactionRecord
        {
            Time = t.At,
            MailboxId = m.Id,
            MailboxAddress = m.Address,
            DomainId = m.Domain.Id,
            ClientId = m.Client.Id,
            ClientAddress = t.ClientAddress,
            FrontDoor = DoorNames.Name(t.Door),
            EnvelopeSender = t.EnvelopeSender,
            RecipientCount = t.Recipients,
            ExternalRecipientCount = t.External,
            SizeBytes = Math.Max(0, t.Size),
            MessageId = t.MessageId,
            Verdict = t.Outcome,
            VerdictCode = t.ReplyCode,
            VerdictReason = t.Reason,
            UpstreamReply = t.UpstreamReply,
            Fingerprint = t.Fingerprint.IsDefault ? null : t.Fingerprint.ToBytes(),
            Subject = t.Fingerprint.Subject,
            RecipientDomains = t.DestinationDomains,
            Counted = t.Counted,
            PolicyMicros = t.PolicyMicros,
            RelayMicros = t.RelayMicros,
            TotalMicros = t.TotalMicros,
        });
    }
}
