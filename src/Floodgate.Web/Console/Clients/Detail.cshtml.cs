using Floodgate.Core.Accounts;
using Floodgate.Core.Transactions;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Clients;

/// <summary>
/// A client: status, contact, plan and live counters, its sending, its domains and busiest mailboxes,
/// its incidents, and its offenses with their evidence and history. Suspend and lift for policy Enforce.
/// </summary>
public sealed class DetailModel(
    AccountSearch accounts,
    EnforcementQueries enforcement,
    EnforcementStore store,
    IDirectoryRefresher refresher,
    CounterMeters meters,
    TrafficStatistics statistics,
    AccountDirectory directory) : AccountPage(store, refresher)
{
    public ClientOverview Overview { get; private set; } = null!;

    public SendingView Sending { get; private set; } = null!;

    public IReadOnlyList<TopSender> Busiest { get; private set; } = [];

    public Paged<IncidentRow> Incidents { get; private set; } = null!;

    public IReadOnlyList<AccountOffense> Offenses { get; private set; } = [];

    public IReadOnlyList<AccountEvent> Timeline { get; private set; } = [];

    protected override AccountScope Scope => AccountScope.Client;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken cancellationToken)
    {
        if (await accounts.ClientAsync(id, cancellationToken) is not { } overview)
            return NotFound();
        Overview = overview;
        Sending = SendingView.For(AccountScope.Client, id, overview.Client.Name, overview.Plan, meters, statistics);
        Busiest = statistics.TopSenders(10, SenderRanking.RecipientsLastDay, clientId: id)
            .Select(t => new TopSender(t, directory.TryGetMailbox(t.MailboxId, out var m) ? m : null)).ToList();
        Incidents = await enforcement.IncidentsAsync(null, id, 1, 20, cancellationToken);
        Offenses = await enforcement.OffensesAsync(AccountScope.Client, id, 3, cancellationToken);
        Timeline = await enforcement.TimelineAsync(AccountScope.Client, id, 100, cancellationToken);
        return Page();
    }
}
