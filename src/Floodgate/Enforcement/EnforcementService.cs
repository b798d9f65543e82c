using System.Globalization;
using System.Threading.Channels;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Floodgate.Enforcement;

/// <summary>An offense decided at SMTP time, waiting to be written (suspension, incident, contact task).</summary>
internal sealed record PendingOffense(
    DateTimeOffset At,
    MailboxState Mailbox,
    LadderStep Step,
    DetectionResult Result,
    string Reason);

/// <summary>
/// The detector's enforcement side in the server. The ladder step is decided in memory from the
/// client's offenses in the look-back, the suspension applies at once to every session of this
/// process, and the durable records are written in the background (nothing waits on the database;
/// a failed write is retried).
/// </summary>
internal sealed partial class EnforcementService : IEnforcementSink
{
    private static readonly Counter Holds = Metrics.CreateCounter("floodgate_holds_total", "Messages held by the mass-mail detector.");
    private static readonly Counter Offenses = Metrics.CreateCounter("floodgate_offenses_total", "Offenses raised, by ladder step.", new CounterConfiguration { LabelNames = ["step"] });
    private static readonly Counter Observed = Metrics.CreateCounter("floodgate_observed_total", "Actions that observe-only rules would have taken.", new CounterConfiguration { LabelNames = ["action"] });

    private readonly AccountDirectory _directory;
    private readonly LadderOptions _ladder;
    private readonly PolicyOptions _policy;
    private readonly ILogger _logger;
    private readonly Dictionary<int, List<DateTimeOffset>> _offenseTimes = [];
    private readonly Lock _sync = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PendingOffense, byte> _notYetDurable = new();
    private readonly Channel<PendingOffense> _pending = Channel.CreateUnbounded<PendingOffense>(new UnboundedChannelOptions { SingleReader = true });

    public EnforcementService(AccountDirectory directory, LadderOptions ladder, PolicyOptions policy, ILogger<EnforcementService> logger)
    {
        _directory = directory;
        _ladder = ladder;
        _policy = policy;
        _logger = logger;
    }

    public ChannelReader<PendingOffense> Pending => _pending.Reader;

    /// <summary>The client's earlier offenses, loaded from the database at start.</summary>
    public void Load(IReadOnlyDictionary<int, List<DateTimeOffset>> offenseTimes)
    {
        lock (_sync)
        {
            foreach (var (clientId, times) in offenseTimes)
            {
                _offenseTimes[clientId] = [.. times];
            }
        }
    }

    public IReadOnlyList<DateTimeOffset> OffenseTimes(int clientId)
    {
        lock (_sync)
        {
            return _offenseTimes.TryGetValue(clientId, out var times) ? [.. times] : [];
        }
    }

    public Verdict RaiseOffense(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
    {
        var step = Apply(mailbox, result, now);
        foreach (var id in result.CampaignMailboxIds)
        {
            // Every mailbox of a campaign is compromised: each meets its own client's ladder.
            if (_directory.TryGetMailbox(id, out var other) && other.Status.IsActive && other.Domain.Status.IsActive && other.Client.Status.IsActive)
            {
                Apply(other, result, now);
            }
        }

        var target = step switch
        {
            LadderStep.SuspendMailbox => $"mailbox {mailbox.Address} is suspended",
            LadderStep.SuspendDomain => $"domain {mailbox.Domain.Name} is suspended",
            _ => $"client {mailbox.Client.Name} is terminated from the network",
        };
        return new Verdict(VerdictKind.Reject, 550, "5.7.1",
            $"Message refused: mass mailing detected ({Summary(result)}); {target} ({Ladder.Describe(step)}). Your primary contact will be called; contact {_policy.SupportContact}",
            PolicyReasons.Offense);
    }

    public void Held(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
    {
        Holds.Inc();
        LogHeld(_logger, mailbox.Address, result.Score, Summary(result));
    }

    void IEnforcementSink.Observed(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
    {
        Observed.WithLabels(result.ObservedAction.ToString().ToLowerInvariant()).Inc();
        LogObserved(_logger, mailbox.Address, result.ObservedAction.ToString(), Summary(result));
    }

    private LadderStep Apply(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
    {
        LadderStep step;
        lock (_sync)
        {
            if (!_offenseTimes.TryGetValue(mailbox.Client.Id, out var times))
            {
                times = [];
                _offenseTimes[mailbox.Client.Id] = times;
            }

            step = Ladder.StepFor(times, now, _ladder);
            times.Add(now);
        }

        var reason = string.Create(CultureInfo.InvariantCulture, $"mass mailing detected {now.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {Ladder.Describe(step)}");
        ApplyStatus(mailbox, step, reason);
        Offenses.WithLabels(((int)step).ToString(CultureInfo.InvariantCulture)).Inc();
        LogOffense(_logger, mailbox.Address, Ladder.Describe(step), Summary(result));
        var pending = new PendingOffense(now, mailbox, step, result, reason);
        _notYetDurable[pending] = 0;
        _pending.Writer.TryWrite(pending);
        return step;
    }

    /// <summary>The offense is in the database: a directory refresh now carries its status.</summary>
    public void Recorded(PendingOffense offense) => _notYetDurable.TryRemove(offense, out _);

    /// <summary>
    /// After a directory refresh: statuses decided in memory but not yet written would have been
    /// overwritten by the database's older state; apply them again.
    /// </summary>
    public void ReapplyPending()
    {
        foreach (var (o, _) in _notYetDurable)
        {
            ApplyStatus(o.Mailbox, o.Step, o.Reason);
        }
    }

    private static void ApplyStatus(MailboxState mailbox, LadderStep step, string reason)
    {
        switch (step)
        {
            case LadderStep.SuspendMailbox:
                mailbox.SetStatus(AccountStatus.Suspended, reason);
                break;
            case LadderStep.SuspendDomain:
                mailbox.Domain.SetStatus(AccountStatus.Suspended, reason);
                break;
            default:
                mailbox.Client.SetStatus(AccountStatus.Terminated, reason);
                break;
        }
    }

    internal static string Summary(DetectionResult result)
    {
        var parts = new List<string>(result.Signals.Count);
        foreach (var s in result.Signals)
        {
            parts.Add(s.Explanation);
        }

        return string.Join("; ", parts);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offense: {Mailbox}: {Step}: {Signals}")]
    private static partial void LogOffense(ILogger logger, string mailbox, string step, string signals);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Held a message of {Mailbox} (score {Score:0.00}): {Signals}")]
    private static partial void LogHeld(ILogger logger, string mailbox, double score, string signals);

    [LoggerMessage(Level = LogLevel.Information, Message = "Observe-only: {Mailbox} would have been {Action}: {Signals}")]
    private static partial void LogObserved(ILogger logger, string mailbox, string action, string signals);
}
