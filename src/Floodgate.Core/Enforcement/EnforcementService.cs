using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Policy;
using Microsoft.Extensions.Logging;

namespace Floodgate.Core.Enforcement;

/// <summary>
/// The one place a suspension happens. An offense takes the client's ladder step (its offenses in the
/// look-back, in memory), applies the status at once to every session of the process, and is made
/// durable through <see cref="IOffenseRecorder"/> before the verdict that announces it goes back.
/// One detection is one offense per client: a campaign that names several mailboxes of one client
/// is one step of that client's ladder with all of them in it; each other client of the campaign
/// takes a step of its own. A detection of a sender an offense of this process stopped within
/// <see cref="LadderOptions.RepeatWindow"/> is a repeat: no step of its own.
/// The memory is the fast path of one process; the recorder decides again from the durable history
/// (other processes share the database) and its answer wins: the verdict names the recorded step,
/// a stronger status is applied at once, and the directory reloads what memory got wrong.
/// </summary>
public sealed partial class EnforcementService : IEnforcementSink
{
    private readonly AccountDirectory _directory;
    private readonly LadderOptions _ladder;
    private readonly PolicyOptions _policy;
    private readonly IOffenseRecorder _recorder;
    private readonly IEnforcementObserver? _observer;
    private readonly ILogger _logger;
    private readonly Dictionary<int, List<DateTimeOffset>> _offenseTimes = [];
    private readonly Dictionary<int, List<Stopped>> _recent = [];
    private readonly Lock _sync = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Offense> _notYetStored = new();

    public EnforcementService(AccountDirectory directory, LadderOptions ladder, PolicyOptions policy, IOffenseRecorder recorder, ILogger<EnforcementService> logger, IEnforcementObserver? observer = null)
    {
        _directory = directory;
        _ladder = ladder;
        _policy = policy;
        _recorder = recorder;
        _logger = logger;
        _observer = observer;
    }

    public LadderOptions Ladder => _ladder;

    /// <summary>The clients' earlier offenses, loaded from the database at start.</summary>
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

    public async ValueTask<Verdict> RaiseOffenseAsync(MailboxState mailbox, DetectionResult result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var offenses = new List<(Offense Offense, List<MailboxState> Mailboxes)>(1);
        foreach (var group in ByClient(mailbox, result))
        {
            offenses.Add((Apply(group, result, now), group));
        }

        // Durable before the reply: a crash after the 550 must not forget the suspension.
        LadderStep step = default;
        foreach (var (offense, group) in offenses)
        {
            var recorded = await _recorder.RecordAsync(offense, cancellationToken).ConfigureAwait(false);
            Settle(offense, group, recorded);
            if (group[0] == mailbox)
            {
                step = recorded.Step;
            }
        }

        var target = step switch
        {
            LadderStep.SuspendMailbox => $"mailbox {mailbox.Address} is suspended",
            LadderStep.SuspendDomain => $"domain {mailbox.Domain.Name} is suspended",
            _ => $"client {mailbox.Client.Name} is terminated from the network",
        };
        return PolicyTexts.Offense(PolicyTexts.Concern(result), Summary(result), target, step, _policy.SupportContact);
    }

    public void Held(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
    {
        _observer?.Held(result);
        LogHeld(_logger, mailbox.Address, result.Score, Summary(result));
    }

    public void Observed(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
    {
        _observer?.Observed(result.ObservedAction);
        LogObserved(_logger, mailbox.Address, result.ObservedAction.ToString(), Summary(result));
    }

    public void ObservedRefusal(MailboxState mailbox, Verdict verdict, DateTimeOffset now)
    {
        _observer?.ObservedRefusal(verdict.Reason);
        LogObservedRefusal(_logger, mailbox.Address, verdict.Reason, verdict.ToString());
    }

    /// <summary>
    /// After a directory refresh: statuses decided in memory but not yet in the database would have
    /// been overwritten by its older state; apply them again.
    /// </summary>
    public void ReapplyPending()
    {
        foreach (var (key, offense) in _notYetStored)
        {
            if (_recorder.IsStored(key))
            {
                _notYetStored.TryRemove(key, out _);
                continue;
            }

            foreach (var m in offense.Mailboxes)
            {
                if (_directory.TryGetMailbox(m.Id, out var state))
                {
                    ApplyStatus(state, offense.Step, offense.Reason);
                }
            }
        }
    }

    public static string Summary(DetectionResult result)
    {
        var parts = new List<string>(result.Signals.Count);
        foreach (var s in result.Signals)
        {
            parts.Add(s.Explanation);
        }

        return string.Join("; ", parts);
    }

    /// <summary>The offender's mailbox and those of its client in the campaign first, then each other client's.</summary>
    private List<List<MailboxState>> ByClient(MailboxState mailbox, DetectionResult result)
    {
        var groups = new List<List<MailboxState>> { new() { mailbox } };
        foreach (var id in result.CampaignMailboxIds)
        {
            // Every mailbox of a campaign is compromised; one already stopped needs no step.
            if (id == mailbox.Id || !_directory.TryGetMailbox(id, out var other) || !other.Status.IsActive || !other.Domain.Status.IsActive || !other.Client.Status.IsActive)
            {
                continue;
            }

            var group = groups.Find(g => g[0].Client.Id == other.Client.Id);
            if (group is null)
            {
                groups.Add([other]);
            }
            else if (!group.Contains(other))
            {
                group.Add(other);
            }
        }

        return groups;
    }

    private Offense Apply(List<MailboxState> mailboxes, DetectionResult result, DateTimeOffset now)
    {
        var client = mailboxes[0].Client;
        var key = Guid.NewGuid();
        LadderStep step;
        bool repeat;
        lock (_sync)
        {
            if (!_offenseTimes.TryGetValue(client.Id, out var times))
            {
                times = [];
                _offenseTimes[client.Id] = times;
            }

            // Decided and noted under one lock: two sessions of one run see each other.
            repeat = TryFindStopper(client.Id, mailboxes[0], now, out step);
            if (!repeat)
            {
                step = Enforcement.Ladder.StepFor(times, now, _ladder);
                times.Add(now);
                Note(client.Id, new Stopped(key, now, step, mailboxes));
            }
        }

        var concern = PolicyTexts.Concern(result);
        var reason = PolicyTexts.OffenseReason(concern, now, step);
        var named = new List<OffenseMailbox>(mailboxes.Count);
        var ids = new HashSet<int>();
        foreach (var m in mailboxes)
        {
            if (!repeat)
            {
                ApplyStatus(m, step, reason);
            }

            named.Add(new OffenseMailbox(m.Id, m.Domain.Id, m.Address));
            ids.Add(m.Id);
        }

        // The evidence kept is this client's own messages: its damages are counted from them.
        var evidence = new List<EvidenceMessage>();
        foreach (var e in result.Evidence)
        {
            if (ids.Contains(e.MailboxId))
            {
                evidence.Add(e);
            }
        }

        if (result.Current is { } current && ids.Contains(current.MailboxId))
        {
            evidence.Add(current);
        }

        evidence.Sort(static (a, b) => a.At.CompareTo(b.At));
        var offense = new Offense(key, now, client.Id, named, step, result.Score, result.Signals, evidence, reason, repeat, concern);
        if (!repeat)
        {
            _notYetStored[offense.Key] = offense;
        }

        LogOffense(_logger, mailboxes[0].Address, mailboxes.Count, Describe(step, repeat), Summary(result));
        return offense;
    }

    /// <summary>
    /// The recorded step wins over memory's. Memory only ever lags the database (another process's
    /// offense it has not heard of), so the fix at once is a stronger status; a status memory applied
    /// that the database did not take goes at the directory's next reload.
    /// </summary>
    private void Settle(Offense offense, List<MailboxState> mailboxes, RecordedStep recorded)
    {
        if (!recorded.Repeat)
        {
            _observer?.OffenseRaised(recorded.Step);
        }

        if (recorded.Step == offense.Step && recorded.Repeat == offense.Repeat)
        {
            return;
        }

        var clientId = offense.ClientId;
        lock (_sync)
        {
            if (recorded.OffenseTimes is { } times)
            {
                _offenseTimes[clientId] = [.. times];
            }

            if (_recent.TryGetValue(clientId, out var recent))
            {
                recent.RemoveAll(s => s.Key == offense.Key);
            }

            if (!recorded.Repeat)
            {
                Note(clientId, new Stopped(offense.Key, offense.At, recorded.Step, mailboxes));
            }
        }

        if (!recorded.Repeat && (offense.Repeat || recorded.Step > offense.Step))
        {
            var reason = offense.ReasonFor(recorded.Step);
            foreach (var m in mailboxes)
            {
                ApplyStatus(m, recorded.Step, reason);
            }
        }

        _notYetStored.TryRemove(offense.Key, out _);
        _directory.MarkStale();
        LogSettled(_logger, offense.Mailboxes[0].Address, Describe(offense.Step, offense.Repeat), Describe(recorded.Step, recorded.Repeat));
    }

    private static string Describe(LadderStep step, bool repeat) =>
        repeat ? "repeat of " + Enforcement.Ladder.Describe(step) : Enforcement.Ladder.Describe(step);

    /// <summary>
    /// Whether an offense of this process within the repeat window stopped this sender and still does:
    /// the rule the recorder applies to the database (an open suspension of the mailbox, its domain or
    /// its client, started by an offense of the client within the window). Under <see cref="_sync"/>.
    /// </summary>
    private bool TryFindStopper(int clientId, MailboxState sender, DateTimeOffset now, out LadderStep step)
    {
        step = default;
        if (!_recent.TryGetValue(clientId, out var recent))
        {
            return false;
        }

        for (var i = recent.Count - 1; i >= 0; i--)
        {
            var s = recent[i];
            if ((now - s.At).Duration() > _ladder.RepeatWindow)
            {
                continue;
            }

            var stops = s.Step switch
            {
                LadderStep.SuspendMailbox => s.MailboxIds.Contains(sender.Id) && !sender.Status.IsActive,
                LadderStep.SuspendDomain => s.DomainIds.Contains(sender.Domain.Id) && !sender.Domain.Status.IsActive,
                _ => !sender.Client.Status.IsActive,
            };
            if (stops)
            {
                step = s.Step;
                return true;
            }
        }

        return false;
    }

    /// <summary>Keeps what an offense stopped for the repeat window. Under <see cref="_sync"/>.</summary>
    private void Note(int clientId, Stopped stopped)
    {
        if (!_recent.TryGetValue(clientId, out var recent))
        {
            recent = [];
            _recent[clientId] = recent;
        }

        recent.RemoveAll(s => (stopped.At - s.At).Duration() > _ladder.RepeatWindow);
        recent.Add(stopped);
    }

    private sealed class Stopped(Guid key, DateTimeOffset at, LadderStep step, List<MailboxState> mailboxes)
    {
        public Guid Key { get; } = key;

        public DateTimeOffset At { get; } = at;

        public LadderStep Step { get; } = step;

        public HashSet<int> MailboxIds { get; } = [.. mailboxes.Select(m => m.Id)];

        public HashSet<int> DomainIds { get; } = [.. mailboxes.Select(m => m.Domain.Id)];
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offense: {Mailbox} ({Count} mailbox(es) of its client): {Step}: {Signals}")]
    private static partial void LogOffense(ILogger logger, string mailbox, int count, string step, string signals);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offense of {Mailbox}: decided in memory as {Memory}, recorded as {Recorded} (another process's offense counts)")]
    private static partial void LogSettled(ILogger logger, string mailbox, string memory, string recorded);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Held a message of {Mailbox} (score {Score:0.00}): {Signals}")]
    private static partial void LogHeld(ILogger logger, string mailbox, double score, string signals);

    [LoggerMessage(Level = LogLevel.Information, Message = "Observe-only: {Mailbox} would have been {Action}: {Signals}")]
    private static partial void LogObserved(ILogger logger, string mailbox, string action, string signals);

    [LoggerMessage(Level = LogLevel.Information, Message = "Observe-only: a message of {Mailbox} would have been refused ({Reason}): {Reply}")]
    private static partial void LogObservedRefusal(ILogger logger, string mailbox, string reason, string reply);
}
