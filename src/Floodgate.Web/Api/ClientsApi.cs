using Floodgate.Core.Accounts;
using Floodgate.Storage;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>Filters of <c>GET /clients</c>: status (Active, Disabled, Suspended, Terminated), search text, page.</summary>
public sealed record ClientListQuery(string? Status, string? Search, long? Cursor, int? Limit);

/// <summary>
/// Clients: the provider's customer organisations with their primary contact and plan. A client
/// administrator sees its own client only. Status changes are suspensions (EnforcementApi), not here.
/// </summary>
public static class ClientsApi
{
    public static RouteGroupBuilder MapClientsApi(this RouteGroupBuilder api)
    {
        var clients = api.MapGroup("/clients").WithTags("Clients");
        clients.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("List clients");
        clients.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A client with its contact, plan and limits");
        clients.MapPost("", CreateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Add a client");
        clients.MapPatch("/{id:int}", UpdateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Change a client's name, contact or plan");
        return api;
    }

    private static async Task<Results<Ok<Page<ClientView>>, ValidationProblem>> ListAsync(
        [AsParameters] ClientListQuery query, Caller caller, AccountStore store, CancellationToken cancellationToken)
    {
        var problems = new QueryProblems();
        var status = problems.Enum<AccountStatus>(query.Status, "status");
        var limit = problems.Limit(query.Limit);
        if (problems.Any)
            return problems.Problem();
        var page = await store.QueryClientsAsync(new AccountQuery(ClientId: caller.ClientScope, Status: status, Search: query.Search, Cursor: query.Cursor, Limit: limit), cancellationToken);
        return TypedResults.Ok(page.Map(ClientView.Of));
    }

    private static async Task<Results<Ok<ClientView>, ProblemHttpResult>> GetAsync(int id, Caller caller, AccountStore store, CancellationToken cancellationToken) =>
        caller.CanSee(id) && await FindAsync(store, id, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : ApiGroup.NotFound($"client {id}");

    private static async Task<Results<Created<ClientView>, ValidationProblem>> CreateAsync(
        ClientCreate body, Caller caller, AccountStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        string? plan = null;
        if (body.PlanId is { } planId)
        {
            if (await PlansApi.FindAsync(store, planId, cancellationToken) is not { } found)
                return ApiGroup.Invalid("planId", $"There is no plan {planId}.");
            plan = found.Name;
        }

        var client = await store.AddClientAsync(new NewClient(body.Name ?? "", body.ContactName ?? "", body.ContactPhone ?? "", body.ContactEmail ?? "", plan), caller.Actor, cancellationToken);
        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.Created($"{ApiGroup.Prefix}/clients/{client.Id}", await FindAsync(store, client.Id, cancellationToken));
    }

    private static async Task<Results<Ok<ClientView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        int id, ClientUpdate body, Caller caller, AccountStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, id, cancellationToken) is null)
            return ApiGroup.NotFound($"client {id}");
        if (body.PlanId is { } planId && await PlansApi.FindAsync(store, planId, cancellationToken) is null)
            return ApiGroup.Invalid("planId", $"There is no plan {planId}.");
        await store.UpdateClientAsync(id, new ClientChange(body.Name, body.ContactName, body.ContactPhone, body.ContactEmail, body.PlanId), caller.Actor, cancellationToken);
        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.Ok((await FindAsync(store, id, cancellationToken))!);
    }

    internal static async Task<ClientView?> FindAsync(AccountStore store, int id, CancellationToken cancellationToken)
    {
        var page = await store.QueryClientsAsync(new AccountQuery(ClientId: id, Limit: 1), cancellationToken);
        return page.Items.Count == 1 ? ClientView.Of(page.Items[0]) : null;
    }
}
