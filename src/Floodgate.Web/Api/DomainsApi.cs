using Floodgate.Core.Accounts;
using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>Filters of <c>GET /domains</c>: client, status, search text (part of the name), page.</summary>
public sealed record DomainListQuery(int? ClientId, string? Status, string? Search, long? Cursor, int? Limit);

/// <summary>Mail domains, each owned by one client. A client administrator sees its own client's only.</summary>
public static class DomainsApi
{
    public static RouteGroupBuilder MapDomainsApi(this RouteGroupBuilder api)
    {
        var domains = api.MapGroup("/domains").WithTags("Domains");
        domains.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("List domains");
        domains.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A domain with its client, contact, plan and limits");
        domains.MapPost("", CreateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Add a domain to a client");
        domains.MapPatch("/{id:int}", UpdateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Turn mailboxes created on first sight on or off for a domain");
        return api;
    }

    private static async Task<Results<Ok<Page<DomainView>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [AsParameters] DomainListQuery query, Caller caller, AccountStore store, CancellationToken cancellationToken)
    {
        var problems = new QueryProblems();
        var status = problems.Enum<AccountStatus>(query.Status, "status");
        var limit = problems.Limit(query.Limit);
        if (problems.Any)
            return problems.Problem();
        if (!ClientScope.TryApply(caller, query.ClientId, out var clientId))
            return ApiGroup.NotFound($"client {query.ClientId}");
        var page = await store.QueryDomainsAsync(new AccountQuery(ClientId: clientId, Status: status, Search: query.Search, Cursor: query.Cursor, Limit: limit), cancellationToken);
        return TypedResults.Ok(page.Map(DomainView.Of));
    }

    private static async Task<Results<Ok<DomainView>, ProblemHttpResult>> GetAsync(int id, Caller caller, AccountStore store, CancellationToken cancellationToken) =>
        await FindAsync(store, caller, id, cancellationToken) is { } view ? TypedResults.Ok(view) : ApiGroup.NotFound($"domain {id}");

    private static async Task<Results<Created<DomainView>, ValidationProblem>> CreateAsync(
        DomainCreate body, Caller caller, AccountStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        if (body.ClientId is not { } clientId)
            return ApiGroup.Invalid("clientId", "clientId is required: the id of the client that owns the domain.");
        if (await ClientsApi.FindAsync(store, clientId, cancellationToken) is null)
            return ApiGroup.Invalid("clientId", $"There is no client {clientId}.");
        var domain = await store.AddDomainAsync(clientId, body.Name ?? "", caller.Actor, cancellationToken);
        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.Created($"{ApiGroup.Prefix}/domains/{domain.Id}", DomainView.Of(await store.GetDomainAsync(domain.Id, cancellationToken)));
    }

    private static async Task<Results<Ok<DomainView>, ProblemHttpResult>> UpdateAsync(
        int id, DomainUpdate body, Caller caller, AccountStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, caller, id, cancellationToken) is null)
            return ApiGroup.NotFound($"domain {id}");
        if (body.AutoCreateMailboxes is { } autoCreate)
        {
            await store.SetAutoCreateMailboxesAsync(id, autoCreate, caller.Actor, cancellationToken);
            await refresher.RefreshAsync(cancellationToken);
        }

        return TypedResults.Ok((await FindAsync(store, caller, id, cancellationToken))!);
    }

    /// <summary>The domain when it exists and the caller may see its client; null otherwise (both answer 404).</summary>
    internal static async Task<DomainView?> FindAsync(AccountStore store, Caller caller, int id, CancellationToken cancellationToken)
    {
        var page = await store.QueryDomainsAsync(new AccountQuery(ClientId: caller.ClientScope, DomainId: id, Limit: 1), cancellationToken);
        return page.Items.Count == 1 ? DomainView.Of(page.Items[0]) : null;
    }
}
