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
public sealed class DetailModel(EnforcementStore store, IDirectoryRefresher refresher, TimeProvider time,
    Storage.Complaints.ComplaintStore complaints, Core.Complaints.ComplaintOptions complaintOptions) : ConsolePage
{
    /// <summary>The mailbox's complaints (ARF) in the complaint window before the offense: the evidence of a complaint rate.</summary>
    public IReadOnlyList<Complaints.ComplaintItem> Complaints { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    public IncidentDetail Detail { get; private set; } = null!;

    public bool CanEnforce => Caller.Can(AccessPolicies.Enforce);

    [BindProperty]
    public string? Note { get; set; }

    /// <summary>By mailbox id: a new password for each mailbox the offense named.</summary>
    // Named: without it the binder falls back to the whole form for a dictionary (Note=... is no mailbox id).
    [BindProperty(Name = "NewPasswords")]
    public Dictionary<int, string>? NewPasswords { get; set; }

    /// <summary>The mailboxes the offense named, each with whether it has a password to replace.</summary>
    public IReadOnlyList<NamedMailbox> Named { get; private set; } = [];

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
            Named = await store.ListNamedMailboxesAsync(id, cancellationToken);
            Complaints = await Web.Complaints.ComplaintEvidence.BeforeAsync(complaints, complaintOptions, Detail.Offense.MailboxId, Detail.Offense.At, cancellationToken);
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
        var passwords = NewPasswords?.Where(p => !string.IsNullOrEmpty(p.Value)).ToDictionary(p => p.Key, p => p.Value);
        var overrideReason = string.IsNullOrWhiteSpace(OverrideReason) ? null : OverrideReason.Trim();
        return ChangeAsync(AccessPolicies.Enforce, async () =>
        {
            // The store checks the rest in one transaction: each named mailbox with a password gets a new one
            // (never logged), cached logins and open SMTP sessions are revoked, an override is audited with its reason.
            await store.ReinstateAsync(id, new Reinstatement(passwords is { Count: > 0 } ? passwords : null, overrideReason), Caller.Actor, cancellationToken);
            await refresher.RefreshAsync(cancellationToken);
        }, overrideReason is null ? "Reinstated with new passwords." : $"Reinstated without new passwords: {overrideReason}", Back(id));
    }

    private static string Back(long id) => "/Incidents/" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
