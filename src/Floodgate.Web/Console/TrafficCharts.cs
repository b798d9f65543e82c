using System.Globalization;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Web.Shared;

namespace Floodgate.Web.Console;

/// <summary>The console's charts of <see cref="TrafficStatistics"/>: all traffic by outcome, and one account's sending.</summary>
public static class TrafficCharts
{
    private static readonly Outcome[] Outcomes = [Outcome.Accepted, Outcome.Deferred, Outcome.Rejected, Outcome.Held];

    /// <summary>Messages (or recipients) by outcome, one bar per bucket.</summary>
    public static SvgChart ByOutcome(string title, IReadOnlyList<TrafficBucket> buckets, bool recipients, bool daily)
    {
        var labels = buckets.Select(b => Label(b.Start, daily)).ToList();
        var series = Outcomes.Select(o => new ChartSeries(Show.Word(o), Show.Color(o),
            buckets.Select(b => (recipients ? b.Recipients : b.Messages)[o]).ToList())).ToList();
        return new SvgChart(ChartKind.StackedBars, title, labels, series, daily ? 1 : 3);
    }

    /// <summary>One account's last 24 hours: messages accepted, refused and held, stacked.</summary>
    public static SvgChart SenderMessages(string title, IReadOnlyList<SenderBucket> buckets)
    {
        var labels = buckets.Select(b => Label(b.Start, false)).ToList();
        return new SvgChart(ChartKind.StackedBars, title, labels,
        [
            new("accepted", Show.AcceptedColor, buckets.Select(b => (long)b.SentMessages).ToList()),
            new("deferred or rejected", Show.RejectedColor, buckets.Select(b => (long)(b.RefusedMessages - b.HeldMessages)).ToList()),
            new("held", Show.HeldColor, buckets.Select(b => (long)b.HeldMessages).ToList()),
        ], 3);
    }

    /// <summary>One account's last 24 hours: recipients asked for and refused, as lines.</summary>
    public static SvgChart SenderRecipients(string title, IReadOnlyList<SenderBucket> buckets)
    {
        var labels = buckets.Select(b => Label(b.Start, false)).ToList();
        return new SvgChart(ChartKind.Lines, title, labels,
        [
            new("recipients", "#2456c7", buckets.Select(b => (long)b.Recipients).ToList()),
            new("refused recipients", Show.RejectedColor, buckets.Select(b => (long)b.RefusedRecipients).ToList()),
        ], 3);
    }

    private static string Label(DateTimeOffset start, bool daily) =>
        start.ToUniversalTime().ToString(daily ? "ddd d MMM" : "HH:00", CultureInfo.InvariantCulture);
}
