namespace Floodgate.Storage.Audit;

/// <summary>One change to durable state: who did what to which record. Written in the change's own transaction.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTimeOffset Time { get; set; }

    /// <summary>"cli:root", "operator:alice", "enforcement", "api-key:12".</summary>
    public required string Actor { get; set; }

    /// <summary>Dotted verb: "client.add", "mailbox.status", "plan.assign".</summary>
    public required string Action { get; set; }

    /// <summary>"client", "domain", "mailbox", "plan".</summary>
    public required string TargetKind { get; set; }

    public int? TargetId { get; set; }

    /// <summary>Where from: the client address of a web request, "cli", or null for the server's own work.</summary>
    public string? Origin { get; set; }

    /// <summary>A JSON object with what changed; never a password or hash.</summary>
    public string? Details { get; set; }
}
