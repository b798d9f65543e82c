using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

public sealed record ContactAttemptItem(DateTimeOffset At, ContactOutcome Outcome, string? Notes, string By);

/// <summary>
/// One call to make (or made): whom, at which number, by when. <paramref name="SecondsLeft"/> is the
/// time left on the SLA at the server's clock, negative once overdue; null once done.
/// </summary>
public sealed record ContactTaskItem(
    long Id,
    long IncidentId,
    int ClientId,
    string ClientName,
    string ContactName,
    string ContactPhone,
    string ContactEmail,
    DateTimeOffset OpenedAt,
    DateTimeOffset DueAt,
    long? SecondsLeft,
    bool Overdue,
    DateTimeOffset? DoneAt,
    ContactOutcome? Outcome,
    string? Notes,
    string? DoneBy,
    IReadOnlyList<ContactAttemptItem> Attempts);

/// <param name="NextOffset">Give it as <c>offset</c> for the next page; null on the last page.</param>
public sealed record ContactTaskList(IReadOnlyList<ContactTaskItem> Items, int? NextOffset);

/// <summary>A call: how it went and what was said. Reached or LeftMessage completes the task.</summary>
public sealed record CallRequest(ContactOutcome? Outcome, string? Notes);

/// <summary>
/// The call queue: the client's primary contact is called shortly after a suspension. Operators only
/// (administrators, the abuse desk, support); client administrators have no part in it.
/// </summary>
public static class ContactTasksApi
{
    public static RouteGroupBuilder MapContactTasksApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/contact-tasks").WithTags("Contact tasks");
        group.MapGet("/", ListAsync).RequireAuthorization(AccessPolicies.Calls)
            .WithSummary("The call queue: open contact tasks by due time, the most urgent first (all=true: done ones too)");
        group.MapPost("/{id:long}/calls", CallAsync).RequireAuthorization(AccessPolicies.Calls)
            .WithSummary("Record a call and its outcome; reached or left-message completes the task");
        return api;
    }

    internal static ContactTaskItem ToItem(ContactTaskView t, DateTimeOffset now) => new(
        t.Id, t.IncidentId, t.ClientId, t.ClientName, t.ContactName, t.ContactPhone, t.ContactEmail, t.OpenedAt, t.DueAt,
        t.DoneAt is null ? (long)Math.Floor((t.DueAt - now).TotalSeconds) : null,
        t.IsOverdue, t.DoneAt, t.Outcome, t.Notes, t.DoneBy,
        t.Attempts.Select(a => new ContactAttemptItem(a.At, a.Outcome, a.Notes, a.By)).ToList());

    /// <summary>By due time, the most urgent first: the queue reads from the top. A due time does not make a stable cursor (ties), so pages go by offset.</summary>
    private static async Task<Results<Ok<ContactTaskList>, ValidationProblem>> ListAsync(
        EnforcementStore store, TimeProvider time, bool? all, int? offset, int? limit, CancellationToken cancellationToken)
    {
        var take = limit ?? EnforcementPaging.DefaultLimit;
        if (take is < 1 or > EnforcementStore.MaxPage)
            return ApiGroup.Invalid("limit", $"limit must be between 1 and {EnforcementStore.MaxPage}.");
        if (offset is < 0)
            return ApiGroup.Invalid("offset", "offset must be 0 or more: the nextOffset of the page before.");

        var skip = offset ?? 0;
        var rows = await store.ListContactTasksAsync(openOnly: all != true, skip, take + 1, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        return TypedResults.Ok(new ContactTaskList(rows.Take(take).Select(t => ToItem(t, now)).ToList(), rows.Count > take ? skip + take : null));
    }

    private static async Task<Results<Ok<ContactTaskItem>, ValidationProblem>> CallAsync(
        long id, CallRequest? body, Caller caller, EnforcementStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (body?.Outcome is not { } outcome || !Enum.IsDefined(outcome))
            return ApiGroup.Invalid("outcome", "outcome is required: Reached, LeftMessage, NoAnswer or WrongNumber.");
        var task = await store.RecordContactAsync(id, outcome, body.Notes, caller.Actor, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(ToItem(task, time.GetUtcNow()));
    }
}
