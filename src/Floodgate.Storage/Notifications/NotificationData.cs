using System.Text.Json;
using System.Text.Json.Serialization;
using Floodgate.Core.Enforcement;

namespace Floodgate.Storage.Notifications;

/// <summary>
/// What an event says, in one shape for every type (the parts that do not apply are left out): the
/// webhook's <c>data</c> and the model of the e-mail. Captured when the event happens, so it tells
/// what was true then. <see cref="PortalUrl"/> and <see cref="Support"/> come from the settings at
/// send time.
/// </summary>
public sealed record NotificationData
{
    public ClientInfo? Client { get; init; }

    /// <summary>What was suspended, terminated or lifted (one per mailbox or domain of the detection).</summary>
    public IReadOnlyList<TargetInfo>? Targets { get; init; }

    /// <summary>"detector" or "operator".</summary>
    public string? Source { get; init; }

    /// <summary>Who did it: "detector", "operator:alice", "api-key:3".</summary>
    public string? Actor { get; init; }

    /// <summary>Why, in the words the sender was told.</summary>
    public string? Reason { get; init; }

    public OffenseInfo? Offense { get; init; }

    /// <summary>What was sent in the offense, from its evidence.</summary>
    public MessagesInfo? Messages { get; init; }

    public IncidentInfo? Incident { get; init; }

    public ContactTaskInfo? ContactTask { get; init; }

    /// <summary>The held message of a <c>mailbox.held</c> event.</summary>
    public HeldInfo? Held { get; init; }

    /// <summary>The listing of a <c>blocklist.listed</c> or <c>blocklist.delisted</c> event.</summary>
    public BlocklistInfo? Blocklist { get; init; }

    /// <summary>What the client must do: the three parts of its report.</summary>
    public IReadOnlyList<string>? RequiredReport { get; init; }

    public string? PortalUrl { get; init; }

    public string? Support { get; init; }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>What the policy asks of the client's report (the parts <see cref="IncidentReport.Validate"/> checks).</summary>
    public static readonly IReadOnlyList<string> ReportParts =
    [
        "the mechanism used to send the messages (a virus, a program, a stolen password, a person)",
        "the steps taken to stop it and to prevent it from happening again",
        "your own mass-mailing policy and how you apply it",
    ];

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static NotificationData Parse(string json) => JsonSerializer.Deserialize<NotificationData>(json, Json) ?? new NotificationData();
}

public sealed record ClientInfo(int Id, string Name, ContactInfo Contact);

public sealed record ContactInfo(string Name, string Phone, string Email);

/// <param name="Kind">"mailbox", "domain" or "client".</param>
/// <param name="Status">What it is now: "suspended", "terminated", "active".</param>
public sealed record TargetInfo(string Kind, int Id, string Name, string Status);

public sealed record OffenseInfo(long Id, DateTimeOffset At, LadderStep Step, string StepText, double Score, string Mailbox, IReadOnlyList<SignalInfo> Signals);

public sealed record SignalInfo(string Rule, double Score, string Explanation);

/// <summary>
/// Totals over the offense's evidence and a sample of its messages, newest first.
/// <see cref="Relayed"/> messages left the network (each of their recipients counts in the damages);
/// the others were held or refused.
/// </summary>
public sealed record MessagesInfo(
    int Count,
    int Recipients,
    int ExternalRecipients,
    int Relayed,
    int RelayedRecipients,
    DateTimeOffset? First,
    DateTimeOffset? Last,
    IReadOnlyList<MessageInfo> Sample)
{
    /// <summary>The distinct subjects of the evidence, newest first (at most <c>NotificationOutbox.SampleSubjects</c>); null when none is known.</summary>
    public IReadOnlyList<string>? Subjects { get; init; }

    /// <summary>The distinct destination domains of the evidence, most recipients' first (at most <c>NotificationOutbox.SampleDomains</c>); null when none is known.</summary>
    public IReadOnlyList<string>? DestinationDomains { get; init; }
}

/// <param name="Outcome">"relayed", "held", "refused" or "deferred".</param>
public sealed record MessageInfo(DateTimeOffset At, string? MessageId, int Recipients, int External, string Outcome, double Similarity)
{
    public string? Subject { get; init; }

    /// <summary>Comma-separated, as the evidence keeps them.</summary>
    public string? DestinationDomains { get; init; }
}

/// <param name="Note">The operator's note: what a returned report lacks, why it was closed.</param>
public sealed record IncidentInfo(long Id, IncidentState State, IncidentState? PreviousState, string StateText, string? Note, ReportInfo? Report);

public sealed record ReportInfo(string Mechanism, string StepsTaken, string ClientPolicy);

public sealed record ContactTaskInfo(long Id, long IncidentId, string ContactName, string ContactPhone, DateTimeOffset DueAt, int Calls);

/// <param name="Reply">What the sender's client was told ("451 4.7.1").</param>
public sealed record HeldInfo(DateTimeOffset At, string Mailbox, string? MessageId, int Recipients, int External, string Door, string? Reply);

/// <param name="Subject">The provider's outbound address or sending domain.</param>
/// <param name="State">"listed" or "clear" now; <paramref name="Previous"/> before (null: the first answer).</param>
/// <param name="Code">The listing's A record (127.0.0.2); for a delisting, the code it was listed with.</param>
/// <param name="Reason">The zone's TXT text of the listing.</param>
/// <param name="ListedSince">When the watch first saw the listing.</param>
public sealed record BlocklistInfo(string Subject, string Zone, string State, string? Previous, string? Code, string? Reason, string? DelistingUrl, DateTimeOffset? ListedSince);
