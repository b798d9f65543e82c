using System.Diagnostics;
using Floodgate.Hosting;
using Floodgate.Protocols.Smtp;
using Floodgate.Storage.Transactions;

namespace Floodgate.Gateway;

/// <summary>
/// Writes the gateway's transactions to the transaction log (batched in the background: the
/// session never waits for the database) and counts them in the metrics.
/// </summary>
internal sealed class GatewayLog(TransactionLogWriter writer)
{
    private const string Door = "gateway";

    public TransactionLogWriter Writer => writer;

    /// <returns>The reply, so callers can log and answer in one expression.</returns>
    public SmtpReply Record(GatewayRecord record, string? upstream, SmtpReply reply, string reason, string outcome, long started, long relayMicros, byte[]? fingerprint = null)
    {
        var total = Stopwatch.GetElapsedTime(started);
        var verdict = outcome switch
        {
            "relayed" => TransactionVerdict.Accepted,
            "held" => TransactionVerdict.Held,
            _ => reply.IsTransient ? TransactionVerdict.Deferred : TransactionVerdict.Rejected,
        };
        var mailbox = record.Mailbox;
        var entry = new TransactionRecord
        {
            Time = DateTimeOffset.UtcNow,
            MailboxId = mailbox.Id,
            MailboxAddress = mailbox.Address,
            DomainId = mailbox.Domain.Id,
            ClientId = mailbox.Client.Id,
            ClientAddress = record.ClientAddress,
            FrontDoor = Door,
            EnvelopeSender = record.Sender,
            RecipientCount = record.Tally.Recipients,
            ExternalRecipientCount = record.Tally.External,
            SizeBytes = record.Size,
            MessageId = record.MessageId,
            Verdict = verdict,
            VerdictCode = ReplyCode(reply),
            VerdictReason = outcome == "relayed" ? outcome : reason == "ok" ? outcome : reason,
            UpstreamReply = upstream,
            Fingerprint = fingerprint,
            RelayMicros = relayMicros,
            PolicyMicros = (long)total.TotalMicroseconds - relayMicros,
            TotalMicros = (long)total.TotalMicroseconds,
        };
        if (!writer.TryWrite(entry))
        {
            FloodgateMetrics.TransactionLogDropped.Inc();
        }

        FloodgateMetrics.Messages.WithLabels(Door, outcome, reason).Inc();
        FloodgateMetrics.TransactionSeconds.WithLabels(Door).Observe(total.TotalSeconds);
        return reply;
    }

    private static string ReplyCode(SmtpReply reply)
    {
        var span = reply.Wire.Span;
        // "550 5.7.1 text": the code and the enhanced code, if any.
        var end = span.IndexOf((byte)' ');
        if (end < 0)
        {
            return reply.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var second = span[(end + 1)..].IndexOf((byte)' ');
        var length = second > 0 && span[end + 1] is (byte)'2' or (byte)'4' or (byte)'5' && span[end + 2] == (byte)'.' ? end + 1 + second : end;
        return System.Text.Encoding.ASCII.GetString(span[..length]);
    }
}
