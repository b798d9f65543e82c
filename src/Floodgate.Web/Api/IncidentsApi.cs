using Floodgate.Storage;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <param name="ContactOverdue">Whether a call is overdue; withheld (null) from client administrators.</param>
public sealed record IncidentListItem(
    long Id,
    int ClientId,
    string ClientName,
    string MailboxAddress,
    LadderStep Step,
    IncidentState State,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ClosedAt,
    bool? ContactOverdue);

public sealed record ReportView(string Mechanism, string StepsTaken, string ClientPolicy, DateTimeOffset SubmittedAt, string? SubmittedBy);

/// <summary>The last review of the report; <paramref name="By"/> is withheld from client administrators.</summary>
public sealed record ReviewView(DateTimeOffset At, string? Note, string? By);

public sealed record TimelineItem(DateTimeOffset At, string What, string? Actor);

/// <summary>A mailbox the offense named; reinstating needs a new password for each one that has a password now.</summary>
public sealed record NamedMailboxItem(int Id, string Address, bool NeedsNewPassword);

/// <summary>
/// An incident with its offense and evidence, suspensions and timeline. For a client administrator:
/// the client's view of the offense, no contact tasks, no operator names, and a timeline of the
/// incident's own steps (<see cref="EnforcementViews"/>).
/// </summary>
public sealed record IncidentDetailView(
    long Id,
    int ClientId,
    string ClientName,
    LadderStep Step,
    string StepDescription,
    IncidentState State,
    string StateDescription,
    IReadOnlyList<IncidentAction> Actions,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ClosedAt,
    string? CloseNote,
    DateTimeOffset? ReinstatedAt,
    ReportView? Report,
    ReviewView? LastReview,
    OffenseEvidence Offense,
    IReadOnlyList<NamedMailboxItem> Mailboxes,
    IReadOnlyList<SuspensionItem> Suspensions,
    IReadOnlyList<ContactTaskItem>? ContactTasks,
    IReadOnlyList<TimelineItem> Timeline,
    IReadOnlyList<Complaints.ComplaintItem> Complaints);

/// <summary>The client's three-part report, as the policy asks for it.</summary>
public sealed record ReportRequest(string? Mechanism, string? StepsTaken, string? ClientPolicy);

public sealed record NoteRequest(string? Note);

public sealed record NewPasswordItem(int? MailboxId, string? Password)
{
    // A record prints its members; this one holds a password.
    public override string ToString() => $"NewPasswordItem {{ MailboxId = {MailboxId} }}";
}

public sealed record ReinstateOverride(string? Reason);

/// <summary>
/// A new password for each mailbox the offense named that has one (<see cref="IncidentDetailView.Mailboxes"/>),
/// or an override with a reason (audited). Never both.
/// </summary>
public sealed record ReinstateRequest(IReadOnlyList<NewPasswordItem>? NewPasswords, ReinstateOverride? Override);

/// <summary>Where an incident stands after a change; <paramref name="NewPasswords"/>: the mailboxes given a new password by a reinstatement.</summary>
public sealed record IncidentChange(long Id, IncidentState State, string StateDescription, IReadOnlyList<IncidentAction> Actions, IReadOnlyList<string> NewPasswords, bool Overridden);

/// <summary>
/// Incidents, from the call to the client's report to reinstatement. State errors are 409 with the
/// incident table's words. A client administrator sees and reports on only its own client's incidents;
/// another client's answer 404, as unknown ids do.
/// </summary>
public static class IncidentsApi
{
    public static RouteGroupBuilder MapIncidentsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/incidents").WithTags("Incidents");
        group.MapGet("/", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("Incidents, newest first, by state and client");
        group.MapGet("/{id:long}", GetAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("One incident with its offense, evidence, suspensions, contact tasks and timeline");
        group.MapPost("/{id:long}/report", ReportAsync).RequireAuthorization(AccessPolicies.Report)
            .WithSummary("Submit the client's report: the mechanism, the steps taken, the client's own mass-mailing policy");
        group.MapPost("/{id:long}/return", ReturnAsync).RequireAuthorization(AccessPolicies.Enforce)
            .WithSummary("Send the report back with a note saying what is missing");
        group.MapPost("/{id:long}/accept", AcceptAsync).RequireAuthorization(AccessPolicies.Enforce)
            .WithSummary("Accept the report: the incident may then be reinstated");
        group.MapPost("/{id:long}/reinstate", ReinstateAsync).RequireAuthorization(AccessPolicies.Enforce)
            .WithSummary("Reinstate: lift the suspension and replace the named mailboxes' passwords (or override with a reason)");
        group.MapPost("/{id:long}/close", CloseAsync).RequireAuthorization(AccessPolicies.Enforce)
            .WithSummary("Close the incident with a note; a suspension stays as it is");
        return api;
    }

    private static async Task<Results<Ok<Page<IncidentListItem>>, ValidationProblem>> ListAsync(
        Caller caller,
        EnforcementStore store,
        IncidentState? state,
        int? clientId,
        bool? open,
        string? cursor,
        int? limit,
        CancellationToken cancellationToken)
    {
        if (!EnforcementPaging.TryRead(cursor, limit, out var before, out var take, out var problem))
            return problem!;
        if (state is { } st && !Enum.IsDefined(st))
            return ApiGroup.Invalid("state", "state must be Open, Contacted, ReportSubmitted, ReportReturned, ReportAccepted, Reinstated or Closed.");
        if (clientId is { } asked && !caller.CanSee(asked))
            return TypedResults.Ok(new Page<IncidentListItem>([], null));

        var rows = await store.ListIncidentsAsync(
            new IncidentQuery(state, caller.ClientScope ?? clientId, open == true, take + 1, before), cancellationToken).ConfigureAwait(false);
        var (items, next) = EnforcementPaging.Page(rows, take, i => i.Id);
        var redacted = caller.Redacts();
        return TypedResults.Ok(new Page<IncidentListItem>(
            items.Select(i => new IncidentListItem(i.Id, i.ClientId, i.ClientName, i.MailboxAddress, i.Step, i.State, i.OpenedAt, i.ClosedAt,
                redacted ? null : i.ContactOverdue)).ToList(),
            next));
    }

    private static async Task<Results<Ok<IncidentDetailView>, ProblemHttpResult>> GetAsync(
        long id, Caller caller, EnforcementStore store, Storage.Complaints.ComplaintStore complaints, Core.Complaints.ComplaintOptions complaintOptions, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!await VisibleAsync(id, caller, store, cancellationToken).ConfigureAwait(false))
            return ApiGroup.NotFound($"incident {id}");

        var detail = await store.GetIncidentAsync(id, cancellationToken).ConfigureAwait(false);
        var offense = await store.GetOffenseAsync(detail.Offense.Id, cancellationToken).ConfigureAwait(false);
        var named = await store.ListNamedMailboxesAsync(id, cancellationToken).ConfigureAwait(false);
        var redacted = caller.Redacts();
        var i = detail.Incident;
        var now = time.GetUtcNow();
        var report = i.Report is { } r ? new ReportView(r.Mechanism, r.StepsTaken, r.ClientPolicy, i.ReportSubmittedAt!.Value, redacted ? null : i.ReportSubmittedBy) : null;
        return TypedResults.Ok(new IncidentDetailView(
            i.Id, i.ClientId, detail.ClientName, i.Step, Ladder.Describe(i.Step), i.State, IncidentTransitions.Words(i.State), Actions(i),
            i.OpenedAt, i.ClosedAt, i.CloseNote, i.ReinstatedAt, report,
            i.ReviewedAt is { } reviewed ? new ReviewView(reviewed, i.ReviewNote, redacted ? null : i.ReviewedBy) : null,
            EnforcementViews.Offense(offense, redacted),
            named.Select(m => new NamedMailboxItem(m.Id, m.Address, m.HasPassword)).ToList(),
            detail.Suspensions.Select(s => SuspensionsApi.ToItem(new SuspensionView(s, i.ClientId, i.Id), redacted)).ToList(),
            redacted ? null : detail.ContactTasks.Select(t => ContactTasksApi.ToItem(t, now)).ToList(),
            redacted ? ClientTimeline(detail) : detail.Timeline.Select(t => new TimelineItem(t.At, t.What, t.Actor)).ToList(),
            await Complaints.ComplaintEvidence.BeforeAsync(complaints, complaintOptions, detail.Offense.MailboxId, detail.Offense.At, cancellationToken).ConfigureAwait(false)));
    }

    private static async Task<Results<Ok<IncidentChange>, ProblemHttpResult, ValidationProblem>> ReportAsync(
        long id, ReportRequest? body, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        if (!await VisibleAsync(id, caller, store, cancellationToken).ConfigureAwait(false))
            return ApiGroup.NotFound($"incident {id}");

        var problems = new Dictionary<string, string[]>();
        Part(problems, "mechanism", body?.Mechanism, "what sent the mass mailing: a virus, a program, a person");
        Part(problems, "stepsTaken", body?.StepsTaken, "the steps taken to stop it and prevent more");
        Part(problems, "clientPolicy", body?.ClientPolicy, "the client's own mass-mailing policy and how it applies it");
        if (problems.Count > 0)
            return TypedResults.ValidationProblem(problems, title: "The report is not complete");

        // Stored as given (trimmed): the pages that show it encode it.
        var incident = await store.SubmitReportAsync(id, new IncidentReport(body!.Mechanism!, body.StepsTaken!, body.ClientPolicy!), caller.Actor, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(Change(incident));
    }

    private static async Task<Results<Ok<IncidentChange>, ProblemHttpResult, ValidationProblem>> ReturnAsync(
        long id, NoteRequest? body, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body?.Note))
            return ApiGroup.Invalid("note", "note is required: say what the report is missing (the client is shown it).");
        return TypedResults.Ok(Change(await store.ReturnReportAsync(id, body.Note, caller.Actor, cancellationToken).ConfigureAwait(false)));
    }

    private static async Task<Results<Ok<IncidentChange>, ProblemHttpResult, ValidationProblem>> AcceptAsync(
        long id, NoteRequest? body, Caller caller, EnforcementStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(Change(await store.AcceptReportAsync(id, body?.Note, caller.Actor, cancellationToken).ConfigureAwait(false)));

    private static async Task<Results<Ok<IncidentChange>, ProblemHttpResult, ValidationProblem>> CloseAsync(
        long id, NoteRequest? body, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body?.Note))
            return ApiGroup.Invalid("note", "note is required: say why the incident is closed.");
        return TypedResults.Ok(Change(await store.CloseAsync(id, body.Note, caller.Actor, cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>
    /// The store replaces the passwords in the reinstatement's own transaction; the reload that follows
    /// gives each mailbox a new credential stamp, so sessions logged in with the old password are
    /// refused at their next MAIL, and clears the logins' throttle state (ServeHost wires that to the directory).
    /// </summary>
    private static async Task<Results<Ok<IncidentChange>, ProblemHttpResult, ValidationProblem>> ReinstateAsync(
        long id, ReinstateRequest? body, Caller caller, EnforcementStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        var given = body?.NewPasswords ?? [];
        if (body?.Override is { } overriding)
        {
            if (given.Count > 0)
                return ApiGroup.Invalid("override", "give either newPasswords or an override, not both.");
            if (string.IsNullOrWhiteSpace(overriding.Reason))
                return ApiGroup.Invalid("override.reason", "override.reason is required: say why the mailboxes may keep their passwords (it is audited).");
        }

        var passwords = new Dictionary<int, string>();
        for (var n = 0; n < given.Count; n++)
        {
            var item = given[n];
            if (item?.MailboxId is not { } mailboxId || mailboxId < 1)
                return ApiGroup.Invalid($"newPasswords[{n}].mailboxId", "mailboxId is required: the id of a mailbox the offense named.");
            if (string.IsNullOrEmpty(item.Password))
                return ApiGroup.Invalid($"newPasswords[{n}].password", "password is required: the mailbox's new password.");
            if (!passwords.TryAdd(mailboxId, item.Password))
                return ApiGroup.Invalid($"newPasswords[{n}].mailboxId", $"mailbox {mailboxId} is given twice.");
        }

        IncidentRecord incident;
        try
        {
            incident = await store.ReinstateAsync(id, new Reinstatement(passwords, body?.Override?.Reason), caller.Actor, cancellationToken).ConfigureAwait(false);
        }
        catch (EnforcementException ex) when (ex.Error == EnforcementError.Invalid)
        {
            // Every refusal of a well-formed request here is about the passwords: which one, and why.
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [body?.Override is null ? "newPasswords" : "override.reason"] = ex.Details.Count > 0 ? [.. ex.Details] : [ex.Message] },
                detail: ex.Message,
                title: "The incident was not reinstated");
        }

        // Not cancelled with the request: the passwords are replaced already, the old sessions must end now.
        await refresher.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        IReadOnlyList<NamedMailbox> named = passwords.Count == 0 ? [] : await store.ListNamedMailboxesAsync(id, CancellationToken.None).ConfigureAwait(false);
        return TypedResults.Ok(Change(incident, named.Where(m => passwords.ContainsKey(m.Id)).Select(m => m.Address).ToList(), body?.Override is not null));
    }

    /// <summary>Whether the incident exists and the caller may see it: the one answer (404) for both, so another client's ids are not confirmed.</summary>
    private static async Task<bool> VisibleAsync(long id, Caller caller, EnforcementStore store, CancellationToken cancellationToken) =>
        await store.GetIncidentClientIdAsync(id, cancellationToken).ConfigureAwait(false) is { } clientId && caller.CanSee(clientId);

    private static void Part(Dictionary<string, string[]> problems, string field, string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
            problems[field] = [$"{field} is required: {what}."];
        else if (value.Trim().Length < IncidentReport.MinimumLength)
            problems[field] = [$"{field} is too short: at least {IncidentReport.MinimumLength} characters on {what}."];
        else if (value.Trim().Length > EnforcementColumns.ReportPart)
            problems[field] = [$"{field} is too long: at most {EnforcementColumns.ReportPart} characters."];
    }

    private static IReadOnlyList<IncidentAction> Actions(IncidentRecord incident) =>
        Enum.GetValues<IncidentAction>().Where(a => IncidentTransitions.TryApply(incident.State, a, incident.Step, out _, out _)).ToList();

    private static IncidentChange Change(IncidentRecord incident, IReadOnlyList<string>? newPasswords = null, bool overridden = false) => new(
        incident.Id, incident.State, IncidentTransitions.Words(incident.State), Actions(incident), newPasswords ?? [], overridden);

    /// <summary>The client's timeline: the incident's own steps and its suspensions, from the records, without calls or operator names.</summary>
    private static List<TimelineItem> ClientTimeline(IncidentDetail detail)
    {
        var i = detail.Incident;
        var items = new List<TimelineItem> { new(detail.Offense.At, $"Offense: {detail.Offense.Reason}", null) };
        foreach (var s in detail.Suspensions)
        {
            items.Add(new TimelineItem(s.StartedAt, $"{s.Scope.ToString().ToLowerInvariant()} {s.TargetName} {s.Status.ToString().ToLowerInvariant()}: {s.Reason}", null));
            if (s.LiftedAt is { } lifted)
                items.Add(new TimelineItem(lifted, $"{s.Scope.ToString().ToLowerInvariant()} {s.TargetName} may send again", null));
        }

        items.Add(new TimelineItem(i.OpenedAt, "incident opened", null));
        if (i.ReportSubmittedAt is { } submitted)
            items.Add(new TimelineItem(submitted, "report submitted", null));
        if (i.ReviewedAt is { } reviewed)
            items.Add(new TimelineItem(reviewed, i.State == IncidentState.ReportReturned ? "report returned for more" : "report reviewed", null));
        if (i.ReinstatedAt is { } reinstated)
            items.Add(new TimelineItem(reinstated, "reinstated", null));
        if (i.ClosedAt is { } closed)
            items.Add(new TimelineItem(closed, "incident closed", null));
        return items.Select((e, n) => (e, n)).OrderBy(x => x.e.At).ThenBy(x => x.n).Select(x => x.e).ToList();
    }
}
