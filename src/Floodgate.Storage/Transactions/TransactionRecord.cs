using Floodgate.Core.Policy;

namespace Floodgate.Storage.Transactions;

/// <summary>
/// One row of the transaction log: metadata only (no body, no recipient addresses). Mailbox, domain
/// and client ids are kept so the rate windows can be rebuilt at start without joins.
/// </summary>
public sealed class TransactionRecord
{
    public long Id { get; set; }

    public DateTimeOffset Time { get; set; }

    public int? MailboxId { get; set; }

    public string? MailboxAddress { get; set; }

    public int? DomainId { get; set; }

    public int? ClientId { get; set; }

    /// <summary>The connecting client's IP address as text.</summary>
    public string? ClientAddress { get; set; }

    /// <summary>"smtp", "policy", "milter", "lmtp".</summary>
    public required string FrontDoor { get; set; }

    public string? EnvelopeSender { get; set; }

    public int RecipientCount { get; set; }

    /// <summary>Recipients outside the sender's own client: what blocklists see.</summary>
    public int ExternalRecipientCount { get; set; }

    /// <summary>The first few destination domains, comma-separated, of a message the detector tracks (enough external recipients); null for others.</summary>
    public string? RecipientDomains { get; set; }

    /// <summary>The subject as read, of a message the detector tracks (it has a fingerprint); null for others: one-to-one mail keeps its subject out of the log.</summary>
    public string? Subject { get; set; }

    public long SizeBytes { get; set; }

    public string? MessageId { get; set; }

    /// <summary>What became of the transaction (stored by name).</summary>
    public Outcome Verdict { get; set; }

    /// <summary>Reply code and enhanced status, e.g. "550 5.7.1".</summary>
    public string? VerdictCode { get; set; }

    public string? VerdictReason { get; set; }

    /// <summary>The upstream MTA's final reply, when the message was relayed.</summary>
    public string? UpstreamReply { get; set; }

    /// <summary>The content fingerprint of a bulk-ish message (ContentFingerprint.ToBytes), so the detector's memory survives a restart.</summary>
    public byte[]? Fingerprint { get; set; }

    /// <summary>
    /// Whether the transaction counts in the windows (rebuilt from this log at start): false for a door
    /// that only inspected content while another counted the same message (the milter beside policy
    /// delegation), whose row is kept for the detector's memory.
    /// </summary>
    public bool Counted { get; set; } = true;

    public long PolicyMicros { get; set; }

    public long RelayMicros { get; set; }

    public long TotalMicros { get; set; }
}
