using System.Globalization;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Floodgate.Web.Api;

/// <summary>One signal that fired. Score, mode and explanation are withheld from client administrators (see <see cref="EnforcementViews"/>).</summary>
public sealed record SignalView(string Rule, string Description, double? Score, RuleMode? Mode, string? Explanation);

/// <summary>
/// One message of the evidence: when, from which mailbox, to how many, what became of it. Similarity
/// and how it matched are withheld from client administrators.
/// </summary>
public sealed record EvidenceView(
    DateTimeOffset At,
    string? MessageId,
    int MailboxId,
    string? MailboxAddress,
    int Recipients,
    int External,
    Outcome Outcome,
    double? Similarity,
    string? Match);

/// <summary>
/// An offense with its evidence. <paramref name="Redacted"/>: the client administrator's view, without
/// the detector's internals (score, similarity, match, explanations with their thresholds).
/// </summary>
public sealed record OffenseEvidence(
    long Id,
    DateTimeOffset At,
    int ClientId,
    string ClientName,
    int MailboxId,
    string MailboxAddress,
    LadderStep Step,
    string StepDescription,
    string Source,
    string Reason,
    double? Score,
    long? IncidentId,
    int Messages,
    int Recipients,
    int ExternalRecipients,
    IReadOnlyList<SignalView> Signals,
    IReadOnlyList<EvidenceView> Evidence,
    bool Redacted);

/// <summary>
/// What the enforcement endpoints show, and what a client administrator does not see. A client sees
/// what was sent (each message of its own mailboxes in the evidence: time, Message-ID, mailbox,
/// recipients, external recipients, outcome), the reason, the ladder step and which signals fired,
/// each with a fixed description. Withheld from it: the detector's internals (scores, similarity, how a
/// copy matched: anchors, shared links; the operators' explanations, which carry thresholds and
/// counts of other clients' mailboxes in a campaign), operator names, contact tasks and call notes.
/// The stored evidence holds the offending client's own messages only (EnforcementService keeps no
/// other client's), so no other client's mailbox appears in it.
/// </summary>
internal static class EnforcementViews
{
    private static readonly Dictionary<string, string> ClientDescriptions = new(StringComparer.Ordinal)
    {
        ["repeat"] = "the same e-mail was sent many times, each time to many external recipients",
        ["contained"] = "the same text was sent inside copies made to look different, each to many external recipients",
        ["payload"] = "differently worded copies carried the same link or attachment, each to many external recipients",
        ["hidden-text"] = "the message carries text a reader does not see",
        ["burst"] = "far more first-time recipients than the mailbox usually writes to",
        ["volume"] = "many external recipients of the same content in a short time",
        ["baseline"] = "far more external recipients than the mailbox's usual hour",
        ["campaign"] = "the same content was sent by other mailboxes at the same time",
        ["persistence"] = "the sending went on after messages were held",
        ["list"] = "a mailing to recipients written to before",
        ["invalid-recipients"] = "many recipients refused because their addresses do not exist, as a harvested list's are",
        ["login-networks"] = "logins to the mailbox from many different networks in one day",
        ["new-network-volume"] = "a login from a network never seen for the mailbox, then far more mail than usual",
    };

    public static string ClientDescription(string rule) =>
        ClientDescriptions.TryGetValue(rule, out var text) ? text : "another sign of mass mailing";

    public static OffenseEvidence Offense(OffenseView view, bool redacted)
    {
        var o = view.Offense;
        var evidence = o.Evidence.OrderBy(e => e.At).Select(e => new EvidenceView(
            e.At, e.MessageId, e.MailboxId, view.MailboxAddresses.GetValueOrDefault(e.MailboxId), e.Recipients, e.External, e.Outcome,
            redacted ? null : e.Similarity,
            redacted ? null : e.Match)).ToList();
        var signals = o.Signals.Select(s => redacted
            ? new SignalView(s.Rule, ClientDescription(s.Rule), null, null, null)
            : new SignalView(s.Rule, ClientDescription(s.Rule), s.Score, s.Mode, s.Explanation)).ToList();
        return new OffenseEvidence(
            o.Id, o.At, o.ClientId, view.ClientName, o.MailboxId, o.MailboxAddress, o.Step, Ladder.Describe(o.Step), o.Source, o.Reason,
            redacted ? null : o.Score,
            view.IncidentId,
            evidence.Count, evidence.Sum(e => e.Recipients), evidence.Sum(e => e.External),
            signals, evidence, redacted);
    }

    /// <summary>Whether the caller gets the client's view: client administrators always; operators never.</summary>
    public static bool Redacts(this Caller caller) => caller.ClientScope is not null;
}

/// <summary>Keyset paging for the enforcement lists: newest first, <c>cursor</c> is the last id of the page before.</summary>
internal static class EnforcementPaging
{
    public const int DefaultLimit = 50;

    public static bool TryRead(string? cursor, int? limit, out long? before, out int take, out ValidationProblem? problem)
    {
        before = null;
        take = limit ?? DefaultLimit;
        problem = null;
        if (take is < 1 or > EnforcementStore.MaxPage)
        {
            problem = ApiGroup.Invalid("limit", $"limit must be between 1 and {EnforcementStore.MaxPage.ToString(CultureInfo.InvariantCulture)}.");
            return false;
        }

        if (cursor is not null)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
            {
                problem = ApiGroup.Invalid("cursor", "cursor must be the next of the page before (a positive number).");
                return false;
            }

            before = id;
        }

        return true;
    }

    /// <summary>The store was asked for one more than the page: its presence says there is a next page.</summary>
    public static (List<T> Items, long? Next) Page<T>(IReadOnlyList<T> rows, int take, Func<T, long> id)
    {
        var items = rows.Take(take).ToList();
        return (items, rows.Count > take ? id(items[^1]) : null);
    }
}
