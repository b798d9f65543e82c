using System.Diagnostics;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Hosting;
using Floodgate.Storage.Transactions;

namespace Floodgate.Postfix;

/// <summary>
/// The transaction log and metrics of the Postfix front doors (FrontDoor "policy" or "milter").
/// Written in the background like the gateway's: Postfix never waits for the database.
/// </summary>
internal sealed class PostfixLog(TransactionLogWriter writer)
{
    public const string PolicyDoor = "policy";
    public const string MilterDoor = "milter";

    public void Record(string door, MailboxState mailbox, string? clientAddress, string? sender, in TransactionTally tally, long size, string? messageId, TransactionVerdict verdict, string? code, string reason, long started)
    {
        var total = Stopwatch.GetElapsedTime(started);
        var entry = TransactionRecords.For(door, mailbox, clientAddress, sender, in tally, size, messageId);
        entry.Verdict = verdict;
        entry.VerdictCode = code;
        entry.VerdictReason = reason;
        entry.PolicyMicros = (long)total.TotalMicroseconds;
        entry.TotalMicros = (long)total.TotalMicroseconds;
        TransactionRecords.Enqueue(writer, entry);

        FloodgateMetrics.Messages.WithLabels(door, OutcomeName(verdict), reason).Inc();
        if (verdict == TransactionVerdict.Accepted)
        {
            FloodgateMetrics.Recipients.WithLabels(door, "external").Inc(tally.External);
            FloodgateMetrics.Recipients.WithLabels(door, "internal").Inc(tally.Internal);
        }
    }

    public static void Refused(string door, string reason) => FloodgateMetrics.Refusals.WithLabels(door, reason).Inc();

    public static string Code(in Verdict verdict) =>
        verdict.Code.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + verdict.EnhancedCode;

    private static string OutcomeName(TransactionVerdict verdict) => verdict switch
    {
        TransactionVerdict.Accepted => "relayed",
        TransactionVerdict.Held => "held",
        TransactionVerdict.Deferred => "deferred",
        _ => "rejected",
    };
}
