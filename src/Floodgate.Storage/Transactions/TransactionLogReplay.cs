using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;

namespace Floodgate.Storage.Transactions;

/// <summary>
/// A restart rebuilds the hot state from the transaction log: the windows from the rows that counted,
/// the detector's memory from every row with a fingerprint (whatever became of the message, and
/// whichever door wrote it: the milter's inspect-only rows too), so a restart resets neither.
/// </summary>
public static class TransactionLogReplay
{
    /// <returns>How many transactions were counted in the windows.</returns>
    public static int Apply(IReadOnlyList<TransactionWindowRow> rows, PolicyEngine engine, MassMailDetector? detector, DateTimeOffset now)
    {
        var counted = 0;
        foreach (var row in rows)
        {
            if (detector is not null && row.Fingerprint is { } bytes && row.MailboxId is { } mailbox && row.ClientId is { } client
                && ContentFingerprint.TryFromBytes(bytes, out var fingerprint))
            {
                var cap = engine.Directory.TryGetMailbox(mailbox, out var state) ? state.Client.Limits.MaxRecipientsPerMessage : 200;
                detector.Remember(
                    new TrackedMessage(row.Time, row.MessageId, row.Recipients, row.ExternalRecipients, fingerprint, row.Verdict, mailbox, client)
                    {
                        Subject = row.Subject,
                        DestinationDomains = row.DestinationDomains,
                    },
                    now,
                    cap);
            }

            if (row.Verdict == Outcome.Accepted && row.Counted && row.MailboxId is { } m && row.DomainId is { } d && row.ClientId is { } c)
            {
                engine.RecordSent(m, d, c, row.ExternalRecipients, row.Recipients - row.ExternalRecipients, row.Time);
                counted++;
            }
        }

        return counted;
    }
}
