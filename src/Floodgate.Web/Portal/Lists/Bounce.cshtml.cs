using Floodgate.Storage.Lists;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal.Lists;

/// <summary>A kept bounce about one of the client's lists, as text/plain.</summary>
public sealed class BounceModel(ListStore store) : PortalListPage(store)
{
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await Store.ListOfBounceAsync(id, cancellationToken) is not { } listId || await OwnListAsync(listId, cancellationToken) is null
            || await Store.GetBounceMessageAsync(id, cancellationToken) is not { } bounce)
            return NotFound();
        return Content(ListForms.AsText(bounce), "text/plain; charset=utf-8");
    }
}
