using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Protocols.Content;
using Prometheus;

namespace Floodgate.Doors;

/// <summary>Prometheus metrics of the doors and the engine, served at /metrics on the web port.</summary>
public static class DoorMetrics
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
        "floodgate_auth_failures_total", "Failed SMTP AUTH attempts, by result (failed, throttled, unavailable).",
        new CounterConfiguration { LabelNames = ["result"] });

    public static readonly Counter UnknownLogins = Metrics.CreateCounter(
        "floodgate_unknown_logins_total", "Authenticated logins a Postfix door was asked about that name no mailbox, by door.",
        new CounterConfiguration { LabelNames = ["door"] });

    public static readonly Counter AutoCreatedMailboxes = Metrics.CreateCounter(
        "floodgate_mailboxes_auto_created_total", "Mailboxes created on first sight of an authenticated login of a domain we police, by door.",
        new CounterConfiguration { LabelNames = ["door"] });

    public static readonly Histogram TransactionSeconds = Metrics.CreateHistogram(
        "floodgate_transaction_seconds", "Time from end of DATA to the reply, by front door.",
        new HistogramConfiguration
        {
            LabelNames = ["door"],
            Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16),
        });

    public static readonly Gauge Sessions = Metrics.CreateGauge(
        "floodgate_smtp_sessions", "Open SMTP sessions.");

    public static readonly Counter Holds = Metrics.CreateCounter("floodgate_holds_total", "Messages held by the mass-mail detector.");

    public static readonly Counter Offenses = Metrics.CreateCounter(
        "floodgate_offenses_total", "Offenses raised, by ladder step.", new CounterConfiguration { LabelNames = ["step"] });

    public static readonly Counter Observed = Metrics.CreateCounter(
        "floodgate_observed_total", "Actions that observe-only rules would have taken.", new CounterConfiguration { LabelNames = ["action"] });

    public static string Name(Door door) => DoorNames.Name(door);

    public static void Refused(Door door, string reason) => Refusals.WithLabels(DoorNames.Name(door), reason).Inc();
}

/// <summary>
/// The message spool at /metrics, read at each scrape: its two budgets in use now and at their
/// peak, the octets written to spool files, and the messages it could not hold (452 4.3.1 in SMTP).
/// </summary>
public static class SpoolMetrics
{
    private static readonly Gauge Memory = Metrics.CreateGauge(
        "floodgate_spool_memory_bytes", "Octets of message content the spool holds in memory now (buffer capacity, heads included).");

    private static readonly Gauge MemoryPeak = Metrics.CreateGauge(
        "floodgate_spool_memory_peak_bytes", "The most octets of message content the spool held in memory at once since the start.");

    private static readonly Gauge Files = Metrics.CreateGauge(
        "floodgate_spool_file_bytes", "Octets of message content in spool files now.");

    private static readonly Gauge FilesPeak = Metrics.CreateGauge(
        "floodgate_spool_file_peak_bytes", "The most octets in spool files at once since the start.");

    private static readonly Counter Written = Metrics.CreateCounter(
        "floodgate_spool_written_bytes_total", "Octets written to spool files.");

    private static readonly Counter Refused = Metrics.CreateCounter(
        "floodgate_spool_refused_total", "Messages the spool could not hold: over its budget, or a file that failed.");

    private static MessageSpool? s_spool;
    private static int s_registered;

    /// <summary>Reports <paramref name="spool"/> from now on (one spool per process; a later call replaces it).</summary>
    public static void Observe(MessageSpool spool)
    {
        Volatile.Write(ref s_spool, spool);
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            Metrics.DefaultRegistry.AddBeforeCollectCallback(Update);
        }
    }

    private static void Update()
    {
        if (Volatile.Read(ref s_spool) is not { } spool)
        {
            return;
        }

        Memory.Set(spool.MemoryBytes);
        MemoryPeak.Set(spool.PeakMemoryBytes);
        Files.Set(spool.SpoolBytes);
        FilesPeak.Set(spool.PeakSpoolBytes);
        Written.IncTo(spool.WrittenBytes);
        Refused.IncTo(spool.RefusedMessages);
    }
}

/// <summary>The metrics' side of every completed transaction and of enforcement.</summary>
public sealed class TransactionMetrics : ITransactionObserver, IEnforcementObserver
{
    // WithLabels looks the child up by a fresh label array each call: the per-message ones are kept.
    private readonly Counter.Child[] _relayed = new Counter.Child[4];
    private readonly Counter.Child[] _external = new Counter.Child[4];
    private readonly Counter.Child[] _internal = new Counter.Child[4];
    private readonly Histogram.Child[] _seconds = new Histogram.Child[4];

    public TransactionMetrics()
    {
        foreach (var door in Enum.GetValues<Door>())
        {
            var name = DoorNames.Name(door);
            _relayed[(int)door] = DoorMetrics.Messages.WithLabels(name, "relayed", PolicyReasons.Relayed);
            _external[(int)door] = DoorMetrics.Recipients.WithLabels(name, "external");
            _internal[(int)door] = DoorMetrics.Recipients.WithLabels(name, "internal");
            _seconds[(int)door] = DoorMetrics.TransactionSeconds.WithLabels(name);
        }
    }

    public void Completed(CompletedTransaction t)
    {
        var door = (int)t.Door;
        if (t.Outcome == Outcome.Accepted && t.Reason == PolicyReasons.Relayed)
        {
            _relayed[door].Inc();
        }
        else
        {
            DoorMetrics.Messages.WithLabels(DoorNames.Name(t.Door), Verdict(t.Outcome), t.Reason).Inc();
        }

        if (t.Outcome == Outcome.Accepted && t.Counted)
        {
            _external[door].Inc(t.External);
            _internal[door].Inc(t.Internal);
        }

        _seconds[door].Observe(t.TotalMicros / 1e6);
    }

    public void Held(DetectionResult result) => DoorMetrics.Holds.Inc();

    public void OffenseRaised(LadderStep step) => DoorMetrics.Offenses.WithLabels(((int)step).ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    public void Observed(DetectionAction action) => DoorMetrics.Observed.WithLabels(action.ToString().ToLowerInvariant()).Inc();

    public void ObservedRefusal(string reason) => DoorMetrics.Observed.WithLabels(reason).Inc();

    private static string Verdict(Outcome outcome) => outcome switch
    {
        Outcome.Accepted => "relayed",
        Outcome.Held => "held",
        Outcome.Deferred => "deferred",
        _ => "rejected",
    };
}
