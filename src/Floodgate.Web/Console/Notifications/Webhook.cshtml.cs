using Floodgate.Storage.Accounts;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Notifications;

/// <summary>One webhook endpoint's delivery log: every attempt, newest first, with the answer it got.</summary>
[Authorize(Policy = AccessPolicies.ManageAccounts)]
public sealed class WebhookModel(NotificationStore store) : ConsolePage
{
    public const int PageSize = 100;

    [BindProperty(SupportsGet = true)]
    public long? Before { get; set; }

    public WebhookEndpointView Endpoint { get; private set; } = null!;

    public Storage.Page<AttemptView> Attempts { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken cancellationToken)
    {
        try
        {
            Endpoint = await store.GetEndpointAsync(id, cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return NotFound();
        }

        Attempts = await store.ListEndpointAttemptsAsync(id, Before, PageSize, cancellationToken);
        return Page();
    }
}
