using Floodgate.Core.Accounts;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;

namespace Floodgate.Core.Transactions;

/// <summary>
/// How one transaction ended, raised once by <see cref="Transaction.Complete"/>: what the transaction
/// log, the detector's memory, the metrics (and later the notifications) consume.
/// </summary>
public sealed class CompletedTransaction
{
    public required DateTimeOffset At { get; init; }

    public required Door Door { get; init; }

    public required MailboxState Mailbox { get; init; }

    public string? ClientAddress { get; init; }

    public required string EnvelopeSender { get; init; }

    public int Recipients { get; init; }

    public int External { get; init; }

    public int Internal { get; init; }

    /// <summary><see cref="Transaction.RecipientsHash"/>: tells a retry to the same recipients from a new copy.</summary>
    public ulong RecipientsHash { get; init; }

    public long Size { get; init; }

    /// <summary>Without angle brackets (<see cref="MessageIds.Normalize"/>), or null.</summary>
    public string? MessageId { get; init; }

    /// <summary>Default when the door saw no content or the message had too few external recipients to be worth one.</summary>
    public ContentFingerprint Fingerprint { get; init; }

    /// <summary><see cref="Transaction.DestinationDomains"/>: comma-separated, or null.</summary>
    public string? DestinationDomains { get; init; }

    public required Outcome Outcome { get; init; }

    /// <summary>"250", "550 5.7.1", "hold": what the client or the MTA was told.</summary>
    public string? ReplyCode { get; init; }

    /// <summary>A <see cref="PolicyReasons"/> key.</summary>
    public required string Reason { get; init; }

    /// <summary>The upstream MTA's reply, when the door relayed the message itself.</summary>
    public string? UpstreamReply { get; init; }

    /// <summary>
    /// Whether this transaction counts in the windows: false for a door that only inspects content
    /// while another door counts the same message (the milter beside policy delegation).
    /// </summary>
    public bool Counted { get; init; }

    public long PolicyMicros { get; init; }

    public long RelayMicros { get; init; }

    public long TotalMicros { get; init; }
}

/// <summary>
/// Consumes completed transactions. Called on the door's thread, in the reply path: it must not
/// block or throw (queue, count, remember).
/// </summary>
public interface ITransactionObserver
{
    void Completed(CompletedTransaction transaction);
}
