using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Storage.Transactions;

namespace Floodgate.Hosting;

/// <summary>What every front door writes the same way to the transaction log.</summary>
internal static class TransactionRecords
{
    /// <summary>A record with the who, the envelope and the counts; the door fills in verdict and timings.</summary>
    public static TransactionRecord For(string door, MailboxState mailbox, string? clientAddress, string? sender, in TransactionTally tally, long size, string? messageId) => new()
    {
        Time = DateTimeOffset.UtcNow,
        MailboxId = mailbox.Id,
        MailboxAddress = mailbox.Address,
        DomainId = mailbox.Domain.Id,
        ClientId = mailbox.Client.Id,
        ClientAddress = clientAddress,
        FrontDoor = door,
        EnvelopeSender = sender,
        RecipientCount = tally.Recipients,
        ExternalRecipientCount = tally.External,
        SizeBytes = Math.Max(0, size),
        MessageId = messageId,
    };

    /// <summary>Hands the record to the background writer; a full queue is counted, never waited on.</summary>
    public static void Enqueue(TransactionLogWriter writer, TransactionRecord record)
    {
        if (!writer.TryWrite(record))
        {
            FloodgateMetrics.TransactionLogDropped.Inc();
        }
    }
}
