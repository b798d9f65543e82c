using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Floodgate.Web.Security;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Lists;

/// <summary>A list: its members by status, recent posts, and (for those who may) its settings and an import.</summary>
public sealed class DetailModel(ListStore store, ListService lists, ListLinks links) : ConsolePage
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
        MailingList list;
        try
        {
            list = await store.GetListAsync(id, cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return NotFound();
        }

        Panel = await ListPanel.LoadAsync(store, links, list, Status, Search, Cursor, Caller.Can(AccessPolicies.ManageLists), new ListScreenLinks("/Lists", null), cancellationToken);
        return Page();
    }

    public Task<IActionResult> OnPostSettingsAsync(int id, string? name, string? description, string? posters, int? pendingLifetimeHours, bool closed, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.ManageLists, () => ListForms.SaveSettingsAsync(store, id, name, description, posters, pendingLifetimeHours, closed, Caller.Actor, cancellationToken), "The list's settings are saved.", $"/Lists/{id}");

    public async Task<IActionResult> OnPostImportAsync(int id, string? source, string? addresses, CancellationToken cancellationToken)
    {
        if (Refuse(AccessPolicies.ManageLists) is { } refused)
            return refused;
        try
        {
            Flash(await ListForms.ImportAsync(lists, id, source, addresses, Caller.Actor, cancellationToken));
        }
        catch (AccountException ex)
        {
            Flash("Not done: " + ex.Message);
        }

        return LocalRedirect($"/Lists/{id}");
    }

    public Task<IActionResult> OnPostUnsubscribeAsync(int id, int memberId, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.ManageLists, async () =>
        {
            if (!await ListForms.UnsubscribeAsync(store, id, memberId, Caller.Actor, cancellationToken))
                throw new AccountException(AccountError.NotFound, "That member is not on this list.");
        }, "The member is unsubscribed.", $"/Lists/{id}");
}
