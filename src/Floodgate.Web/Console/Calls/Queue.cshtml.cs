using Floodgate.Storage.Enforcement;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Calls;

/// <summary>The call queue's table alone, for the element that refreshes it (data-refresh).</summary>
public sealed class QueueModel(EnforcementQueries enforcement, TimeProvider time) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public int Limit { get; set; } = IndexModel.Limit;

    public CallTable Table { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(Limit, 1, IndexModel.Limit);
        var calls = await enforcement.OpenCallsAsync(limit, cancellationToken);

        // The dashboard's card asks for fewer, in its compact form.
        Table = new CallTable(calls, time.GetUtcNow(), Compact: limit < IndexModel.Limit, CanRecord: Caller.Can(AccessPolicies.Calls));
    }
}
