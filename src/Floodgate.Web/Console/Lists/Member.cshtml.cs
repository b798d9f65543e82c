using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Lists;

/// <summary>A member: the consent record, the history as a timeline, the bounces with their originals.</summary>
public sealed class MemberModel(ListStore store) : ConsolePage
{
    public MemberPanel Panel { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int id, int memberId, CancellationToken cancellationToken)
    {
        if (await ListsApi.FindMemberAsync(store, Caller, id, memberId, cancellationToken) is not { } member)
            return NotFound();
        var list = await store.GetListAsync(id, cancellationToken);
        Panel = new MemberPanel(list, await ListsApi.DetailAsync(store, member, cancellationToken), Caller.Can(AccessPolicies.ManageLists), new ListScreenLinks("/Lists", null));
        return Page();
    }
}
