using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.ApiKeys;

/// <summary>API keys: their last use, a new key (its token shown once, on the answer to the POST, never stored), revocation. Policy Administer.</summary>
[Authorize(Policy = AccessPolicies.Administer)]
public sealed class IndexModel(AccessStore access) : ConsolePage
{
    public IReadOnlyList<ApiKeyView> Keys { get; private set; } = [];

    /// <summary>Set only on the page that answers the creation.</summary>
    public CreatedApiKey? Created { get; private set; }

    public string? Error { get; private set; }

    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public WebRole Role { get; set; } = WebRole.ReadOnly;

    [BindProperty]
    public int? ClientId { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => Keys = await access.ListApiKeysAsync(cancellationToken);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            Error = "The API key was not created: choose one of the roles listed.";
        }
        else
        {
            try
            {
                // The token goes out in this answer only: no redirect, no TempData cookie that would carry it.
                Created = await access.CreateApiKeyAsync(Name ?? string.Empty, Role, ClientId, Caller.Actor, cancellationToken);
                Response.Headers.CacheControl = "no-store";
            }
            catch (AccountException ex)
            {
                Error = ex.Message;
            }
        }

        Keys = await access.ListApiKeysAsync(cancellationToken);
        return Page();
    }

    public Task<IActionResult> OnPostRevokeAsync(int id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Administer, () => access.RevokeApiKeyAsync(id, Caller.Actor, cancellationToken),
            $"The API key {id} was revoked.", "/ApiKeys");
}
