using Floodgate.Storage;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>
/// A suspension (or termination) of a mailbox, domain or client. Who started and lifted it is
/// withheld from client administrators.
/// </summary>
public sealed record SuspensionItem(
    long Id,
    AccountScope Scope,
    int TargetId,
    string TargetName,
    int? ClientId,
    AccountStatus Status,
    string Reason,
    bool Active,
    DateTimeOffset StartedAt,
    string? StartedBy,
    DateTimeOffset? LiftedAt,
    string? LiftedBy,
    string? LiftReason,
    long? OffenseId,
    long? IncidentId);

/// <summary>Suspend or lift by hand: the target and why (the reason of a suspension is shown to the sender).</summary>
public sealed record SuspensionRequest(AccountScope? Scope, int? TargetId, string? Reason);

/// <summary>What a suspension or lift by hand changed.</summary>
public sealed record SuspensionResult(long SuspensionId, AccountScope Scope, int TargetId, string TargetName, AccountStatus From, AccountStatus To);

/// <summary>
/// Current and past suspensions, and suspending and lifting by hand. A change is durable first
/// (EnforcementStore), then the running engine's directory is reloaded at once, so the sender is
/// refused (or admitted) at its next SMTP command, not at the next poll.
/// </summary>
public static class SuspensionsApi
{
    public static RouteGroupBuilder MapSuspensionsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/suspensions").WithTags("Suspensions");
        group.MapGet("/", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("Suspensions of mailboxes, domains and clients, newest first");
        group.MapPost("/", SuspendAsync).RequireAuthorization(AccessPolicies.Enforce)
            .WithSummary("Suspend a mailbox, domain or client by hand (no incident is opened)");
        group.MapPost("/lift", LiftAsync).RequireAuthorization(AccessPolicies.Enforce)
            .WithSummary("Lift the suspension of a mailbox, domain or client by hand (an incident is not moved: close it separately)");
        return api;
    }

    internal static SuspensionItem ToItem(SuspensionView view, bool redacted)
    {
        var s = view.Suspension;
        return new SuspensionItem(
            s.Id, s.Scope, s.TargetId, s.TargetName, view.ClientId, s.Status, s.Reason, s.IsActive,
            s.StartedAt, redacted ? null : s.StartedBy, s.LiftedAt, redacted ? null : s.LiftedBy, s.LiftReason, s.OffenseId, view.IncidentId);
    }

    private static async Task<Results<Ok<Page<SuspensionItem>>, ValidationProblem>> ListAsync(
        Caller caller,
        EnforcementStore store,
        AccountScope? scope,
        int? targetId,
        int? clientId,
        bool? active,
        string? cursor,
        int? limit,
        CancellationToken cancellationToken)
    {
        if (!EnforcementPaging.TryRead(cursor, limit, out var before, out var take, out var problem))
            return problem!;
        if (scope is { } sc && !Enum.IsDefined(sc))
            return ApiGroup.Invalid("scope", "scope must be Mailbox, Domain or Client.");
        if (clientId is { } asked && !caller.CanSee(asked))
            return TypedResults.Ok(new Page<SuspensionItem>([], null));

        var rows = await store.ListSuspensionsAsync(
            new SuspensionQuery(scope, targetId, caller.ClientScope ?? clientId, active, before, take + 1), cancellationToken).ConfigureAwait(false);
        var (items, next) = EnforcementPaging.Page(rows, take, s => s.Suspension.Id);
        var redacted = caller.Redacts();
        return TypedResults.Ok(new Page<SuspensionItem>(items.Select(s => ToItem(s, redacted)).ToList(), next));
    }

    private static Task<Results<Ok<SuspensionResult>, ValidationProblem>> SuspendAsync(
        SuspensionRequest? body, Caller caller, EnforcementStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken) =>
        ChangeAsync(body, "suspend", (scope, id, reason) => store.SuspendAsync(scope, id, reason, caller.Actor, cancellationToken), refresher, cancellationToken);

    private static Task<Results<Ok<SuspensionResult>, ValidationProblem>> LiftAsync(
        SuspensionRequest? body, Caller caller, EnforcementStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken) =>
        ChangeAsync(body, "lift", (scope, id, reason) => store.LiftAsync(scope, id, reason, caller.Actor, cancellationToken), refresher, cancellationToken);

    private static async Task<Results<Ok<SuspensionResult>, ValidationProblem>> ChangeAsync(
        SuspensionRequest? body,
        string verb,
        Func<AccountScope, int, string, Task<SuspensionChange>> change,
        IDirectoryRefresher refresher,
        CancellationToken cancellationToken)
    {
        if (body?.Scope is not { } scope || !Enum.IsDefined(scope))
            return ApiGroup.Invalid("scope", "scope is required: Mailbox, Domain or Client.");
        if (body.TargetId is not { } targetId || targetId < 1)
            return ApiGroup.Invalid("targetId", $"targetId is required: the id of the {scope.ToString().ToLowerInvariant()} to {verb}.");
        if (string.IsNullOrWhiteSpace(body.Reason))
        {
            return ApiGroup.Invalid("reason", verb == "lift"
                ? "reason is required: say why it may send again (it is audited)."
                : "reason is required: say why it is suspended (the sender is shown it).");
        }

        var done = await change(scope, targetId, body.Reason).ConfigureAwait(false);

        // Durable already; the reload makes the directory refuse (or admit) the sender at its next command.
        // Not cancelled with the request: a caller that went away must not leave it to the next poll.
        await refresher.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        return TypedResults.Ok(new SuspensionResult(done.SuspensionId, done.Scope, done.TargetId, done.TargetName, done.From, done.To));
    }
}
