using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Policy;

namespace Floodgate.Core.Enforcement;

public sealed record ExplainStatus(string Scope, string Name, string Status, string? Reason);

/// <param name="Reserved">Of <paramref name="Used"/>, what transactions in flight hold.</param>
public sealed record ExplainWindow(string Scope, string Name, string Measure, int Used, int Limit, int Reserved = 0);

/// <param name="SharedAnchorsWithNewest">Anchors of identical text shared with the newest message (containment).</param>
/// <param name="HiddenWords">Words of the message a reader does not see.</param>
/// <param name="PayloadKinds">What its payload keys name: "link domain", "phone number"...</param>
public sealed record ExplainMessage(DateTimeOffset At, string? MessageId, int Recipients, int External, string Outcome, double SimilarityToNewest,
    int SharedAnchorsWithNewest = 0, int HiddenWords = 0, IReadOnlyList<string>? PayloadKinds = null);

/// <summary>The mailbox's memory of its external recipients, and its first contacts of the last hour.</summary>
public sealed record ExplainRecipients(bool Learning, DateTimeOffset? LearningSince, int FirstContactsLastHour, int ExternalLastHour, double UsualFirstContactsPerHour, int MemoryBytes);

public sealed record ExplainReport(
    string Mailbox,
    bool MaySend,
    IReadOnlyList<ExplainStatus> Statuses,
    int RecipientCap,
    IReadOnlyList<ExplainWindow> Windows,
    double UsualHourExternal,
    IReadOnlyList<ExplainMessage> RecentBulkMessages,
    int OffensesInLookBack,
    string NextOffenseStep,
    IReadOnlyList<string> Thresholds,
    ExplainRecipients? Recipients = null,
    CompromiseView? Compromise = null);

/// <summary>`floodgate explain`: why a mailbox stands where it stands, from the server's live state.</summary>
public sealed class Explainer(PolicyEngine engine, MassMailDetector detector, EnforcementService enforcement, LadderOptions ladder)
{
    public ExplainReport? Explain(string address)
    {
        if (!engine.Directory.TryGetMailbox(address, out var m))
        {
            return null;
        }

        var now = engine.Time.GetUtcNow();
        var limits = m.Client.Limits;
        var windows = new List<ExplainWindow>();
        Add(windows, "mailbox", m.Address, engine.Counters.Read(new CounterKey(CounterScope.Mailbox, m.Id), now), limits.Mailbox);
        Add(windows, "domain", m.Domain.Name, engine.Counters.Read(new CounterKey(CounterScope.Domain, m.Domain.Id), now), limits.Domain);
        Add(windows, "client", m.Client.Name, engine.Counters.Read(new CounterKey(CounterScope.Client, m.Client.Id), now), limits.Client);

        var (recent, usual) = detector.Describe(m.Id, now);
        var messages = new List<ExplainMessage>(recent.Count);
        foreach (var t in recent)
        {
            var newest = recent[0].Fingerprint;
            var kinds = new List<string>();
            foreach (var key in t.Fingerprint.Payload)
            {
                kinds.Add(Fingerprinting.ContentFingerprint.KindOf(key).ToString());
            }

            messages.Add(new ExplainMessage(t.At, t.MessageId, t.Recipients, t.External, t.Outcome.ToString(), newest.Similarity(t.Fingerprint),
                newest.SharedAnchors(t.Fingerprint), t.Fingerprint.HiddenWords, kinds));
        }

        var offenses = enforcement.OffenseTimes(m.Client.Id);
        var counted = offenses.Count(t => now - t < ladder.LookBack);
        var o = detector.Options;
        return new ExplainReport(
            m.Address,
            engine.CheckStatus(m).IsAccept,
            [
                new("mailbox", m.Address, m.Status.Status.ToString(), m.Status.Reason),
                new("domain", m.Domain.Name, m.Domain.Status.Status.ToString(), m.Domain.Status.Reason),
                new("client", m.Client.Name, m.Client.Status.Status.ToString(), m.Client.Status.Reason),
            ],
            limits.MaxRecipientsPerMessage,
            windows,
            usual,
            messages,
            counted,
            Ladder.Describe(Ladder.StepFor(offenses, now, ladder)),
            [
                $"similar content: similarity ≥ {o.SimilarityThreshold:0.00}",
                $"repeat: copies to ≥ {o.NearCapFraction:P0} of the cap within {o.RepeatWindow.TotalHours:0.#} h (rule {o.RepeatRule})",
                $"volume: ≥ {o.VolumeCapMultiple} × cap external recipients of one content within {o.VolumeWindow.TotalHours:0.#} h (rule {o.VolumeRule})",
                $"baseline: last hour ≥ {o.BaselineMultiple} × usual hour (floor {o.BaselineFloor}) adds {o.BaselineWeight} (rule {o.BaselineRule})",
                $"campaign: same content from ≥ {o.CampaignMinMailboxes} mailboxes of ≥ {o.CampaignMinClients} clients within {o.CampaignWindow.TotalHours:0.#} h adds {o.CampaignWeight} (rule {o.CampaignRule})",
                $"contained: near-cap copies sharing ≥ {o.ContainmentMinAnchors} anchors of identical text within {o.RepeatWindow.TotalHours:0.#} h (rule {o.ContainedRule})",
                $"payload: near-cap copies sharing a link domain, reply address, phone number or attachment (the client's own domains aside) within {o.RepeatWindow.TotalHours:0.#} h (rule {o.PayloadRule})",
                $"hidden-text: ≥ {o.HiddenTextMinWords} hidden words and ≥ {o.HiddenTextMinShare:P0} of the text adds {o.HiddenTextWeight} (rule {o.HiddenTextRule})",
                $"burst: ≥ {o.BurstCapMultiple} × cap first contacts in the last hour, ≥ {o.BurstMinShare:P0} of its external recipients and ≥ {o.BurstMultiple} × the usual hour, after {o.BurstLearningPeriod.TotalDays:0.#} days of learning, adds {o.BurstWeight} (rule {o.BurstRule})",
                $"invalid-recipients: ≥ {o.InvalidRecipientsPerHour} distinct recipients refused as unknown users in an hour adds {o.InvalidRecipientsWeight} (rule {o.InvalidRecipientsRule})",
                $"login-networks: logins from > {o.LoginNetworksPerDay} client networks (/24, /48) in 24 h adds {o.LoginNetworksWeight} (rule {o.LoginNetworksRule})",
                $"new-network-volume: a never-seen network after {o.NewNetworkHistory.TotalDays:0.#} days of logins, then within {o.NewNetworkWindow.TotalHours:0.#} h an hour ≥ {o.NewNetworkVolumeMultiple} × the usual hour, adds {o.NewNetworkVolumeWeight} (rule {o.NewNetworkVolumeRule})",
                $"hold at score ≥ {o.HoldScore}, offense at ≥ {o.OffenseScore} or when a run goes on after {o.HoldsBeforeOffense} hold(s)",
            ],
            detector.DescribeRecipients(m.Id, now),
            detector.Compromise.Describe(m.Id, now));
    }

    private static void Add(List<ExplainWindow> windows, string scope, string name, WindowTotals t, ScopeLimits l)
    {
        windows.Add(new(scope, name, "messages in the last hour", t.MessagesLastHour, l.MessagesPerHour, t.ReservedMessages));
        windows.Add(new(scope, name, "external recipients in the last hour", t.ExternalLastHour, l.ExternalRecipientsPerHour, t.ReservedExternal));
        windows.Add(new(scope, name, "external recipients in the last 24 h", t.ExternalLastDay, l.ExternalRecipientsPerDay, t.ReservedExternal));
        windows.Add(new(scope, name, "internal recipients in the last hour", t.InternalLastHour, l.InternalRecipientsPerHour, t.ReservedInternal));
        windows.Add(new(scope, name, "internal recipients in the last 24 h", t.InternalLastDay, l.InternalRecipientsPerDay, t.ReservedInternal));
    }
}
