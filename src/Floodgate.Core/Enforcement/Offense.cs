using Floodgate.Core.Detection;

namespace Floodgate.Core.Enforcement;

/// <summary>A mailbox an offense names: the one that sent the message that decided, and any other of the same client in the same detection.</summary>
public sealed record OffenseMailbox(int Id, int DomainId, string Address);

/// <summary>
/// One offense of one client: the ladder step it took, every mailbox of that client in the detection
/// (the first is the one whose message decided), the signals and the evidence (that client's
/// messages only: its damages are counted from them). <see cref="Key"/> makes recording it idempotent.
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
    string Reason);

/// <summary>The durable side of an offense: the suspension, the offense, the incident and the contact task.</summary>
public interface IOffenseRecorder
{
    /// <summary>Completes once the offense is durable: written to the database, or journaled to be written.</summary>
    Task RecordAsync(Offense offense, CancellationToken cancellationToken);

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
