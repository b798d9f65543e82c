using Floodgate.Storage.HotState;
using Prometheus;

namespace Floodgate.Hosting;

/// <summary>Which mode a node's windows are in, for the alert that matters: a node deciding without Redis.</summary>
internal static class HotStateMetrics
{
    private static readonly Gauge Shared = Metrics.CreateGauge(
        "floodgate_hot_state_shared", "1 while the windows are decided in Redis, 0 while this node follows the unavailable rules (local 1/N or 451 4.3.0).");

    private static readonly Gauge Nodes = Metrics.CreateGauge(
        "floodgate_hot_state_nodes", "The N of the 1/N local fallback: nodes seen alive through Redis, or Redis:Nodes if higher.");

    private static readonly Gauge Fallbacks = Metrics.CreateGauge(
        "floodgate_hot_state_local_reservations", "Reservations made in the local fallback since the start.");

    private static readonly Gauge Refused = Metrics.CreateGauge(
        "floodgate_hot_state_unavailable_refusals", "Reservations refused with 451 4.3.0 for want of Redis since the start.");

    private static RedisCounterStore? s_store;
    private static int s_registered;

    /// <summary>Reports <paramref name="store"/> from now on (one per process).</summary>
    public static void Observe(RedisCounterStore store)
    {
        Volatile.Write(ref s_store, store);
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            Metrics.DefaultRegistry.AddBeforeCollectCallback(Collect);
        }
    }

    private static void Collect()
    {
        if (Volatile.Read(ref s_store) is not { } store)
        {
            return;
        }

        Shared.Set(store.State.IsAvailable ? 1 : 0);
        Nodes.Set(store.State.Nodes);
        Fallbacks.Set(store.Fallbacks);
        Refused.Set(store.UnavailableRefusals);
    }
}
