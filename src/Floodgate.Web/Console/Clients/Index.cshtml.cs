using Floodgate.Storage.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Clients;

/// <summary>Clients, searched by name, contact, domain or mailbox, 50 a page; mailboxes that match the search above them.</summary>
public sealed class IndexModel(AccountSearch search) : ConsolePage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Query { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public Paged<ClientRow> Clients { get; private set; } = null!;

    public IReadOnlyList<MailboxRow> Mailboxes { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Clients = await search.ClientsAsync(Query, PageNumber, PageSize, cancellationToken);
        if (!string.IsNullOrWhiteSpace(Query) && PageNumber <= 1)
            Mailboxes = await search.FindMailboxesAsync(Query, 20, cancellationToken);
    }
}
