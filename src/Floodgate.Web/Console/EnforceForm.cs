using Floodgate.Core.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console;

/// <summary>The suspend-or-lift form of an account page.</summary>
public sealed record EnforceForm(AccountScope Scope, int Id, string Name, AccountStatus Status);

/// <summary>
/// What the account pages (client, domain, mailbox) share: their suspend and lift handlers. The change
/// goes through <see cref="EnforcementStore"/> (audited as the caller), then the directory is reloaded so
/// the doors refuse or admit the sender at once rather than at the next poll.
/// </summary>
public abstract class AccountPage(EnforcementStore store, IDirectoryRefresher refresher) : ConsolePage
{
    [BindProperty]
    public string? Reason { get; set; }

    protected abstract AccountScope Scope { get; }

    public bool CanEnforce => Caller.Can(AccessPolicies.Enforce);

    /// <summary>For a page's own changes: the engine sees them before the page answers.</summary>
    protected IDirectoryRefresher Refresher => refresher;

    public Task<IActionResult> OnPostSuspendAsync(int id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Enforce, async () =>
        {
            await store.SuspendAsync(Scope, id, Reason ?? string.Empty, Caller.Actor, cancellationToken);
            await refresher.RefreshAsync(cancellationToken);
        }, $"Suspended: {Reason?.Trim()}", Request.Path);

    public Task<IActionResult> OnPostLiftAsync(int id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Enforce, async () =>
        {
            await store.LiftAsync(Scope, id, Reason ?? string.Empty, Caller.Actor, cancellationToken);
            await refresher.RefreshAsync(cancellationToken);
        }, "The suspension was lifted.", Request.Path);
}
