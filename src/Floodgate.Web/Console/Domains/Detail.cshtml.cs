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
