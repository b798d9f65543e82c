using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Transactions;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;
using Floodgate.Web.Api;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Mailboxes;

/// <summary>
/// A mailbox: status, live counters, sending, the detector's live explanation (its recent bulk
/// messages side by side with their similarity), its last transactions, its offenses with their
/// evidence, and its history. Suspend and lift for policy Enforce.
/// </summary>
public sealed class DetailModel(
    AccountSearch accounts,
    EnforcementQueries enforcement,
    EnforcementStore store,
    IDirectoryRefresher refresher,
    CounterMeters meters,
    TrafficStatistics statistics,
    TransactionSearch transactions,
    Explainer explainer,
    Complaints.ComplaintReputation complaints,
    Core.Detection.CompromiseWatch compromise,
    Core.Detection.DetectionOptions detection,
    TimeProvider time) : AccountPage(store, refresher)
{
    /// <summary>Unknown recipients of the last hour and login networks of the last day, as the detector reads them.</summary>
    public MailboxCompromiseView Compromise { get; private set; } = null!;

    /// <summary>Complaints per relayed message over the complaint window, as the detector reads them.</summary>
    public Complaints.ComplaintRateView ComplaintRate { get; private set; } = null!;

    public MailboxOverview Overview { get; private set; } = null!;

    public SendingView Sending { get; private set; } = null!;

    public ExplainReport? Explanation { get; private set; }

    public IReadOnlyList<TransactionRow> Recent { get; private set; } = [];

    public IReadOnlyList<AccountOffense> Offenses { get; private set; } = [];

    public IReadOnlyList<AccountEvent> Timeline { get; private set; } = [];

    protected override AccountScope Scope => AccountScope.Mailbox;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken cancellationToken)
    {
        if (await accounts.MailboxAsync(id, cancellationToken) is not { } overview)
            return NotFound();
        Overview = overview;
        var address = overview.Mailbox.Address;
        Sending = SendingView.For(AccountScope.Mailbox, id, address, overview.Plan, meters, statistics);
        Explanation = explainer.Explain(address);
        ComplaintRate = Web.Complaints.ComplaintEvidence.Rate(complaints, id);
        Compromise = MailboxCompromiseView.Of(compromise.Describe(id, time.GetUtcNow()), detection);
        Recent = (await transactions.PageAsync(new TransactionFilter(Mailbox: address, Limit: 20), cancellationToken)).Rows;
        Offenses = await enforcement.OffensesAsync(AccountScope.Mailbox, id, 3, cancellationToken);
        Timeline = await enforcement.TimelineAsync(AccountScope.Mailbox, id, 100, cancellationToken);
        return Page();
    }
}
