namespace Floodgate.Core.Detection;

/// <summary>How a rule acts: enforce its verdict, only log what it would have done, or not run.</summary>
public enum RuleMode
{
    Enforce,
    Observe,
    Off,
}

/// <summary>
/// Every threshold of the mass-mail detector, with its documented default. Defaults follow the
/// policy's own example (the same e-mail sent again and again, each time near the cap) and are not
/// tuned to any scenario.
/// </summary>
public sealed class DetectionOptions
{
    /// <summary>Estimated Jaccard similarity at which two messages count as the same e-mail.</summary>
    public double SimilarityThreshold { get; set; } = 0.8;

    /// <summary>"Most of the cap": a transaction whose external recipients reach this fraction of the plan's cap.</summary>
    public double NearCapFraction { get; set; } = 0.8;

    /// <summary>Window in which near-cap repeats of similar content are counted.</summary>
    public TimeSpan RepeatWindow { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Window in which the external recipients of similar content are added up.</summary>
    public TimeSpan VolumeWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>External recipients of one content in the volume window, as a multiple of the cap, that make a run (1.5 × 200 = 300).</summary>
    public double VolumeCapMultiple { get; set; } = 1.5;

    /// <summary>Messages with fewer external recipients are not remembered for content signals (a reply to one person is no run).</summary>
    public int MinTrackedRecipients { get; set; } = 5;

    /// <summary>Remembered messages per mailbox (a ring: the oldest is forgotten).</summary>
    public int HistoryPerMailbox { get; set; } = 32;

    /// <summary>Volume signal: external recipients in the last hour at or over this multiple of the mailbox's usual hour.</summary>
    public double BaselineMultiple { get; set; } = 5;

    /// <summary>The usual hour is never taken as less than this (a new mailbox has no history).</summary>
    public int BaselineFloor { get; set; } = 50;

    /// <summary>Weight of the volume signal: alone it never holds a message.</summary>
    public double BaselineWeight { get; set; } = 0.5;

    /// <summary>Campaign: the same content from at least this many mailboxes...</summary>
    public int CampaignMinMailboxes { get; set; } = 3;

    /// <summary>...of at least this many clients...</summary>
    public int CampaignMinClients { get; set; } = 2;

    /// <summary>...each to at least this many external recipients, within the window.</summary>
    public int CampaignMinRecipients { get; set; } = 10;

    public TimeSpan CampaignWindow { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Score of a campaign: strong on its own.</summary>
    public double CampaignWeight { get; set; } = 2.0;

    /// <summary>At or over this score a message is held (451 with an explanation; the abuse desk is alerted).</summary>
    public double HoldScore { get; set; } = 1.0;

    /// <summary>At or over this score the message is refused and an offense raised.</summary>
    public double OffenseScore { get; set; } = 2.0;

    /// <summary>A run that goes on after this many holds of the same content becomes an offense.</summary>
    public int HoldsBeforeOffense { get; set; } = 1;

    /// <summary>
    /// Containment: two messages share at least this many anchors (each a content-chosen four-word
    /// shingle, about one in four) of identical text, about 24 shingles or 27 words in order, whatever
    /// filler surrounds them. Counted like a repeat: copies near the cap within the repeat window.
    /// </summary>
    public int ContainmentMinAnchors { get; set; } = 6;

    /// <summary>
    /// Once a mailbox's recipient memory has learned (<see cref="BurstLearningPeriod"/>), containment and
    /// payload matches count only for a copy whose external recipients are at least this share first
    /// contacts: a business writing again to its customers shares its footer and links with its other
    /// mail, a stolen account's run goes to strangers. 0 counts them always.
    /// </summary>
    public double RunMinFirstContactShare { get; set; } = 0.5;

    /// <summary>
    /// Hidden text: at least this many words a reader does not see (display:none, tiny, coloured like
    /// the background, off-screen)...
    /// </summary>
    public int HiddenTextMinWords { get; set; } = 100;

    /// <summary>...making at least this share of the message's words...</summary>
    public double HiddenTextMinShare { get; set; } = 0.25;

    /// <summary>...scores this much: weak alone (a preheader or a responsive duplicate is hidden too), it adds to the others.</summary>
    public double HiddenTextWeight { get; set; } = 0.5;

    /// <summary>
    /// Bytes of each mailbox's memory of its external recipients (two Bloom filter generations; 1 KiB
    /// remembers the last 409 to 818 distinct recipients at about 1 % false "known"). 0 turns the
    /// memory and the burst signal off.
    /// </summary>
    public int RecipientMemoryBytes { get; set; } = 1024;

    /// <summary>Burst: first-contact external recipients within the last hour, as a multiple of the cap (1.5 × 200 = 300)...</summary>
    public double BurstCapMultiple { get; set; } = 1.5;

    /// <summary>...making at least this share of the hour's external recipients...</summary>
    public double BurstMinShare { get; set; } = 0.8;

    /// <summary>...and at least this multiple of the mailbox's usual hour of first contacts.</summary>
    public double BurstMultiple { get; set; } = 5;

    /// <summary>
    /// The memory must have learned this long before a burst counts: every recipient of a mailbox is
    /// new to a memory that has just started (a new deployment, a migrated customer).
    /// </summary>
    public TimeSpan BurstLearningPeriod { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A mailing that carries List-Unsubscribe to at least this share of recipients the mailbox has
    /// written to before (its subscribers, each confirmed one to one when joining) is a list doing its
    /// job: copies of it in batches are not a run (repeat, contained, payload and volume are not scored).
    /// A bought list is all first contacts and gets no such pass; 0 turns the exemption off.
    /// </summary>
    public double ListKnownShare { get; set; } = 0.9;

    /// <summary>Score of a burst: holds on its own, an offense only if the mailbox goes on after a hold.</summary>
    public double BurstWeight { get; set; } = 1.0;

    /// <summary>
    /// Invalid recipients: distinct recipients refused as unknown users (5.1.1 at the upstream, or a hard
    /// "user unknown" bounce attributed to the mailbox) within a sliding hour, at or over which the signal
    /// fires. Exim's BlockCracking takes about 100 in an hour as a stolen account working a harvested list.
    /// </summary>
    public int InvalidRecipientsPerHour { get; set; } = 100;

    /// <summary>Score of the invalid-recipients signal: holds on its own, an offense if the mailbox goes on after a hold.</summary>
    public double InvalidRecipientsWeight { get; set; } = 1.0;

    /// <summary>
    /// Login networks: the signal fires when an authenticated mailbox logged in from more than this many
    /// distinct client networks (/24 IPv4, /48 IPv6) in the last 24 hours (Exim's DetectSMTPAuthAbuse: 10).
    /// </summary>
    public int LoginNetworksPerDay { get; set; } = 10;

    public double LoginNetworksWeight { get; set; } = 1.0;

    /// <summary>
    /// Client networks (CIDR) whose logins are not counted: the provider's own webmail and submission
    /// proxies, which log every user in from the same few addresses. Loopback is never counted.
    /// </summary>
    public List<string> LoginNetworksIgnored { get; set; } = [];

    /// <summary>
    /// New network then volume: a login from a network never seen for the mailbox counts only when the
    /// mailbox's logins go back at least this far (before that every network is new).
    /// </summary>
    public TimeSpan NewNetworkHistory { get; set; } = TimeSpan.FromDays(7);

    /// <summary>...and the volume must follow within this long after that login...</summary>
    public TimeSpan NewNetworkWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>...reaching this multiple of the mailbox's usual hour (never taken as less than <see cref="BaselineFloor"/>) in the last hour.</summary>
    public double NewNetworkVolumeMultiple { get; set; } = 3;

    public double NewNetworkVolumeWeight { get; set; } = 1.0;

    /// <summary>Mailboxes whose logins and refused recipients are remembered; past it the least recently active are forgotten.</summary>
    public int CompromiseMaxMailboxes { get; set; } = 200_000;

    /// <summary>Client networks remembered per mailbox (the least recently seen is forgotten); more than <see cref="LoginNetworksPerDay"/>.</summary>
    public int NetworksPerMailbox { get; set; } = 32;

    /// <summary>A network not seen for this long is forgotten: a login from it again is from a new network.</summary>
    public TimeSpan NetworkMemory { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Where senders are pointed for legitimate bulk mail.</summary>
    public string ListService { get; set; } = DefaultListService;

    public const string DefaultListService = "the provider's mailing-list service";

    public RuleMode RepeatRule { get; set; } = RuleMode.Enforce;

    /// <summary>Near-cap copies that contain the same text (<see cref="ContainmentMinAnchors"/>) amid different filler.</summary>
    public RuleMode ContainedRule { get; set; } = RuleMode.Enforce;

    /// <summary>Near-cap copies of different wording that carry the same payload (link domain, address, phone, attachment).</summary>
    public RuleMode PayloadRule { get; set; } = RuleMode.Enforce;

    public RuleMode HiddenTextRule { get; set; } = RuleMode.Enforce;

    public RuleMode BurstRule { get; set; } = RuleMode.Enforce;

    public RuleMode VolumeRule { get; set; } = RuleMode.Enforce;

    public RuleMode BaselineRule { get; set; } = RuleMode.Enforce;

    public RuleMode CampaignRule { get; set; } = RuleMode.Enforce;

    public RuleMode ReputationRule { get; set; } = RuleMode.Enforce;

    public RuleMode InvalidRecipientsRule { get; set; } = RuleMode.Enforce;

    public RuleMode LoginNetworksRule { get; set; } = RuleMode.Enforce;

    public RuleMode NewNetworkVolumeRule { get; set; } = RuleMode.Enforce;

    /// <summary>What is wrong with these settings, one line each, named as in the configuration.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (SimilarityThreshold is <= 0 or > 1)
        {
            errors.Add("Detection:SimilarityThreshold: must be in (0, 1]");
        }

        if (HoldScore <= 0 || OffenseScore < HoldScore)
        {
            errors.Add("Detection:HoldScore/OffenseScore: need 0 < HoldScore <= OffenseScore");
        }

        if (ContainmentMinAnchors < 1)
        {
            errors.Add("Detection:ContainmentMinAnchors: must be at least 1 (one anchor is about four shingles of identical text)");
        }

        if (HiddenTextMinWords < 1 || HiddenTextMinShare is < 0 or > 1)
        {
            errors.Add("Detection:HiddenTextMinWords/HiddenTextMinShare: need at least 1 word and a share in [0, 1]");
        }

        if (RecipientMemoryBytes != 0 && (RecipientMemoryBytes < 64 || RecipientMemoryBytes > 1024 * 1024 || RecipientMemoryBytes % 16 != 0))
        {
            errors.Add("Detection:RecipientMemoryBytes: 0 (off) or a multiple of 16 from 64 to 1048576");
        }

        if (BurstCapMultiple <= 0 || BurstMinShare is < 0 or > 1 || BurstMultiple < 0 || BurstLearningPeriod < TimeSpan.Zero)
        {
            errors.Add("Detection:Burst*: need BurstCapMultiple > 0, BurstMinShare in [0, 1], BurstMultiple >= 0, BurstLearningPeriod >= 0");
        }

        if (RunMinFirstContactShare is < 0 or > 1)
        {
            errors.Add("Detection:RunMinFirstContactShare: must be in [0, 1]");
        }

        if (ListKnownShare is < 0 or > 1)
        {
            errors.Add("Detection:ListKnownShare: must be in [0, 1] (0 turns the list exemption off)");
        }

        if (InvalidRecipientsPerHour < 1 || InvalidRecipientsPerHour > 100_000)
        {
            errors.Add("Detection:InvalidRecipientsPerHour: must be from 1 to 100000");
        }

        if (LoginNetworksPerDay < 1 || NetworksPerMailbox <= LoginNetworksPerDay || NetworksPerMailbox > 1024)
        {
            errors.Add("Detection:LoginNetworksPerDay/NetworksPerMailbox: need 1 <= LoginNetworksPerDay < NetworksPerMailbox <= 1024");
        }

        foreach (var cidr in LoginNetworksIgnored)
        {
            if (!System.Net.IPNetwork.TryParse(cidr, out _))
            {
                errors.Add($"Detection:LoginNetworksIgnored: '{cidr}' is not a network (CIDR, e.g. 10.0.0.0/8)");
            }
        }

        if (NewNetworkHistory < TimeSpan.Zero || NewNetworkWindow <= TimeSpan.Zero || NewNetworkVolumeMultiple <= 0 || NetworkMemory <= NewNetworkHistory)
        {
            errors.Add("Detection:NewNetwork*: need NewNetworkHistory >= 0, NewNetworkWindow > 0, NewNetworkVolumeMultiple > 0 and NetworkMemory > NewNetworkHistory");
        }

        if (CompromiseMaxMailboxes < 1)
        {
            errors.Add("Detection:CompromiseMaxMailboxes: must be at least 1");
        }

        return errors;
    }
}
