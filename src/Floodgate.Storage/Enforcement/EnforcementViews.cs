using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;

namespace Floodgate.Storage.Enforcement;

/// <summary>
/// An offense to record. The caller has decided the step (an operator, a journal replayed), or, with
/// <see cref="Ladder"/>, the store decides it from the client's recorded offenses in the recording
/// transaction (the server: <see cref="Step"/> is then only memory's guess). The evidence includes the message that decided.
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

    /// <summary>
    /// Set: the store decides the step with <see cref="Floodgate.Core.Enforcement.Ladder.StepFor"/> over the client's
    /// recorded offenses, serialised per client, and a sender already stopped by an offense within
    /// <see cref="LadderOptions.RepeatWindow"/> is a repeat (<see cref="RecordedOffense.Repeat"/>).
    /// </summary>
    public LadderOptions? Ladder { get; init; }

    /// <summary>The reason for a step the store decided other than <see cref="Step"/>; null keeps <see cref="Reason"/>.</summary>
    public Func<LadderStep, string>? ReasonFor { get; init; }
}

/// <summary>What <see cref="EnforcementStore.RecordOffenseAsync"/> wrote.</summary>
/// <param name="StatusChanged">False when the target already had the status (or a stronger one): only the records were written.</param>
/// <param name="Repeat">Nothing was written: the sender was already stopped by the offense named here, within the repeat window.</param>
/// <param name="OffenseTimes">When the store decided the step: the client's offense times in the look-back, this one included.</param>
public sealed record RecordedOffense(long OffenseId, long IncidentId, long SuspensionId, long ContactTaskId, LadderStep Step, AccountScope Scope, int TargetId, bool StatusChanged,
    bool Repeat = false, IReadOnlyList<DateTimeOffset>? OffenseTimes = null);

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
