using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Operators;

/// <summary>The web accounts (operators and client administrators): add with a role, change the role, disable or enable, set a new password. Policy Administer.</summary>
[Authorize(Policy = AccessPolicies.Administer)]
public sealed class IndexModel(AccessStore access) : ConsolePage
{
    public IReadOnlyList<WebUserView> Users { get; private set; } = [];

    [BindProperty]
    public string? Login { get; set; }

    [BindProperty]
    public string? DisplayName { get; set; }

    [BindProperty]
    public WebRole Role { get; set; } = WebRole.ReadOnly;

    [BindProperty]
    public int? ClientId { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => Users = await access.ListUsersAsync(cancellationToken: cancellationToken);

    public Task<IActionResult> OnPostAddAsync(CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Administer,
            () => access.AddUserAsync(new NewWebUser(Login ?? string.Empty, DisplayName ?? string.Empty, Role, Password ?? string.Empty, ClientId), Caller.Actor, cancellationToken),
            $"The account {Login?.Trim().ToLowerInvariant()} was created.", "/Operators");

    public Task<IActionResult> OnPostDisableAsync(int id, bool disabled, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Administer, () =>
        {
            // Locking oneself out leaves nobody to undo it when one administrator runs the console.
            if (disabled && Caller.UserId == id)
                throw new AccountException(AccountError.Invalid, "You cannot disable your own account; another administrator can.");
            return access.SetDisabledAsync(id, disabled, Caller.Actor, cancellationToken);
        }, disabled ? "The account was disabled; its sessions ended." : "The account was enabled.", "/Operators");

    public Task<IActionResult> OnPostRoleAsync(int id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Administer, () =>
        {
            // The same reason as for disabling: the last administrator demoting itself leaves nobody to undo it.
            if (Caller.UserId == id && Role != WebRole.Administrator)
                throw new AccountException(AccountError.Invalid, "You cannot take the Administrator role from your own account; another administrator can.");
            return access.SetRoleAsync(id, Role, Role == WebRole.ClientAdministrator ? ClientId : null, Caller.Actor, cancellationToken);
        }, $"The role is now {Role}; the account's sessions ended.", "/Operators");

    public Task<IActionResult> OnPostPasswordAsync(int id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Administer, () => access.SetPasswordAsync(id, Password ?? string.Empty, Caller.Actor, cancellationToken),
            "The password was set; the account's sessions ended.", "/Operators");
}
