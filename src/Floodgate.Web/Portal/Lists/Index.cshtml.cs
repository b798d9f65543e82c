using Floodgate.Storage.Lists;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal.Lists;

/// <summary>The client's own lists with their member counts.</summary>
public sealed class IndexModel(ListStore store) : PortalListPage(store)
{
    public ListTable Table { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (ClientId is not { } clientId)
            return NotFound();
        Table = new ListTable(await Store.ListListsAsync(clientId, cancellationToken), Links);
        return Page();
    }
}
