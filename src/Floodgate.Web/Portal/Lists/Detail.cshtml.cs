using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal.Lists;

/// <summary>One of the client's lists: members, posts, settings, import.</summary>
public sealed class DetailModel(ListStore store, ListService lists, ListLinks links) : PortalListPage(store)
{
    [BindProperty(SupportsGet = true, Name = "status")]
    public MemberStatus? Status { get; set; }

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    [BindProperty(SupportsGet = true, Name = "cursor")]
    public long? Cursor { get; set; }

    public ListPanel Panel { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken cancellationToken)
    {
        if (await OwnListAsync(id, cancellationToken) is not { } list)
            return NotFound();
        Panel = await ListPanel.LoadAsync(Store, links, list, Status, Search, Cursor, CanManage, Links, cancellationToken);
        return Page();
    }

    public Task<IActionResult> OnPostSettingsAsync(int id, string? name, string? description, string? posters, int? pendingLifetimeHours, bool closed, CancellationToken cancellationToken) =>
        ChangeAsync(id, async () =>
        {
            await ListForms.SaveSettingsAsync(Store, id, name, description, posters, pendingLifetimeHours, closed, Caller.Actor, cancellationToken);
            return "The list's settings are saved.";
        }, cancellationToken);

    public Task<IActionResult> OnPostImportAsync(int id, string? source, string? addresses, CancellationToken cancellationToken) =>
        ChangeAsync(id, () => ListForms.ImportAsync(lists, id, source, addresses, Caller.Actor, cancellationToken), cancellationToken);

    public Task<IActionResult> OnPostUnsubscribeAsync(int id, int memberId, CancellationToken cancellationToken) =>
        ChangeAsync(id, async () => await ListForms.UnsubscribeAsync(Store, id, memberId, Caller.Actor, cancellationToken)
            ? "The member is unsubscribed."
            : throw new AccountException(AccountError.NotFound, "That member is not on this list."), cancellationToken);
}
