using Prometheus;

namespace Floodgate.Hosting;

/// <summary>Prometheus metrics, served at /metrics on the web port.</summary>
internal static class FloodgateMetrics
{
    public static readonly Counter Messages = Metrics.CreateCounter(
        "floodgate_messages_total", "Transactions that reached a final verdict, by front door, verdict and reason.",
        new CounterConfiguration { LabelNames = ["door", "verdict", "reason"] });

    public static readonly Counter Recipients = Metrics.CreateCounter(
        "floodgate_recipients_total", "Recipients of relayed messages, by front door and class.",
        new CounterConfiguration { LabelNames = ["door", "class"] });

    public static readonly Counter Refusals = Metrics.CreateCounter(
        "floodgate_refusals_total", "Refusals at MAIL or RCPT, by front door and reason.",
        new CounterConfiguration { LabelNames = ["door", "reason"] });

    public static readonly Counter AuthFailures = Metrics.CreateCounter(
        "floodgate_auth_failures_total", "Failed SMTP AUTH attempts.");

    public static readonly Histogram TransactionSeconds = Metrics.CreateHistogram(
        "floodgate_transaction_seconds", "Time from end of DATA to the reply, by front door.",
        new HistogramConfiguration
        {
            LabelNames = ["door"],
            Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16),
        });

    public static readonly Gauge Sessions = Metrics.CreateGauge(
        "floodgate_smtp_sessions", "Open SMTP sessions.");

    public static readonly Counter TransactionLogDropped = Metrics.CreateCounter(
        "floodgate_transaction_log_dropped_total", "Transaction records dropped because the writer's queue was full.");
}
