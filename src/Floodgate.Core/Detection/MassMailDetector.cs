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

    /// <summary>An engine rule in observe mode (the bulk opt-out rule) would have refused with <paramref name="verdict"/>: log and count it.</summary>
    void ObservedRefusal(MailboxState mailbox, Verdict verdict, DateTimeOffset now);
}

/// <summary>
/// What the world says back about a mailbox (bounces, complaints, signs of a stolen password), fed by the
/// parts that hear it; the detector asks every source and adds what each says to the score.
/// </summary>
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
/// <item>contained: the same, judged by the text one copy contains of another (anchors), so filler added
/// around the pitch does not dilute it;</item>
/// <item>payload: the same, judged by what a run cannot vary (a link's registrable domain, an address, a
/// phone number, an attachment), so spun wording and rotated links are one run;</item>
/// <item>volume: the external recipients of one content over the volume window, so a run split
/// under the cap or spread under the rate windows is still seen;</item>
/// <item>baseline: the last hour far above the mailbox's usual hour (weak alone);</item>
/// <item>hidden-text: hundreds of words a reader does not see (weak alone);</item>
/// <item>burst: most of the last hour's external recipients are first contacts, far more than the
/// mailbox's usual hour (a stolen account, whatever it sends);</item>
/// <item>campaign: the same content from several mailboxes of several clients (compromised accounts);</item>
/// <item>invalid-recipients, login-networks, new-network-volume: signs of a stolen password, from
/// <see cref="Compromise"/>, each with its own rule mode, judged for every message of a watched mailbox;</item>
/// <item>reputation: bounces and complaints, from <see cref="IReputationSource"/>.</item>
/// </list>
/// The content signals (repeat, contained, payload, volume) measure one thing several ways, so the
/// largest counts, not their sum.
/// <see cref="Evaluate"/> judges; the engine acts on the result; <see cref="Completed"/> is the memory,
/// fed by every door's completed transactions.
/// </summary>
public sealed class MassMailDetector : ITransactionObserver
{
    private readonly DetectionOptions _options;
    private readonly IReputationSource[] _reputation;
    private readonly ConcurrentDictionary<int, MailboxProfile> _profiles = new();
    private readonly CampaignIndex _campaigns = new();

    public MassMailDetector(DetectionOptions options, params IReputationSource[] reputation)
    {
        _options = options;
        _reputation = reputation;
        Compromise = new CompromiseWatch(options);
    }

    public DetectionOptions Options => _options;

    /// <summary>
    /// Logins and refused recipients per mailbox, fed by the doors and the bounce intake. The detector
    /// reads it itself, not as a reputation source: the new-network signal needs the message's hour and
    /// the mailbox's usual one, and each signal has its own rule mode.
    /// </summary>
    public CompromiseWatch Compromise { get; }

    public int ProfileCount => _profiles.Count;

    /// <summary>The detector's memory: every door's completed transactions.</summary>
    public void Completed(CompletedTransaction transaction)
    {
        if (transaction.Outcome == Outcome.Held)
        {
            Compromise.Held(transaction.Mailbox.Id, transaction.At);
        }

        if (transaction.Counted && transaction.Outcome == Outcome.Accepted && transaction.External > 0)
        {
            var p = Profile(transaction.Mailbox.Id);
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
        Remember(new TrackedMessage(transaction.At, transaction.MessageId, transaction.Recipients, transaction.External, transaction.Fingerprint, transaction.Outcome, m.Id, m.Client.Id, transaction.RecipientsHash)
        {
            Subject = transaction.Fingerprint.Subject,
            DestinationDomains = transaction.DestinationDomains,
        }, transaction.At,
            m.Client.Limits.MaxRecipientsPerMessage);
    }

    /// <summary>
    /// A relayed message's external recipients become known to the mailbox (called by the transaction
    /// that counts the message, from its own buffer, before it is reused).
    /// </summary>
    public void LearnRecipients(MailboxState mailbox, ReadOnlySpan<ulong> externalRecipients, DateTimeOffset at)
    {
        if (_options.RecipientMemoryBytes <= 0 || externalRecipients.IsEmpty)
        {
            return;
        }

        var p = Profile(mailbox.Id);
        lock (p.Sync)
        {
            p.LearnRecipients(externalRecipients, externalRecipients.Length, at);
        }
    }

    private const uint SnapshotMagic = 0x4D52_4746; // "FGRM"
    private const int SnapshotVersion = 1;

    /// <summary>
    /// Writes every mailbox's recipient memory: a restart must not make every recipient a first contact
    /// (nor restart the learning period). Returns how many mailboxes were written.
    /// </summary>
    public int WriteRecipients(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(SnapshotMagic);
        writer.Write(SnapshotVersion);
        writer.Write(_options.RecipientMemoryBytes);
        var words = new ulong[Math.Max(0, _options.RecipientMemoryBytes / 8)];
        var written = 0;
        foreach (var (id, p) in _profiles)
        {
            DateTimeOffset since;
            double usual;
            int count;
            lock (p.Sync)
            {
                if (p.Recipients is not { } memory || memory.Bytes != words.Length * 8)
                {
                    continue;
                }

                memory.CopyTo(words, out count);
                since = p.LearningSince;
                usual = p.UsualFirstContacts;
            }

            writer.Write(id);
            writer.Write(since.UtcTicks);
            writer.Write(usual);
            writer.Write(count);
            foreach (var w in words)
            {
                writer.Write(w);
            }

            written++;
        }

        writer.Write(-1);
        return written;
    }

    /// <summary>Reads <see cref="WriteRecipients"/>; a snapshot of another size or version is ignored (the memory starts learning again).</summary>
    public int ReadRecipients(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadUInt32() != SnapshotMagic || reader.ReadInt32() != SnapshotVersion || reader.ReadInt32() != _options.RecipientMemoryBytes || _options.RecipientMemoryBytes <= 0)
        {
            return 0;
        }

        var words = new ulong[_options.RecipientMemoryBytes / 8];
        var read = 0;
        while (reader.ReadInt32() is var id and >= 0)
        {
            var since = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
            var usual = reader.ReadDouble();
            var count = reader.ReadInt32();
            for (var i = 0; i < words.Length; i++)
            {
                words[i] = reader.ReadUInt64();
            }

            var p = Profile(id);
            lock (p.Sync)
            {
                if (p.RestoreRecipients(since, usual, words, count))
                {
                    read++;
                }
            }
        }

        return read;
    }

    private int NearCap(int cap) => Math.Max(1, (int)Math.Ceiling(cap * _options.NearCapFraction));

    private MailboxProfile Profile(int mailboxId) =>
        _profiles.GetOrAdd(mailboxId, static (_, o) => new MailboxProfile(o.HistoryPerMailbox, o.RecipientMemoryBytes), _options);

    /// <summary>
    /// Adds a message (from the transaction log at start: the detector's memory survives a restart).
    /// Its anchors are kept only if it went to most of <paramref name="cap"/>: containment is judged
    /// between such copies only, and anchors are the larger part of a fingerprint.
    /// </summary>
    public void Remember(TrackedMessage message, DateTimeOffset now, int cap = 200)
    {
        if (message.External < NearCap(cap) && !message.Fingerprint.Anchors.IsEmpty)
        {
            message = message with { Fingerprint = message.Fingerprint.WithoutAnchors() };
        }

        var p = Profile(message.MailboxId);
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

    /// <summary>The mailbox's recipient memory, for `floodgate explain`; null when it has none.</summary>
    public Enforcement.ExplainRecipients? DescribeRecipients(int mailboxId, DateTimeOffset now)
    {
        if (!_profiles.TryGetValue(mailboxId, out var p))
        {
            return null;
        }

        lock (p.Sync)
        {
            if (p.Recipients is not { } memory)
            {
                return null;
            }

            var (first, external) = p.LastHour(now);
            return new Enforcement.ExplainRecipients(now - p.LearningSince < _options.BurstLearningPeriod, p.LearningSince, first, external, p.UsualFirstContacts, memory.Bytes);
        }
    }

    /// <summary>Scores one message against the mailbox's memory. Pure: remembers nothing.</summary>
    public DetectionResult Evaluate(MailboxState mailbox, in TransactionTally tally, MessageFacts message, DateTimeOffset now)
    {
        var o = _options;
        var cap = mailbox.Client.Limits.MaxRecipientsPerMessage;
        var nearCap = NearCap(cap);
        var fingerprint = message.Fingerprint;
        var signals = new List<Signal>(4);
        var evidence = new List<EvidenceMessage>();

        int repeats = 0, contained = 0, payloads = 0, priorHolds = 0, maxShared = 0;
        HashSet<PayloadKind>? payloadKinds = null;
        bool heldRecently = false;
        var similarExternal = tally.External;
        var nearCapNow = tally.External >= nearCap;
        var ownDomains = mailbox.Client.OwnDomainHashes;
        var window = o.VolumeWindow > o.RepeatWindow ? o.VolumeWindow : o.RepeatWindow;
        int firstContacts = 0, knownRecipients = 0, hourFirstContacts = 0, hourExternal = 0;
        double usualFirstContacts = 0;
        bool learned = false, memoryLearned = false;
        if (_profiles.TryGetValue(mailbox.Id, out var profile))
        {
            lock (profile.Sync)
            {
                if (profile.Recipients is not null && !tally.ExternalRecipients.IsEmpty)
                {
                    firstContacts = profile.CountFirstContacts(tally.ExternalRecipients.Span);
                    knownRecipients = tally.ExternalRecipients.Length - firstContacts;
                    (hourFirstContacts, hourExternal) = profile.LastHour(now);
                    usualFirstContacts = profile.UsualFirstContacts;
                    memoryLearned = now - profile.LearningSince >= o.BurstLearningPeriod;
                    learned = o.BurstRule != RuleMode.Off && memoryLearned;
                }

                // Containment and payload are weaker evidence than similarity: a business's footer and
                // links are shared by all its mail. Once the memory knows the mailbox's correspondents,
                // they count only for copies that go mostly to strangers, as a stolen account's do.
                var weakMatches = !memoryLearned || tally.ExternalRecipients.IsEmpty ||
                    firstContacts >= o.RunMinFirstContactShare * tally.ExternalRecipients.Length;
                foreach (var m in profile.Recent(now, window))
                {
                    // A retry of a message that did not go out is not a new copy; a relayed copy
                    // counts whatever its Message-ID says.
                    if (MailboxProfile.IsRetryOf(message.MessageId, in fingerprint, tally.RecipientsHash, m))
                    {
                        continue;
                    }

                    var inRepeatWindow = now - m.At <= o.RepeatWindow;
                    heldRecently |= inRepeatWindow && m.Outcome == Outcome.Held;
                    var similarity = fingerprint.Similarity(m.Fingerprint);
                    var match = similarity >= o.SimilarityThreshold ? Match.Similar : Match.None;
                    var nearCapCopy = inRepeatWindow && nearCapNow && m.External >= nearCap;
                    var shared = 0;
                    if (match == Match.None && nearCapCopy && weakMatches)
                    {
                        // Containment and payload only among copies near the cap: a footer or a
                        // signature is shared by every message a mailbox sends, a run's text and
                        // payload by copies each sent to most of the cap.
                        shared = o.ContainedRule == RuleMode.Off ? 0 : fingerprint.SharedAnchors(m.Fingerprint);
                        if (shared >= o.ContainmentMinAnchors)
                        {
                            match = Match.Contained;
                        }
                        else if (o.PayloadRule != RuleMode.Off && fingerprint.SharedPayload(m.Fingerprint, ownDomains) is var key and not 0)
                        {
                            match = Match.Payload;
                            (payloadKinds ??= []).Add(ContentFingerprint.KindOf(key));
                        }
                    }

                    if (match == Match.None)
                    {
                        continue;
                    }

                    evidence.Add(new EvidenceMessage(m.At, m.MessageId, m.Recipients, m.External, similarity, m.Outcome, m.MailboxId)
                    {
                        Subject = m.Subject,
                        DestinationDomains = m.DestinationDomains,
                        Match = match switch
                        {
                            Match.Contained => string.Create(CultureInfo.InvariantCulture, $"contains {shared} anchors of the same text"),
                            Match.Payload => "the same " + Describe(payloadKinds!),
                            _ => null,
                        },
                    });
                    if (nearCapCopy)
                    {
                        switch (match)
                        {
                            case Match.Similar:
                                repeats++;
                                break;
                            case Match.Contained:
                                contained++;
                                maxShared = Math.Max(maxShared, shared);
                                break;
                            default:
                                payloads++;
                                break;
                        }
                    }

                    if (inRepeatWindow && m.Outcome == Outcome.Held && (match == Match.Similar || nearCapCopy))
                    {
                        priorHolds++;
                    }

                    if (match == Match.Similar && now - m.At <= o.VolumeWindow)
                    {
                        similarExternal += m.External;
                    }
                }

            }
        }

        var list = fingerprint.IsListMail && o.ListKnownShare > 0 && knownRecipients > 0 &&
            knownRecipients >= o.ListKnownShare * tally.ExternalRecipients.Length;
        if (list && (repeats > 0 || contained > 0 || payloads > 0 || similarExternal >= o.VolumeCapMultiple * cap))
        {
            signals.Add(new Signal("list", 0, RuleMode.Enforce, string.Create(CultureInfo.InvariantCulture,
                $"a mailing with List-Unsubscribe to {knownRecipients} of {tally.ExternalRecipients.Length} recipients written to before: its batches are not counted as a run")));
            repeats = contained = payloads = 0;
            similarExternal = 0;
            priorHolds = 0;
        }

        if (repeats > 0)
        {
            signals.Add(new Signal("repeat", repeats, o.RepeatRule, string.Create(CultureInfo.InvariantCulture,
                $"the same e-mail (similarity ≥ {o.SimilarityThreshold:0.00}) sent {repeats + 1} times within {Hours(o.RepeatWindow)}, each to at least {nearCap} external recipients (cap {cap})")));
        }

        if (contained > 0)
        {
            signals.Add(new Signal("contained", contained, o.ContainedRule, string.Create(CultureInfo.InvariantCulture,
                $"the same text (up to {maxShared} shared anchors, at least {o.ContainmentMinAnchors}: about {maxShared * 4} four-word shingles) inside {contained + 1} different-looking copies within {Hours(o.RepeatWindow)}, each to at least {nearCap} external recipients")));
        }

        if (payloads > 0)
        {
            signals.Add(new Signal("payload", payloads, o.PayloadRule, string.Create(CultureInfo.InvariantCulture,
                $"{payloads + 1} differently worded copies within {Hours(o.RepeatWindow)} carrying the same {Describe(payloadKinds!)}, each to at least {nearCap} external recipients")));
        }

        var words = fingerprint.HiddenWords + fingerprint.FeatureCount;
        if (o.HiddenTextRule != RuleMode.Off && fingerprint.HiddenWords >= o.HiddenTextMinWords && fingerprint.HiddenWords >= o.HiddenTextMinShare * words)
        {
            signals.Add(new Signal("hidden-text", o.HiddenTextWeight, o.HiddenTextRule, string.Create(CultureInfo.InvariantCulture,
                $"{fingerprint.HiddenWords} words a reader does not see ({100.0 * fingerprint.HiddenWords / Math.Max(1, words):0}% of the text): hidden by style, tiny, off-screen or coloured like the background")));
        }

        if (learned)
        {
            var burstFirst = hourFirstContacts + firstContacts;
            var burstExternal = hourExternal + tally.External;
            var burstThreshold = o.BurstCapMultiple * cap;
            if (burstFirst >= burstThreshold && burstFirst >= o.BurstMinShare * burstExternal && burstFirst >= o.BurstMultiple * Math.Max(usualFirstContacts, 1))
            {
                signals.Add(new Signal("burst", o.BurstWeight, o.BurstRule, string.Create(CultureInfo.InvariantCulture,
                    $"{burstFirst} of the last hour's {burstExternal} external recipients are first contacts (this message: {firstContacts} of {tally.External}), against a usual {usualFirstContacts:0.#} an hour (threshold {burstThreshold:0})")));
                if (heldRecently)
                {
                    priorHolds++;
                }
            }
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
                evidence.Add(new EvidenceMessage(m.At, m.MessageId, m.Recipients, m.External, similarity, m.Outcome, m.MailboxId)
                {
                    Subject = m.Subject,
                    DestinationDomains = m.DestinationDomains,
                });
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

        var compromised = signals.Count;
        List<Signal>? all = signals;
        Compromise.Assess(mailbox.Id, tally.MailboxExternalLastHour, profile?.UsualHour ?? 0, now, ref all);
        var enforcedCompromise = false;
        for (var i = compromised; i < signals.Count; i++)
        {
            enforcedCompromise |= signals[i].Mode == RuleMode.Enforce;
        }

        if (enforcedCompromise && (heldRecently || Compromise.HeldSince(mailbox.Id, now - o.RepeatWindow)))
        {
            // As for a burst: a stolen account that goes on after a hold is an offense (an observed sign counts for nothing).
            priorHolds++;
        }

        AddReputation(mailbox, now, signals);

        return Conclude(mailbox, in tally, message, now, signals, evidence, campaign, priorHolds);
    }

    /// <summary>
    /// A message the content signals do not judge (fewer external recipients than MinTrackedRecipients:
    /// no fingerprint): the signs of a stolen password and the reputation sources are scored. A thief
    /// working a harvested list one recipient at a time is still seen, and so is a mailbox whose
    /// one-to-one mail draws complaints.
    /// </summary>
    public DetectionResult EvaluateWithoutFingerprint(MailboxState mailbox, in TransactionTally tally, MessageFacts message, DateTimeOffset now)
    {
        double usual = 0;
        if (_profiles.TryGetValue(mailbox.Id, out var profile))
        {
            lock (profile.Sync)
            {
                usual = profile.UsualHour;
            }
        }

        // The list is made only when a signal fires: the usual message of a watched mailbox allocates nothing here.
        List<Signal>? signals = null;
        Compromise.Assess(mailbox.Id, tally.MailboxExternalLastHour, usual, now, ref signals);
        // One-to-one mail of a mailbox whose mail draws complaints must not go on one recipient at a time.
        signals = AddReputation(mailbox, now, signals);

        if (signals is null)
        {
            return DetectionResult.Allowed;
        }

        // As for a burst: a stolen account that goes on after a hold of the mailbox within the repeat window is an offense.
        var priorHolds = Compromise.HeldSince(mailbox.Id, now - _options.RepeatWindow) ? 1 : 0;
        return Conclude(mailbox, in tally, message, now, signals, [], [], priorHolds);
    }

    /// <summary>What each reputation source knows of the mailbox, in the reputation rule's mode; a list is made only when one does.</summary>
    private List<Signal>? AddReputation(MailboxState mailbox, DateTimeOffset now, List<Signal>? signals)
    {
        foreach (var source in _reputation)
        {
            if (source.Assess(mailbox, now) is { } reputation)
            {
                (signals ??= new List<Signal>(1)).Add(reputation with { Mode = _options.ReputationRule });
            }
        }

        return signals;
    }

    private DetectionResult Conclude(MailboxState mailbox, in TransactionTally tally, MessageFacts message, DateTimeOffset now,
        List<Signal> signals, List<EvidenceMessage> evidence, List<int> campaign, int priorHolds)
    {
        var o = _options;
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
            signals.Add(new Signal("persistence", 0, RuleMode.Enforce, evidence.Count == 0 && signals.Exists(s => CompromiseWatch.IsRule(s.Rule))
                ? string.Create(CultureInfo.InvariantCulture, $"the mailbox went on sending after a hold within {Hours(o.RepeatWindow)}, with signs of a stolen password")
                : string.Create(CultureInfo.InvariantCulture, $"the run went on after {priorHolds} hold(s) of the same content")));
        }

        var outcome = action == DetectionAction.Hold ? Outcome.Held : action == DetectionAction.Offense ? Outcome.Rejected : Outcome.Accepted;
        return new DetectionResult(action, enforced, signals, evidence, action == DetectionAction.Offense ? campaign : [], observedAction)
        {
            Current = new EvidenceMessage(now, message.MessageId, tally.Recipients, tally.External, 1.0, outcome, mailbox.Id)
            {
                Subject = message.Fingerprint.Subject,
                DestinationDomains = tally.DestinationDomains,
            },
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

            if (s.Rule is "repeat" or "contained" or "payload" or "volume")
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

    private enum Match
    {
        None,
        Similar,
        Contained,
        Payload,
    }

    /// <summary>The kinds of payload the copies share, in words (the keys are hashes: the kinds are what can be said).</summary>
    private static string Describe(HashSet<PayloadKind> kinds) => string.Join(" or ", kinds.Order().Select(k => k switch
    {
        PayloadKind.LinkDomain => "link domain",
        PayloadKind.Address => "reply address",
        PayloadKind.Phone => "phone number",
        PayloadKind.Attachment => "attachment",
        _ => "payload",
    }));

    private static string Hours(TimeSpan t) =>
        t.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalHours:0.#} h") : string.Create(CultureInfo.InvariantCulture, $"{t.TotalMinutes:0} min");
}
