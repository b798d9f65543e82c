using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;

namespace Floodgate.Web.Console.Calls;

/// <summary>The call queue: who to call now (earliest due first, overdue in red), and the calls made lately.</summary>
public sealed class IndexModel(EnforcementQueries enforcement, TimeProvider time) : ConsolePage
{
    public const int Limit = 100;

    public CallTable Open { get; private set; } = null!;

    public IReadOnlyList<CallView> Recent { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Open = new CallTable(await enforcement.OpenCallsAsync(Limit, cancellationToken), time.GetUtcNow(), CanRecord: Caller.Can(AccessPolicies.Calls));
        Recent = await enforcement.RecentCallsAsync(20, cancellationToken);
    }
}
