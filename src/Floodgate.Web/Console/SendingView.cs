using Floodgate.Core.Accounts;
using Floodgate.Core.Transactions;
using Floodgate.Web.Shared;

namespace Floodgate.Web.Console;

/// <summary>An account page's sending: live counters, the plan's limits, and the last 24 hours as charts.</summary>
public sealed record SendingView(CounterPanel? Counters, string PlanName, PlanLimits Limits, SvgChart Messages, SvgChart Recipients)
{
    public static SendingView For(AccountScope scope, int id, string name, Plan? plan, CounterMeters meters, TrafficStatistics statistics)
    {
        var hours = statistics.SenderHourly(scope, id);
        return new SendingView(
            meters.For(scope, id),
            plan?.Name ?? "default",
            plan?.Limits ?? new PlanLimits(),
            TrafficCharts.SenderMessages($"Messages of {name} per hour, last 24 hours (UTC)", hours),
            TrafficCharts.SenderRecipients($"Recipients of {name} per hour, last 24 hours (UTC)", hours));
    }
}
