using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;

namespace Floodgate.Storage.Enforcement;

/// <summary>
/// One offense: what the detector (or an operator) found, the ladder step it took, and the evidence,
/// kept as JSON because it is read whole and never queried inside.
/// </summary>
public sealed class OffenseRecord
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public int ClientId { get; set; }

    public int DomainId { get; set; }

    public int MailboxId { get; set; }

    public required string MailboxAddress { get; set; }

    public LadderStep Step { get; set; }

    public double Score { get; set; }

    /// <summary>"detector" or "operator".</summary>
    public required string Source { get; set; }

    public required string Reason { get; set; }

    /// <summary>JSON array of <see cref="Floodgate.Core.Detection.Signal"/>.</summary>
    public required string SignalsJson { get; set; }

    /// <summary>JSON array of <see cref="Floodgate.Core.Detection.EvidenceMessage"/>, including the message that decided.</summary>
    public required string EvidenceJson { get; set; }

    /// <summary>Set in the same transaction as the offense; null only in between.</summary>
    public long? IncidentId { get; set; }

    /// <summary>The engine's key for the offense (<see cref="Floodgate.Core.Enforcement.Offense.Key"/>): recording it twice (a journal replayed after a crash) writes it once.</summary>
    public Guid? Key { get; set; }
}

/// <summary>A mailbox, domain or client taken off the network, and when and why it came back.</summary>
public sealed class SuspensionRecord
{
    public long Id { get; set; }

    public AccountScope Scope { get; set; }

    public int TargetId { get; set; }

    /// <summary>The address or name at the time, so the record reads without a join.</summary>
    public required string TargetName { get; set; }

    /// <summary>Suspended, or Terminated for the third offense.</summary>
    public AccountStatus Status { get; set; }

    public required string Reason { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public required string StartedBy { get; set; }

    public DateTimeOffset? LiftedAt { get; set; }

    public string? LiftedBy { get; set; }

    public string? LiftReason { get; set; }

    /// <summary>Null for a suspension an operator made by hand.</summary>
    public long? OffenseId { get; set; }

    public bool IsActive => LiftedAt is null;
}

/// <summary>The human side of one offense: contact, the client's report, review, reinstatement.</summary>
public sealed class IncidentRecord
{
    public long Id { get; set; }

    public int ClientId { get; set; }

    public long OffenseId { get; set; }

    public LadderStep Step { get; set; }

    public IncidentState State { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    public string? ClosedBy { get; set; }

    public string? CloseNote { get; set; }

    public string? ReportMechanism { get; set; }

    public string? ReportStepsTaken { get; set; }

    public string? ReportClientPolicy { get; set; }

    public DateTimeOffset? ReportSubmittedAt { get; set; }

    public string? ReportSubmittedBy { get; set; }

    /// <summary>The last review's note (a return says what is missing); earlier reviews are in the audit log.</summary>
    public string? ReviewNote { get; set; }

    public DateTimeOffset? ReviewedAt { get; set; }

    public string? ReviewedBy { get; set; }

    public DateTimeOffset? ReinstatedAt { get; set; }

    public string? ReinstatedBy { get; set; }

    /// <summary>Still needs work: neither reinstated nor closed.</summary>
    public bool IsOpen => State is not (IncidentState.Reinstated or IncidentState.Closed);

    public IncidentReport? Report => ReportSubmittedAt is null
        ? null
        : new IncidentReport(ReportMechanism ?? "", ReportStepsTaken ?? "", ReportClientPolicy ?? "");
}

/// <summary>
/// The call to the client's primary contact, due within the SLA of the suspension. The contact is
/// copied at creation: the task says whom to call even if the client's record changes later.
/// </summary>
public sealed class ContactTaskRecord
{
    public long Id { get; set; }

    public long IncidentId { get; set; }

    public int ClientId { get; set; }

    public required string ContactName { get; set; }

    public required string ContactPhone { get; set; }

    public required string ContactEmail { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset DueAt { get; set; }

    /// <summary>Set by the call that reached the contact or left a message.</summary>
    public DateTimeOffset? DoneAt { get; set; }

    public ContactOutcome? Outcome { get; set; }

    public string? Notes { get; set; }

    public string? DoneBy { get; set; }

    public List<ContactAttempt> Attempts { get; set; } = [];
}

/// <summary>One call. No answer or a wrong number leaves the task open (and overdue once past due).</summary>
public sealed class ContactAttempt
{
    public long Id { get; set; }

    public long ContactTaskId { get; set; }

    public DateTimeOffset At { get; set; }

    public ContactOutcome Outcome { get; set; }

    public string? Notes { get; set; }

    public required string By { get; set; }
}
