using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal.Lists;

/// <summary>A member of one of the client's lists: its consent record, history and bounces.</summary>
public sealed class MemberModel(ListStore store) : PortalListPage(store)
{
    public MemberPanel Panel { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int id, int memberId, CancellationToken cancellationToken)
    {
        if (await OwnListAsync(id, cancellationToken) is not { } list || await Store.GetMemberAsync(memberId, cancellationToken) is not { } member || member.ListId != id)
            return NotFound();
        Panel = new MemberPanel(list, await ListsApi.DetailAsync(Store, member, cancellationToken), CanManage, Links);
        return Page();
    }
}
