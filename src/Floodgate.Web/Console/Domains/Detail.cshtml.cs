using Floodgate.Core.Accounts;
using Floodgate.Core.Transactions;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Domains;

/// <summary>One mailbox of a domain's list, with its last 24 hours from the traffic statistics.</summary>
public sealed record DomainMailbox(MailboxRow Mailbox, SenderTotals Traffic);

/// <summary>A domain: status, live counters, sending, its mailboxes (50 a page), offenses with evidence, and history.</summary>
public sealed class DetailModel(
    AccountSearch accounts,
    AccountStore accountStore,
    EnforcementQueries enforcement,
    EnforcementStore store,
    IDirectoryRefresher refresher,
    CounterMeters meters,
    TrafficStatistics statistics) : AccountPage(store, refresher)
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public DomainOverview Overview { get; private set; } = null!;

    public SendingView Sending { get; private set; } = null!;

    public Paged<MailboxRow> Mailboxes { get; private set; } = null!;

    public IReadOnlyList<DomainMailbox> Rows { get; private set; } = [];

    public IReadOnlyList<AccountOffense> Offenses { get; private set; } = [];

    public IReadOnlyList<AccountEvent> Timeline { get; private set; } = [];

    protected override AccountScope Scope => AccountScope.Domain;

    public bool CanManage => Caller.Can(Security.AccessPolicies.ManageAccounts);

    /// <summary>Mailboxes created on first sight of an authenticated login of this domain: on or off.</summary>
    public Task<IActionResult> OnPostAutoCreateAsync(int id, bool enabled, CancellationToken cancellationToken) =>
        ChangeAsync(Security.AccessPolicies.ManageAccounts, async () =>
        {
            await accountStore.SetAutoCreateMailboxesAsync(id, enabled, Caller.Actor, cancellationToken);
            await Refresher.RefreshAsync(cancellationToken);
        }, enabled ? "Mailboxes are created on first sight." : "Mailboxes are no longer created on first sight.", Request.Path);

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken cancellationToken)
    {
        if (await accounts.DomainAsync(id, cancellationToken) is not { } overview)
            return NotFound();
        Overview = overview;
        Sending = SendingView.For(AccountScope.Domain, id, overview.Domain.Name, overview.Plan, meters, statistics);
        Mailboxes = await accounts.MailboxesAsync(id, null, PageNumber, PageSize, cancellationToken);
        Rows = Mailboxes.Items.Select(m => new DomainMailbox(m, statistics.Mailbox(m.Id))).ToList();
        Offenses = await enforcement.OffensesAsync(AccountScope.Domain, id, 3, cancellationToken);
        Timeline = await enforcement.TimelineAsync(AccountScope.Domain, id, 100, cancellationToken);
        return Page();
    }
}
