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

    /// <summary>Where senders are pointed for legitimate bulk mail.</summary>
    public string ListService { get; set; } = "the provider's mailing-list service";

    public RuleMode RepeatRule { get; set; } = RuleMode.Enforce;

    public RuleMode VolumeRule { get; set; } = RuleMode.Enforce;

    public RuleMode BaselineRule { get; set; } = RuleMode.Enforce;

    public RuleMode CampaignRule { get; set; } = RuleMode.Enforce;

    public RuleMode ReputationRule { get; set; } = RuleMode.Enforce;
}
