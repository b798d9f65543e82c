using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;

namespace Floodgate.Core.Detection;

/// <summary>One signal that fired, with its score and the words that explain it.</summary>
public sealed record Signal(string Rule, double Score, RuleMode Mode, string Explanation);

/// <summary>A remembered message of a mailbox (its evidence if a run is found). <c>RecipientsHash</c>: <see cref="Transactions.Transaction.RecipientsHash"/>, 0 when unknown (rebuilt from the log).</summary>
public sealed record TrackedMessage(
    DateTimeOffset At,
    string? MessageId,
    int Recipients,
    int External,
    ContentFingerprint Fingerprint,
    Outcome Outcome,
    int MailboxId,
    int ClientId,
    ulong RecipientsHash = 0)
{
    /// <summary>The subject as read (<see cref="Fingerprinting.ContentFingerprint.Subject"/>), or null.</summary>
    public string? Subject { get; init; }

    /// <summary>Destination domains, comma-separated (<see cref="Transactions.Transaction.DestinationDomains"/>), or null.</summary>
    public string? DestinationDomains { get; init; }
}

/// <summary>A message in the evidence, with its similarity to the message that decided.</summary>
public sealed record EvidenceMessage(DateTimeOffset At, string? MessageId, int Recipients, int External, double Similarity, Outcome Outcome, int MailboxId)
{
    /// <summary>How it matched when not by similarity: "contains 9 anchors of the same text", "the same link domain".</summary>
    public string? Match { get; init; }

    /// <summary>The subject as read, or null when unknown (a message remembered from before subjects were logged).</summary>
    public string? Subject { get; init; }

    /// <summary>Destination domains, comma-separated, or null.</summary>
    public string? DestinationDomains { get; init; }
}

public enum DetectionAction
{
    Allow,
    Hold,
    Offense,
}

/// <summary>What the detector decided about one message and why.</summary>
public sealed record DetectionResult(
    DetectionAction Action,
    double Score,
    IReadOnlyList<Signal> Signals,
    IReadOnlyList<EvidenceMessage> Evidence,
    IReadOnlyList<int> CampaignMailboxIds,
    DetectionAction ObservedAction)
{
    public static readonly DetectionResult Allowed = new(DetectionAction.Allow, 0, [], [], [], DetectionAction.Allow);

    /// <summary>The message that was judged (held or refused when the result acts on it).</summary>
    public EvidenceMessage? Current { get; init; }
}

/// <summary>
/// The detector's memory shared by several nodes: what the others completed reaches this node's
/// memory, so a run spread over the nodes is one run. The default is none (one node).
/// </summary>
public interface ISharedDetectorMemory
{
    /// <summary>Brings this node's memory up to what the other nodes have completed: before a fingerprinted message is judged.</summary>
    ValueTask CatchUpAsync(CancellationToken cancellationToken);
}
