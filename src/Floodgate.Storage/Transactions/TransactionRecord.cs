namespace Floodgate.Storage.Transactions;

/// <summary>What became of one transaction.</summary>
public enum TransactionVerdict
{
    /// <summary>Accepted and handed on (relayed upstream or written to the outbox).</summary>
    Accepted = 0,

    /// <summary>4xx: the sender's MTA retries.</summary>
    Deferred = 1,

    /// <summary>5xx.</summary>
    Rejected = 2,

    /// <summary>Accepted but held for review.</summary>
    Held = 3,
}

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

    /// <summary>The first few recipient domains, comma-separated; optional.</summary>
    public string? RecipientDomains { get; set; }

    public long SizeBytes { get; set; }

    public string? MessageId { get; set; }

    public TransactionVerdict Verdict { get; set; }

    /// <summary>Reply code and enhanced status, e.g. "550 5.7.1".</summary>
    public string? VerdictCode { get; set; }

    public string? VerdictReason { get; set; }

    /// <summary>The upstream MTA's final reply, when the message was relayed.</summary>
    public string? UpstreamReply { get; set; }

    /// <summary>The content fingerprint of a bulk-ish message (ContentFingerprint.ToBytes), so the detector's memory survives a restart.</summary>
    public byte[]? Fingerprint { get; set; }

    public long PolicyMicros { get; set; }

    public long RelayMicros { get; set; }

    public long TotalMicros { get; set; }
}
