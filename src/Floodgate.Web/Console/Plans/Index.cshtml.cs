using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;

namespace Floodgate.Web.Console.Plans;

/// <summary>The plans and their limits (edited by policy ManageAccounts), and the policy settings the server runs with.</summary>
public sealed class IndexModel(AccountStore accounts, DetectionOptions detection, LadderOptions ladder, ContactTaskOptions calls, PolicyOptions policy) : ConsolePage
{
    public IReadOnlyList<Plan> Plans { get; private set; } = [];

    public bool CanEdit => Caller.Can(AccessPolicies.ManageAccounts);

    public DetectionOptions Detection => detection;

    public LadderOptions Ladder => ladder;

    public ContactTaskOptions CallOptions => calls;

    public PolicyOptions Policy => policy;

    public async Task OnGetAsync(CancellationToken cancellationToken) => Plans = await accounts.ListPlansAsync(cancellationToken);
}
