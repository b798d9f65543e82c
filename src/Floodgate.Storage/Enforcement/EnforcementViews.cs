using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;

namespace Floodgate.Storage.Enforcement;

/// <summary>
/// An offense to record. The caller has decided the step (the server does, in memory, with
/// <see cref="Ladder.StepFor"/> at SMTP time); the store applies it. The evidence includes the message that decided.
/// <paramref name="OtherMailboxes"/>: further mailboxes of the same client in the same detection (one
/// offense, one step: each such mailbox, or each of their domains, is suspended with it).
/// <paramref name="Key"/>: the engine's key; an offense with a key already recorded is not recorded again.
/// </summary>
public sealed record NewOffense(
    DateTimeOffset At,
    int ClientId,
    int DomainId,
    int MailboxId,
    string MailboxAddress,
    LadderStep Step,
    double Score,
    string Source,
    IReadOnlyList<Signal> Signals,
    IReadOnlyList<EvidenceMessage> Evidence,
    string Reason,
    IReadOnlyList<OffenseMailbox>? OtherMailboxes = null,
    Guid? Key = null)
{
    public const string Detector = "detector";
    public const string Operator = "operator";
}

/// <summary>What <see cref="EnforcementStore.RecordOffenseAsync"/> wrote.</summary>
/// <param name="StatusChanged">False when the target already had the status (or a stronger one): only the records were written.</param>
public sealed record RecordedOffense(long OffenseId, long IncidentId, long SuspensionId, long ContactTaskId, LadderStep Step, AccountScope Scope, int TargetId, bool StatusChanged);

/// <summary>A filter for <see cref="EnforcementStore.ListIncidentsAsync"/>; null means any.</summary>
/// <param name="OpenOnly">Neither reinstated nor closed.</param>
/// <param name="Before">Only incidents with a smaller id: the cursor of the next page (newest first).</param>
public sealed record IncidentQuery(IncidentState? State = null, int? ClientId = null, bool OpenOnly = false, int Limit = 200, long? Before = null);

public sealed record IncidentSummary(
    long Id,
    int ClientId,
    string ClientName,
    string MailboxAddress,
    LadderStep Step,
    IncidentState State,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ClosedAt,
    bool ContactOverdue);

/// <summary>An offense with its signals and evidence parsed.</summary>
public sealed record OffenseDetail(
    long Id,
    DateTimeOffset At,
    int ClientId,
    int DomainId,
    int MailboxId,
    string MailboxAddress,
    LadderStep Step,
    double Score,
    string Source,
    string Reason,
    IReadOnlyList<Signal> Signals,
    IReadOnlyList<EvidenceMessage> Evidence);

public sealed record ContactTaskView(
    long Id,
    long IncidentId,
    int ClientId,
    string ClientName,
    string ContactName,
    string ContactPhone,
    string ContactEmail,
    DateTimeOffset OpenedAt,
    DateTimeOffset DueAt,
    DateTimeOffset? DoneAt,
    ContactOutcome? Outcome,
    string? Notes,
    string? DoneBy,
    bool IsOverdue,
    IReadOnlyList<ContactAttempt> Attempts);

/// <summary>One line of an incident's history.</summary>
public sealed record TimelineEntry(DateTimeOffset At, string What, string? Actor);

public sealed record IncidentDetail(
    IncidentRecord Incident,
    string ClientName,
    OffenseDetail Offense,
    IReadOnlyList<SuspensionRecord> Suspensions,
    IReadOnlyList<ContactTaskView> ContactTasks,
    IReadOnlyList<TimelineEntry> Timeline);

/// <summary>What a manual suspension or lift did.</summary>
public sealed record SuspensionChange(long SuspensionId, AccountScope Scope, int TargetId, string TargetName, AccountStatus From, AccountStatus To);
