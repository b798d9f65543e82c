using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Plans;

/// <summary>A plan's limits, edited (policy ManageAccounts); the running server applies them at once.</summary>
[Authorize(Policy = AccessPolicies.ManageAccounts)]
public sealed class EditModel(AccountStore accounts, IDirectoryRefresher refresher) : ConsolePage
{
    public Plan Plan { get; private set; } = null!;

    [BindProperty]
    public PlanLimits Limits { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken cancellationToken)
    {
        if ((await accounts.ListPlansAsync(cancellationToken)).FirstOrDefault(p => p.Id == id) is not { } plan)
            return NotFound();
        Plan = plan;
        Limits = plan.Limits;
        return Page();
    }

    public Task<IActionResult> OnPostAsync(int id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.ManageAccounts, async () =>
        {
            await accounts.UpdatePlanLimitsAsync(id, Limits, Caller.Actor, cancellationToken);
            await refresher.RefreshAsync(cancellationToken);
        }, "The plan's limits were changed.", "/Plans");
}
