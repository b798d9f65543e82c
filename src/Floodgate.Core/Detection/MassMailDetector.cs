using System.Collections.Concurrent;
using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Detection;

/// <summary>Where holds and offenses go: the enforcement side (ladder, suspension, incident).</summary>
public interface IEnforcementSink
{
    /// <summary>
    /// An offense: apply the ladder and return the verdict for the message that raised it, once the
    /// suspension, the incident and the contact task are durable.
    /// </summary>
    ValueTask<Verdict> RaiseOffenseAsync(MailboxState mailbox, DetectionResult result, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>A message was held: alert the abuse desk.</summary>
    void Held(MailboxState mailbox, DetectionResult result, DateTimeOffset now);

    /// <summary>A rule in observe mode would have acted: log it for the roll-out.</summary>
    void Observed(MailboxState mailbox, DetectionResult result, DateTimeOffset now);
}

/// <summary>Bounce and complaint rates, fed by later parts (list hygiene, feedback loops).</summary>
public interface IReputationSource
{
    /// <summary>An extra score and its explanation, or null when nothing is known.</summary>
    Signal? Assess(MailboxState mailbox, DateTimeOffset now);
}

public sealed class NoReputation : IReputationSource
{
    public static readonly NoReputation Instance = new();

    public Signal? Assess(MailboxState mailbox, DateTimeOffset now) => null;
}

/// <summary>
/// The mass-mail profile detector: explainable signals per mailbox, each adding to a score with
/// its evidence; thresholds decide allow, hold or offense.
/// <list type="bullet">
/// <item>repeat: the same e-mail again within the repeat window, each time to most of the cap (the policy's example);</item>
/// <item>volume: the external recipients of one content over the volume window, so a run split
/// under the cap or spread under the rate windows is still seen;</item>
/// <item>baseline: the last hour far above the mailbox's usual hour (weak alone);</item>
/// <item>campaign: the same content from several mailboxes of several clients (compromised accounts);</item>
/// <item>reputation: bounces and complaints, from <see cref="IReputationSource"/>.</item>
/// </list>
/// The two content signals measure one thing twice, so the larger counts, not their sum.
/// <see cref="Evaluate"/> judges; the engine acts on the result; <see cref="Completed"/> is the memory,
/// fed by every door's completed transactions.
/// </summary>
public sealed class MassMailDetector : ITransactionObserver
{
    private readonly DetectionOptions _options;
    private readonly IReputationSource _reputation;
    private readonly ConcurrentDictionary<int, MailboxProfile> _profiles = new();
    private readonly CampaignIndex _campaigns = new();

    public MassMailDetector(DetectionOptions options, IReputationSource? reputation = null)
    {
        _options = options;
        _reputation = reputation ?? NoReputation.Instance;
    }

    public DetectionOptions Options => _options;

    public int ProfileCount => _profiles.Count;

    /// <summary>The detector's memory: every door's completed transactions.</summary>
    public void Completed(CompletedTransaction transaction)
    {
        if (transaction.Counted && transaction.Outcome == Outcome.Accepted && transaction.External > 0)
        {
            var p = _profiles.GetOrAdd(transaction.Mailbox.Id, static (_, history) => new MailboxProfile(history), _options.HistoryPerMailbox);
            lock (p.Sync)
            {
                p.CountRelayed(transaction.External, transaction.At);
            }
        }

        if (transaction.Fingerprint.IsDefault || transaction.External < _options.MinTrackedRecipients)
        {
            return;
        }

        var m = transaction.Mailbox;
        Remember(new TrackedMessage(transaction.At, transaction.MessageId, transaction.Recipients, transaction.External, transaction.Fingerprint, transaction.Outcome, m.Id, m.Client.Id, transaction.RecipientsHash), transaction.At);
    }

    /// <summary>Adds a message from the transaction log at start (the detector's memory survives a restart).</summary>
    public void Remember(TrackedMessage message, DateTimeOffset now)
    {
        var p = _profiles.GetOrAdd(message.MailboxId, static (_, history) => new MailboxProfile(history), _options.HistoryPerMailbox);
        lock (p.Sync)
        {
            p.Remember(message);
        }

        if (message.External >= _options.CampaignMinRecipients)
        {
            _campaigns.Add(message, now, _options.CampaignWindow);
        }
    }

    /// <summary>The remembered messages of a mailbox and its usual hour, for `floodgate explain`.</summary>
    public (IReadOnlyList<TrackedMessage> Recent, double UsualHour) Describe(int mailboxId, DateTimeOffset now)
    {
        if (!_profiles.TryGetValue(mailboxId, out var p))
        {
            return ([], 0);
        }

        lock (p.Sync)
        {
            return (p.Recent(now, _options.VolumeWindow).ToList(), p.UsualHour);
        }
    }

    /// <summary>Scores one message against the mailbox's memory. Pure: remembers nothing.</summary>
    public DetectionResult Evaluate(MailboxState mailbox, in TransactionTally tally, MessageFacts message, DateTimeOffset now)
    {
        var o = _options;
        var cap = mailbox.Client.Limits.MaxRecipientsPerMessage;
        var nearCap = Math.Max(1, (int)Math.Ceiling(cap * o.NearCapFraction));
        var fingerprint = message.Fingerprint;
        var signals = new List<Signal>(4);
        var evidence = new List<EvidenceMessage>();

        int repeats = 0, priorHolds = 0;
        var similarExternal = tally.External;
        var window = o.VolumeWindow > o.RepeatWindow ? o.VolumeWindow : o.RepeatWindow;
        if (_profiles.TryGetValue(mailbox.Id, out var profile))
        {
            lock (profile.Sync)
            {
                foreach (var m in profile.Recent(now, window))
                {
                    // A retry of a message that did not go out is not a new copy; a relayed copy
                    // counts whatever its Message-ID says.
                    if (MailboxProfile.IsRetryOf(message.MessageId, in fingerprint, tally.RecipientsHash, m))
                    {
                        continue;
                    }

                    var similarity = fingerprint.Similarity(m.Fingerprint);
                    if (similarity < o.SimilarityThreshold)
                    {
                        continue;
                    }

                    evidence.Add(new EvidenceMessage(m.At, m.MessageId, m.Recipients, m.External, similarity, m.Outcome, m.MailboxId));
                    var inRepeatWindow = now - m.At <= o.RepeatWindow;
                    if (inRepeatWindow && m.External >= nearCap && tally.External >= nearCap)
                    {
                        repeats++;
                    }

                    if (inRepeatWindow && m.Outcome == Outcome.Held)
                    {
                        priorHolds++;
                    }

                    if (now - m.At <= o.VolumeWindow)
                    {
                        similarExternal += m.External;
                    }
                }
            }
        }

        if (repeats > 0)
        {
            signals.Add(new Signal("repeat", repeats, o.RepeatRule, string.Create(CultureInfo.InvariantCulture,
                $"the same e-mail (similarity ≥ {o.SimilarityThreshold:0.00}) sent {repeats + 1} times within {Hours(o.RepeatWindow)}, each to at least {nearCap} external recipients (cap {cap})")));
        }

        var volumeThreshold = o.VolumeCapMultiple * cap;
        if (similarExternal >= volumeThreshold)
        {
            signals.Add(new Signal("volume", similarExternal / volumeThreshold, o.VolumeRule, string.Create(CultureInfo.InvariantCulture,
                $"{similarExternal} external recipients of the same content within {Hours(o.VolumeWindow)} (run threshold {volumeThreshold:0})")));
        }

        var lastHour = tally.MailboxExternalLastHour;
        var usual = Math.Max(profile?.UsualHour ?? 0, o.BaselineFloor);
        if (lastHour >= o.BaselineMultiple * usual)
        {
            signals.Add(new Signal("baseline", o.BaselineWeight, o.BaselineRule, string.Create(CultureInfo.InvariantCulture,
                $"{lastHour} external recipients in the last hour against a usual hour of {usual:0}")));
        }

        var campaign = new List<int>();
        if (tally.External >= o.CampaignMinRecipients)
        {
            var mailboxes = new HashSet<int> { mailbox.Id };
            var clients = new HashSet<int> { mailbox.Client.Id };
            foreach (var (m, similarity) in _campaigns.FindSimilar(fingerprint, mailbox.Id, now, o.CampaignWindow, o.SimilarityThreshold))
            {
                if (m.External < o.CampaignMinRecipients)
                {
                    continue;
                }

                if (mailboxes.Add(m.MailboxId))
                {
                    campaign.Add(m.MailboxId);
                }

                clients.Add(m.ClientId);
                evidence.Add(new EvidenceMessage(m.At, m.MessageId, m.Recipients, m.External, similarity, m.Outcome, m.MailboxId));
            }

            if (mailboxes.Count >= o.CampaignMinMailboxes && clients.Count >= o.CampaignMinClients)
            {
                signals.Add(new Signal("campaign", o.CampaignWeight, o.CampaignRule, string.Create(CultureInfo.InvariantCulture,
                    $"the same content sent by {mailboxes.Count} mailboxes of {clients.Count} clients within {Hours(o.CampaignWindow)}")));
            }
            else
            {
                campaign.Clear();
            }
        }

        if (_reputation.Assess(mailbox, now) is { } reputation)
        {
            signals.Add(reputation with { Mode = o.ReputationRule });
        }

        var enforced = Score(signals, RuleMode.Enforce);
        var observed = Score(signals, RuleMode.Observe) + enforced;
        var action = Decide(enforced, priorHolds);
        var observedAction = Decide(observed, priorHolds);
        if (action == DetectionAction.Allow && observedAction == DetectionAction.Allow)
        {
            return signals.Count == 0 ? DetectionResult.Allowed : new DetectionResult(DetectionAction.Allow, enforced, signals, evidence, [], DetectionAction.Allow);
        }

        if (priorHolds >= o.HoldsBeforeOffense && action == DetectionAction.Offense && enforced < o.OffenseScore)
        {
            signals.Add(new Signal("persistence", 0, RuleMode.Enforce, string.Create(CultureInfo.InvariantCulture,
                $"the run went on after {priorHolds} hold(s) of the same content")));
        }

        var outcome = action == DetectionAction.Hold ? Outcome.Held : action == DetectionAction.Offense ? Outcome.Rejected : Outcome.Accepted;
        return new DetectionResult(action, enforced, signals, evidence, action == DetectionAction.Offense ? campaign : [], observedAction)
        {
            Current = new EvidenceMessage(now, message.MessageId, tally.Recipients, tally.External, 1.0, outcome, mailbox.Id),
        };
    }

    private DetectionAction Decide(double score, int priorHolds)
    {
        if (score >= _options.OffenseScore)
        {
            return DetectionAction.Offense;
        }

        if (score >= _options.HoldScore)
        {
            return priorHolds >= _options.HoldsBeforeOffense ? DetectionAction.Offense : DetectionAction.Hold;
        }

        return DetectionAction.Allow;
    }

    private static double Score(List<Signal> signals, RuleMode mode)
    {
        double content = 0, other = 0;
        foreach (var s in signals)
        {
            if (s.Mode != mode)
            {
                continue;
            }

            if (s.Rule is "repeat" or "volume")
            {
                content = Math.Max(content, s.Score);
            }
            else
            {
                other += s.Score;
            }
        }

        return content + other;
    }

    private static string Hours(TimeSpan t) =>
        t.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalHours:0.#} h") : string.Create(CultureInfo.InvariantCulture, $"{t.TotalMinutes:0} min");
}
