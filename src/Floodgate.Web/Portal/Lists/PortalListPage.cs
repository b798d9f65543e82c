using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Security;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal.Lists;

/// <summary>What the portal's list pages share: the shown client's list or nothing (another client's list is 404), and the flash after a change.</summary>
public abstract class PortalListPage(ListStore store) : PortalPageModel
{
    protected ListStore Store => store;

    public ListScreenLinks Links => new("/Portal/Lists", Caller.IsClientAdministrator ? null : ClientId);

    public bool CanManage => Caller.Can(AccessPolicies.ManageLists);

    /// <summary>The list when it is one of the shown client's; null otherwise.</summary>
    protected async Task<MailingList?> OwnListAsync(int id, CancellationToken cancellationToken)
    {
        if (ClientId is not { } clientId)
            return null;
        try
        {
            var list = await store.GetListAsync(id, cancellationToken);
            return list.ClientId == clientId ? list : null;
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return null;
        }
    }

    /// <summary>Runs a change on one of the client's lists and goes back to the list with what happened.</summary>
    protected async Task<IActionResult> ChangeAsync(int id, Func<Task<string>> change, CancellationToken cancellationToken)
    {
        if (!CanManage)
            return Forbid();
        if (await OwnListAsync(id, cancellationToken) is null)
            return NotFound();
        try
        {
            TempData["Flash"] = await change();
        }
        catch (AccountException ex)
        {
            TempData["Flash"] = "Not done: " + ex.Message;
        }

        return LocalRedirect(Links.To($"/{id}"));
    }
}
