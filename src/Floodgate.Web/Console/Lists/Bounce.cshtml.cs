using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Lists;

/// <summary>A kept bounce as it was received, shown as text/plain (nothing in it is rendered or run).</summary>
public sealed class BounceModel(ListStore store) : ConsolePage
{
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken) =>
        await ListsApi.FindBounceAsync(store, Caller, id, cancellationToken) is { } bounce
            ? Content(ListForms.AsText(bounce), "text/plain; charset=utf-8")
            : NotFound();
}
