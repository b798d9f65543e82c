using Floodgate.Core.Detection;

namespace Floodgate.Core.Enforcement;

/// <summary>A mailbox an offense names: the one that sent the message that decided, and any other of the same client in the same detection.</summary>
public sealed record OffenseMailbox(int Id, int DomainId, string Address);

/// <summary>
/// One offense of one client: the ladder step it took, every mailbox of that client in the detection
/// (the first is the one whose message decided), the signals and the evidence (that client's
/// messages only: its damages are counted from them). <see cref="Key"/> makes recording it idempotent.
/// <see cref="Step"/> is the step decided in memory; the recorder may decide another from the durable
/// history (<see cref="RecordedStep"/>). <see cref="Repeat"/>: in memory, the sender was already stopped
/// by an offense of this process within <see cref="LadderOptions.RepeatWindow"/>, so it takes no step of
/// its own and <see cref="Step"/> is that offense's. <see cref="Concern"/> rebuilds <see cref="Reason"/>
/// for another step.
/// </summary>
public sealed record Offense(
    Guid Key,
    DateTimeOffset At,
    int ClientId,
    IReadOnlyList<OffenseMailbox> Mailboxes,
    LadderStep Step,
    double Score,
    IReadOnlyList<Signal> Signals,
    IReadOnlyList<EvidenceMessage> Evidence,
    string Reason,
    bool Repeat = false,
    string? Concern = null)
{
    /// <summary>The reason a suspension carries when the offense takes <paramref name="step"/>.</summary>
    public string ReasonFor(LadderStep step) =>
        Concern is null || step == Step ? Reason : Policy.PolicyTexts.OffenseReason(Concern, At, step);
}

/// <summary>
/// The step an offense took, as recorded. <paramref name="Repeat"/>: the sender was already stopped by an
/// earlier offense within the repeat window, nothing new was suspended, and <paramref name="Step"/> is
/// that offense's. <paramref name="OffenseTimes"/>: the client's offense times in the look-back as the
/// database holds them after this one, or null when the step was kept as decided in memory (journaled).
/// </summary>
public readonly record struct RecordedStep(LadderStep Step, bool Repeat, IReadOnlyList<DateTimeOffset>? OffenseTimes)
{
    /// <summary>The step decided in memory, kept: a recorder that does not decide, or an offense journaled.</summary>
    public static RecordedStep AsDecided(Offense offense) => new(offense.Step, offense.Repeat, null);
}

/// <summary>The durable side of an offense: the suspension, the offense, the incident and the contact task.</summary>
public interface IOffenseRecorder
{
    /// <summary>
    /// Completes once the offense is durable: written to the database, or journaled to be written. A
    /// recorder over a database several processes share decides the step there, atomically per client
    /// (the answer wins over <see cref="Offense.Step"/>); a journaled one keeps the step decided in memory.
    /// </summary>
    Task<RecordedStep> RecordAsync(Offense offense, CancellationToken cancellationToken);

    /// <summary>Whether the offense is in the database, so a directory reloaded from it carries its statuses.</summary>
    bool IsStored(Guid key);
}

/// <summary>What enforcement does, for metrics: holds, offenses by ladder step, what observe-only rules would have done.</summary>
public interface IEnforcementObserver
{
    void Held(DetectionResult result);

    void OffenseRaised(LadderStep step);

    void Observed(DetectionAction action);

    /// <summary>An observe-only engine rule would have refused; <paramref name="reason"/> is the verdict's <see cref="Policy.PolicyReasons"/> key.</summary>
    void ObservedRefusal(string reason);
}
