using Floodgate.Storage.Enforcement;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Portal;

/// <summary>Why a mailbox is suspended: what was sent, when, to how many, which signals fired, and what happened since.</summary>
public sealed class MailboxModel(ClientEnforcementQueries queries) : PortalPageModel
{
    public ClientMailboxDetail Detail { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken cancellationToken)
    {
        if (ClientId is not { } clientId || await queries.GetMailboxAsync(clientId, id, cancellationToken) is not { } detail)
            return NotFound();
        Detail = detail;
        return Page();
    }
}
