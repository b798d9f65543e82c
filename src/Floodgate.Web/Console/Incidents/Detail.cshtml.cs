using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Incidents;

/// <summary>
/// One incident: its timeline, the offense's evidence, the calls, the client's three-part report, and
/// the actions its state allows (return, accept, reinstate, close) for policy Enforce.
/// </summary>
public sealed class DetailModel(EnforcementStore store, AccountStore accounts, IDirectoryRefresher refresher, TimeProvider time) : ConsolePage
{
    public DateTimeOffset Now { get; private set; }

    public IncidentDetail Detail { get; private set; } = null!;

    public bool CanEnforce => Caller.Can(AccessPolicies.Enforce);

    [BindProperty]
    public string? Note { get; set; }

    [BindProperty]
    public string? NewPassword { get; set; }

    [BindProperty]
    public string? OverrideReason { get; set; }

    /// <summary>Whether the incident's state allows <paramref name="action"/> (the table of <see cref="IncidentTransitions"/>).</summary>
    public bool Allows(IncidentAction action) =>
        IncidentTransitions.TryApply(Detail.Incident.State, action, Detail.Incident.Step, out _, out _);

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            Detail = await store.GetIncidentAsync(id, cancellationToken);
            Now = time.GetUtcNow();
        }
        catch (EnforcementException ex) when (ex.Error == EnforcementError.NotFound)
        {
            return NotFound();
        }

        return Page();
    }

    public Task<IActionResult> OnPostReturnAsync(long id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Enforce, () => store.ReturnReportAsync(id, Note ?? string.Empty, Caller.Actor, cancellationToken),
            "The report was returned to the client.", Back(id));

    public Task<IActionResult> OnPostAcceptAsync(long id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Enforce, () => store.AcceptReportAsync(id, Note, Caller.Actor, cancellationToken),
            "The report was accepted; the incident can be reinstated.", Back(id));

    public Task<IActionResult> OnPostCloseAsync(long id, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.Enforce, () => store.CloseAsync(id, Note ?? string.Empty, Caller.Actor, cancellationToken),
            "The incident was closed; the suspension stays.", Back(id));

    /// <summary>
    /// Reinstates with a new password for the mailbox (whoever sent with the old one is most likely
    /// not its owner) or, by exception, with an override and its reason.
    /// </summary>
    public Task<IActionResult> OnPostReinstateAsync(long id, CancellationToken cancellationToken)
    {
        var password = string.IsNullOrEmpty(NewPassword) ? null : NewPassword;
        var overrideReason = string.IsNullOrWhiteSpace(OverrideReason) ? null : OverrideReason.Trim();
        return ChangeAsync(AccessPolicies.Enforce, async () =>
        {
            if ((password is null) == (overrideReason is null))
                throw new EnforcementException(EnforcementError.Invalid,
                    "Give the mailbox a new password (NewPassword), or reinstate without one by giving the reason for the override (OverrideReason); not both.");
            var detail = await store.GetIncidentAsync(id, cancellationToken);
            if (!IncidentTransitions.TryApply(detail.Incident.State, IncidentAction.Reinstate, detail.Incident.Step, out _, out var error))
                throw new EnforcementException(EnforcementError.Conflict, $"Incident {id}: {error}.");

            // MERGE: the enforcement API branch makes EnforcementStore.ReinstateAsync take the new password
            // or an override with its reason (POST /api/v1/incidents/{id}/reinstate with {"newPassword": ...}
            // or {"override": {"reason": ...}}), setting the password, revoking cached logins and auditing
            // the override in the same transaction. Switch this call to that signature, passing
            // `password` and `overrideReason`, and delete the interim SetPasswordAsync below.
            if (password is not null)
                await accounts.SetPasswordAsync(detail.Offense.MailboxId, password, Caller.Actor, cancellationToken);
            await store.ReinstateAsync(id, Caller.Actor, cancellationToken);
            await refresher.RefreshAsync(cancellationToken);
        }, password is not null ? "Reinstated with a new password." : $"Reinstated without a new password: {overrideReason}", Back(id));
    }

    private static string Back(long id) => "/Incidents/" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
