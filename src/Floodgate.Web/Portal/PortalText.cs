using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Enforcement;

namespace Floodgate.Web.Portal;

/// <summary>What a signal means, in words for the client.</summary>
public sealed record SignalText(string Name, string Explanation);

/// <summary>What the client must do about an incident now.</summary>
public sealed record NeededText(string Headline, string Detail, bool ClientMustAct);

/// <summary>
/// The portal's words for the detector's and the incident table's states. A client reads what
/// happened and what to do, never the detector's own explanation (thresholds, anchors, and for a
/// campaign the count of other clients): those stay in the console.
/// </summary>
public static class PortalText
{
    private static readonly Dictionary<string, SignalText> Signals = new(StringComparer.Ordinal)
    {
        ["repeat"] = new("The same message, again and again",
            "Copies of one e-mail went out several times in a short while, each to nearly as many recipients as one message may have."),
        ["contained"] = new("The same text in disguised copies",
            "Messages made to look different from one another carried the same text inside."),
        ["payload"] = new("The same link or contact in every copy",
            "Differently worded messages all carried the same link, reply address, phone number or attachment."),
        ["volume"] = new("Too many recipients for one content",
            "Far more people outside your organisation received the same content than ordinary mail reaches."),
        ["baseline"] = new("Far more than this mailbox usually sends",
            "In one hour the mailbox wrote to many more outside recipients than it does in a usual hour."),
        ["campaign"] = new("Part of a wider campaign",
            "The same content was being sent from other mailboxes at the same time, as a coordinated spam run is."),
        ["hidden-text"] = new("Text hidden from the reader",
            "The messages contained words a reader cannot see, a trick used to slip past spam filters."),
        ["burst"] = new("Mostly strangers",
            "Most recipients were addresses the mailbox had never written to before, far more than usual."),
        ["persistence"] = new("Sending went on after a hold",
            "Copies kept coming after earlier ones had been held back."),
        ["invalid-recipients"] = new("Many addresses that do not exist",
            "Within an hour, many recipients were refused because their addresses do not exist: the mark of a bought, harvested or guessed list, often sent by someone who has the mailbox's password."),
        ["login-networks"] = new("Logins from many places",
            "In one day the mailbox was logged in to from many different networks, as happens when its password is in other hands."),
        ["new-network-volume"] = new("A new place, then a burst",
            "The mailbox was logged in to from a network it had never used, and far more mail than usual followed at once."),
    };

    /// <summary>
    /// The signals that counted toward the decision, in the client's words. Observe-only rules did not
    /// decide; a zero-score "list" signal is a mitigation, not a reason.
    /// </summary>
    public static IReadOnlyList<SignalText> Explain(IReadOnlyList<Signal> signals) => signals
        .Where(s => s.Mode == RuleMode.Enforce && !(s.Rule == "list" && s.Score == 0))
        .Select(s => Signals.TryGetValue(s.Rule, out var text) ? text : new SignalText(s.Rule, "Another sign of mass mailing that the policy acts on."))
        .DistinctBy(t => t.Name)
        .ToList();

    public static string Step(LadderStep step) => step switch
    {
        LadderStep.SuspendMailbox => "First offense: the mailbox was suspended.",
        LadderStep.SuspendDomain => "Second offense within the policy's period: the whole domain was suspended.",
        _ => "Third offense within the policy's period: your organisation was terminated from the network.",
    };

    public static string Outcome(Outcome outcome) => outcome switch
    {
        Core.Policy.Outcome.Accepted => "delivered",
        Core.Policy.Outcome.Held => "held, not delivered",
        Core.Policy.Outcome.Rejected => "refused",
        _ => "deferred",
    };

    public static string State(IncidentState state) => state switch
    {
        IncidentState.Open => "Open: report needed",
        IncidentState.Contacted => "Contacted: report needed",
        IncidentState.ReportSubmitted => "Report under review",
        IncidentState.ReportReturned => "Report returned: more needed",
        IncidentState.ReportAccepted => "Report accepted",
        IncidentState.Reinstated => "Reinstated",
        _ => "Closed",
    };

    public static NeededText Needed(IncidentRecord incident) => incident.State switch
    {
        IncidentState.Open or IncidentState.Contacted => new("File your report",
            "Tell us how the mass mailing happened, what you did to stop it and prevent more, and your own mass-mailing policy.", true),
        IncidentState.ReportReturned => new("Your report was returned: file it again",
            "Your provider needs more before it can accept the report. Its note says what is missing.", true),
        IncidentState.ReportSubmitted => new("Your report is under review",
            "Nothing to do now: you will hear when it is accepted or if more is needed.", false),
        IncidentState.ReportAccepted when incident.Step == LadderStep.TerminateClient => new("Your report was accepted",
            "A terminated organisation is not reinstated through the portal: your provider will contact you.", false),
        IncidentState.ReportAccepted => new("Your report was accepted",
            "Reinstatement follows. The mailbox will need a new password: the old one, and every saved login, stops working.", false),
        IncidentState.Reinstated => new("Reinstated", "Sending works again.", false),
        _ => new("Closed", "This incident is closed.", false),
    };

    public static string Event(ClientTimelineEntry entry) => entry.Event switch
    {
        ClientTimelineEvent.Detected => $"Mass mailing detected from {entry.Subject}",
        ClientTimelineEvent.Suspended => $"Suspended: {entry.Subject}",
        ClientTimelineEvent.Called => $"Your primary contact was called: {Call(entry.Subject)}",
        ClientTimelineEvent.ReportFiled => "Report filed",
        ClientTimelineEvent.ReportReturned => "Report returned for more",
        ClientTimelineEvent.ReportAccepted => "Report accepted",
        ClientTimelineEvent.Reinstated => "Reinstated",
        ClientTimelineEvent.SuspensionLifted => $"Suspension lifted: {entry.Subject}",
        _ => "Incident closed",
    };

    private static string Call(string? outcome) => outcome switch
    {
        nameof(ContactOutcome.Reached) => "reached",
        nameof(ContactOutcome.LeftMessage) => "a message was left",
        nameof(ContactOutcome.NoAnswer) => "no answer",
        nameof(ContactOutcome.WrongNumber) => "wrong number (please check the phone number your provider has)",
        _ => outcome ?? "called",
    };
}
