using Floodgate.Core.Blocklists;
using Floodgate.Storage.Blocklists;
using Prometheus;

namespace Floodgate.Web.Blocklists;

/// <summary>The watch's metrics, served at /metrics with the others.</summary>
public static class BlocklistMetrics
{
    public static readonly Gauge Listed = Metrics.CreateGauge(
        "floodgate_blocklist_listed", "1 while the outbound address (or sending domain) is listed on the zone, 0 while it is clear; absent until a round got an answer.",
        new GaugeConfiguration { LabelNames = ["subject", "zone"] });

    public static readonly Counter Events = Metrics.CreateCounter(
        "floodgate_blocklist_events_total", "Blocklist events raised, by type (blocklist.listed, blocklist.delisted); suppressed re-listings are not counted.",
        new CounterConfiguration { LabelNames = ["type"] });

    /// <summary>The gauge of every pair the round asked about, from its stored state: a pair not checked keeps the value it had.</summary>
    public static void Observe(IReadOnlyList<BlocklistResult> results, BlocklistRoundOutcome outcome)
    {
        var asked = new HashSet<(string, string)>();
        foreach (var r in results)
            asked.Add((BlocklistQuery.NormalizeSubject(r.Subject), BlocklistQuery.NormalizeZone(r.Zone)));
        foreach (var s in outcome.States)
        {
            if (s.State is { } state && asked.Contains((s.Subject, s.Zone)))
                Listed.WithLabels(s.Subject, s.Zone).Set(state == BlocklistStore.Listed ? 1 : 0);
        }

        foreach (var type in outcome.Events)
            Events.WithLabels(type).Inc();
    }
}
