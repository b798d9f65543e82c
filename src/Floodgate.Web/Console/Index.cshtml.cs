using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Transactions;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console;

/// <summary>A top sender with what the directory knows of it now.</summary>
public sealed record TopSender(SenderTotals Totals, MailboxState? Mailbox);

/// <summary>
/// The dashboard: traffic by outcome over 24 hours and 7 days, the top senders, what is held and
/// suspended now, the calls due, and the open incidents. Traffic and senders come from memory
/// (<see cref="TrafficStatistics"/>, <see cref="AccountDirectory"/>); the rest is five small indexed queries on one context.
/// </summary>
public sealed class IndexModel(TrafficStatistics statistics, EnforcementQueries enforcement, AccountDirectory directory, TimeProvider time) : ConsolePage
{
    public const int Senders = 10;

    public DateTimeOffset Now { get; private set; }

    public bool StatisticsLoaded { get; private set; }

    public OutcomeCounts Messages24h { get; private set; }

    public OutcomeCounts Recipients24h { get; private set; }

    public SvgChart MessagesByHour { get; private set; } = null!;

    public SvgChart RecipientsByHour { get; private set; } = null!;

    public SvgChart MessagesByDay { get; private set; } = null!;

    public SvgChart RecipientsByDay { get; private set; } = null!;

    public IReadOnlyList<TopSender> TopLastHour { get; private set; } = [];

    public IReadOnlyList<TopSender> TopLastDay { get; private set; } = [];

    public IReadOnlyList<TopSender> Held { get; private set; } = [];

    public IReadOnlyList<ActiveSuspension> Suspensions { get; private set; } = [];

    public int SuspensionCount { get; private set; }

    public IReadOnlyList<CallView> Calls { get; private set; } = [];

    public int OverdueCalls { get; private set; }

    public IReadOnlyDictionary<IncidentState, int> OpenIncidents { get; private set; } = new Dictionary<IncidentState, int>();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Caller.IsClientAdministrator)
            return Redirect("/Portal");

        Now = time.GetUtcNow();
        StatisticsLoaded = statistics.IsLoaded;
        var hours = statistics.Hourly(24);
        var days = statistics.Daily(7);
        (Messages24h, Recipients24h) = statistics.Totals(24);
        MessagesByHour = TrafficCharts.ByOutcome("Messages per hour, last 24 hours (UTC)", hours, recipients: false, daily: false);
        RecipientsByHour = TrafficCharts.ByOutcome("Recipients per hour, last 24 hours (UTC)", hours, recipients: true, daily: false);
        MessagesByDay = TrafficCharts.ByOutcome("Messages per day, last 7 days (UTC)", days, recipients: false, daily: true);
        RecipientsByDay = TrafficCharts.ByOutcome("Recipients per day, last 7 days (UTC)", days, recipients: true, daily: true);
        var top = statistics.TopSenders(Senders, [SenderRanking.RecipientsLastHour, SenderRanking.RecipientsLastDay, SenderRanking.HeldLastDay]);
        TopLastHour = WithMailboxes(top[0]);
        TopLastDay = WithMailboxes(top[1]);
        Held = WithMailboxes(top[2]);

        var panels = await enforcement.DashboardAsync(suspensions: 15, calls: 10, cancellationToken);
        (Suspensions, SuspensionCount, Calls, OverdueCalls, OpenIncidents) = (panels.Suspensions, panels.SuspensionCount, panels.Calls, panels.OverdueCalls, panels.OpenIncidents);
        return Page();
    }

    private List<TopSender> WithMailboxes(IReadOnlyList<SenderTotals> senders) =>
        senders.Select(t => new TopSender(t, directory.TryGetMailbox(t.MailboxId, out var m) ? m : null)).ToList();
}
