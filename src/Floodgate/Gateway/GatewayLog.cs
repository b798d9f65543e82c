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

    // WithLabels looks the child up by a fresh label array each call: the per-message ones are kept.
    private static readonly Prometheus.Counter.Child RelayedMessages = FloodgateMetrics.Messages.WithLabels(Door, "relayed", Core.Policy.PolicyReasons.Ok);
    private static readonly Prometheus.Histogram.Child TransactionSeconds = FloodgateMetrics.TransactionSeconds.WithLabels(Door);

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
        var tally = record.Tally;
        var entry = TransactionRecords.For(Door, record.Mailbox, record.ClientAddress, record.Sender, in tally, record.Size, record.MessageId);
        entry.Verdict = verdict;
        entry.VerdictCode = ReplyCode(reply);
        entry.VerdictReason = outcome == "relayed" ? outcome : reason == "ok" ? outcome : reason;
        entry.UpstreamReply = upstream;
        entry.Fingerprint = fingerprint;
        entry.RelayMicros = relayMicros;
        entry.PolicyMicros = (long)total.TotalMicroseconds - relayMicros;
        entry.TotalMicros = (long)total.TotalMicroseconds;
        TransactionRecords.Enqueue(writer, entry);

        (outcome == "relayed" && reason == Core.Policy.PolicyReasons.Ok ? RelayedMessages : FloodgateMetrics.Messages.WithLabels(Door, outcome, reason)).Inc();
        TransactionSeconds.Observe(total.TotalSeconds);
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
