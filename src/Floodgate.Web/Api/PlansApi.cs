using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>
/// Plans: named sets of limits, assigned to clients (<c>PATCH /clients/{id}</c> with a planId). A client
/// administrator sees its own client's plan only. Few, so listed whole.
/// </summary>
public static class PlansApi
{
    public static RouteGroupBuilder MapPlansApi(this RouteGroupBuilder api)
    {
        var plans = api.MapGroup("/plans").WithTags("Plans");
        plans.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("List plans and their limits");
        plans.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("A plan and its limits");
        plans.MapPost("", CreateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Add a plan; limits left out take the built-in defaults");
        plans.MapPatch("/{id:int}", UpdateAsync).RequireAuthorization(AccessPolicies.ManageAccounts).WithSummary("Change a plan's limits; limits left out stay");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<PlanView>>> ListAsync(Caller caller, AccountStore store, CancellationToken cancellationToken)
    {
        var own = await OwnPlanIdAsync(store, caller, cancellationToken);
        var plans = await store.ListPlansAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<PlanView>>(plans.Where(p => !caller.IsClientAdministrator || p.Id == own).Select(p => PlanView.Of(p)!).ToList());
    }

    private static async Task<Results<Ok<PlanView>, ProblemHttpResult>> GetAsync(int id, Caller caller, AccountStore store, CancellationToken cancellationToken)
    {
        if (caller.IsClientAdministrator && await OwnPlanIdAsync(store, caller, cancellationToken) != id)
            return ApiGroup.NotFound($"plan {id}");
        return await FindAsync(store, id, cancellationToken) is { } plan ? TypedResults.Ok(PlanView.Of(plan)!) : ApiGroup.NotFound($"plan {id}");
    }

    private static async Task<Results<Created<PlanView>, ValidationProblem>> CreateAsync(
        PlanCreate body, Caller caller, AccountStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        var limits = body.Limits?.Over(new PlanLimits()) ?? new PlanLimits();
        var plan = await store.AddPlanAsync(body.Name ?? "", limits, caller.Actor, cancellationToken);
        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.Created($"{ApiGroup.Prefix}/plans/{plan.Id}", PlanView.Of(plan)!);
    }

    private static async Task<Results<Ok<PlanView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        int id, PlanUpdate body, Caller caller, AccountStore store, IDirectoryRefresher refresher, CancellationToken cancellationToken)
    {
        if (await FindAsync(store, id, cancellationToken) is not { } plan)
            return ApiGroup.NotFound($"plan {id}");
        if (body.Limits is not { } change)
            return ApiGroup.Invalid("limits", "limits is required: the limits to change, e.g. {\"limits\":{\"mailbox\":{\"messagesPerHour\":300}}}.");
        await store.UpdatePlanLimitsAsync(id, change.Over(plan.Limits), caller.Actor, cancellationToken);

        // The engine enforces the new limits from the next recipient on.
        await refresher.RefreshAsync(cancellationToken);
        return TypedResults.Ok(PlanView.Of(await store.GetPlanAsync(id, cancellationToken))!);
    }

    internal static async Task<Plan?> FindAsync(AccountStore store, int id, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetPlanAsync(id, cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return null;
        }
    }

    /// <summary>The plan of a client administrator's client; null for an operator.</summary>
    private static async Task<int?> OwnPlanIdAsync(AccountStore store, Caller caller, CancellationToken cancellationToken) =>
        caller.ClientScope is { } clientId ? (await ClientsApi.FindAsync(store, clientId, cancellationToken))?.Plan?.Id : null;
}
