using Floodgate.Storage;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>One offense in a list. The score is withheld from client administrators.</summary>
public sealed record OffenseListItem(
    long Id,
    DateTimeOffset At,
    int ClientId,
    string ClientName,
    int MailboxId,
    string MailboxAddress,
    LadderStep Step,
    string Source,
    string Reason,
    double? Score,
    long? IncidentId);

/// <summary>
/// Offenses and their evidence: what the detector (or an operator) found. Read-only; a client
/// administrator sees only its client's, in the client's view (<see cref="EnforcementViews"/>).
/// </summary>
public static class OffensesApi
{
    public static RouteGroupBuilder MapOffensesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/offenses").WithTags("Offenses");
        group.MapGet("/", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("Offenses, newest first, filtered by client, mailbox and time");
        group.MapGet("/{id:long}", GetAsync).RequireAuthorization(AccessPolicies.ReadScoped)
            .WithSummary("One offense with its evidence: the near-duplicate messages and the signals that fired");
        return api;
    }

    private static async Task<Results<Ok<Page<OffenseListItem>>, ValidationProblem>> ListAsync(
        Caller caller,
        EnforcementStore store,
        int? clientId,
        int? mailboxId,
        DateTimeOffset? since,
        DateTimeOffset? until,
        string? cursor,
        int? limit,
        CancellationToken cancellationToken)
    {
        if (!EnforcementPaging.TryRead(cursor, limit, out var before, out var take, out var problem))
            return problem!;
        if (since is { } s && until is { } u && u <= s)
            return ApiGroup.Invalid("until", "until must be later than since.");

        // A client administrator asking for another client gets what it may see of it: nothing.
        if (clientId is { } asked && !caller.CanSee(asked))
            return TypedResults.Ok(new Page<OffenseListItem>([], null));

        var rows = await store.ListOffensesAsync(
            new OffenseQuery(caller.ClientScope ?? clientId, mailboxId, since, until, before, take + 1), cancellationToken).ConfigureAwait(false);
        var (items, next) = EnforcementPaging.Page(rows, take, o => o.Id);
        var redacted = caller.Redacts();
        return TypedResults.Ok(new Page<OffenseListItem>(
            items.Select(o => new OffenseListItem(o.Id, o.At, o.ClientId, o.ClientName, o.MailboxId, o.MailboxAddress, o.Step, o.Source, o.Reason,
                redacted ? null : o.Score, o.IncidentId)).ToList(),
            next));
    }

    private static async Task<Results<Ok<OffenseEvidence>, ProblemHttpResult>> GetAsync(long id, Caller caller, EnforcementStore store, CancellationToken cancellationToken)
    {
        OffenseView view;
        try
        {
            view = await store.GetOffenseAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (EnforcementException ex) when (ex.Error == EnforcementError.NotFound)
        {
            return ApiGroup.NotFound($"offense {id}");
        }

        return caller.CanSee(view.Offense.ClientId)
            ? TypedResults.Ok(EnforcementViews.Offense(view, caller.Redacts()))
            : ApiGroup.NotFound($"offense {id}");
    }
}
