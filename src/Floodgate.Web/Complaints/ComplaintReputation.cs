using System.Collections.Frozen;
using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Core.Complaints;
using Floodgate.Core.Detection;
using Floodgate.Storage.Complaints;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Web.Complaints;

/// <summary>
/// The detector's reputation seam fed by feedback loops: complaints per relayed message over
/// <see cref="ComplaintOptions.Window"/>, for the mailbox, its domain and its client, the worst of the
/// three. At <see cref="ComplaintOptions.HoldRate"/> the score is the detector's HoldScore, at
/// <see cref="ComplaintOptions.OffenseRate"/> its OffenseScore, linear between. Fewer than
/// MinComplaints or MinMessages say nothing. Read on the hot path from a snapshot of three frozen
/// dictionaries; rebuilt after each attributed complaint and by its own loop, never per message.
/// </summary>
public sealed partial class ComplaintReputation(ComplaintStore store, ComplaintOptions options, DetectionOptions detection, TimeProvider time, ILogger<ComplaintReputation> logger)
    : BackgroundService, IReputationSource
{
    public const string Rule = "complaints";

    /// <summary>How often the loop reads the rates afresh (messages relayed meanwhile lower them).</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);

    private Snapshot _snapshot = Snapshot.Empty;

    public ComplaintOptions Options => options;

    public Signal? Assess(MailboxState mailbox, DateTimeOffset now)
    {
        var s = _snapshot;
        if (s.IsEmpty)
            return null;
        Signal? worst = null;
        Pick(s.Mailboxes, mailbox.Id);
        Pick(s.Domains, mailbox.Domain.Id);
        Pick(s.Clients, mailbox.Client.Id);
        return worst;

        void Pick(FrozenDictionary<int, Signal> signals, int id)
        {
            if (signals.TryGetValue(id, out var signal) && (worst is null || signal.Score > worst.Score))
                worst = signal;
        }
    }

    /// <summary>The mailbox's complaints and relayed messages in the window, for its page and API.</summary>
    public ComplaintCount? CountOf(int mailboxId) => _snapshot.Counts.TryGetValue(mailboxId, out var c) ? c : null;

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var totals = await store.TotalsAsync(time.GetUtcNow() - options.Window, cancellationToken).ConfigureAwait(false);
        _snapshot = new Snapshot(
            Signals(totals.Mailboxes, "the mailbox"),
            Signals(totals.Domains, "its domain"),
            Signals(totals.Clients, "its client"),
            totals.Mailboxes.ToFrozenDictionary());
    }

    /// <summary>The score for a rate: HoldScore at the hold rate, OffenseScore at the offense rate, linear between and beyond.</summary>
    public double ScoreOf(double rate)
    {
        var span = options.OffenseRate - options.HoldRate;
        var score = detection.HoldScore + (rate - options.HoldRate) / span * (detection.OffenseScore - detection.HoldScore);
        // Far past the offense rate the score says no more than "offense", and stays finite.
        return Math.Min(score, detection.OffenseScore * 2);
    }

    private FrozenDictionary<int, Signal> Signals(IReadOnlyDictionary<int, ComplaintCount> counts, string whose)
    {
        var signals = new Dictionary<int, Signal>();
        foreach (var (id, count) in counts)
        {
            if (count.Complaints < options.MinComplaints || count.Messages < options.MinMessages)
                continue;
            var rate = (double)count.Complaints / count.Messages;
            if (rate < options.HoldRate)
                continue;
            var days = options.Window.TotalDays;
            var window = days >= 1 && days == Math.Floor(days)
                ? string.Create(CultureInfo.InvariantCulture, $"{days:0} days")
                : string.Create(CultureInfo.InvariantCulture, $"{options.Window.TotalHours:0.#} hours");
            signals[id] = new Signal(Rule, ScoreOf(rate), RuleMode.Enforce, string.Create(CultureInfo.InvariantCulture,
                $"complaint rate of {whose} {rate:P2}: {count.Complaints} complaints (ARF) per {count.Messages} relayed messages in the last {window} (hold at {options.HoldRate:P2}, offense at {options.OffenseRate:P2})"));
        }

        return signals.ToFrozenDictionary();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The last snapshot stays in force; the next round tries again.
                LogRefreshFailed(logger, ex);
            }

            try
            {
                await Task.Delay(RefreshInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Complaint rates could not be read; the previous ones stay in force")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    private sealed record Snapshot(
        FrozenDictionary<int, Signal> Mailboxes,
        FrozenDictionary<int, Signal> Domains,
        FrozenDictionary<int, Signal> Clients,
        FrozenDictionary<int, ComplaintCount> Counts)
    {
        public static readonly Snapshot Empty = new(FrozenDictionary<int, Signal>.Empty, FrozenDictionary<int, Signal>.Empty, FrozenDictionary<int, Signal>.Empty, FrozenDictionary<int, ComplaintCount>.Empty);

        public bool IsEmpty => Mailboxes.Count == 0 && Domains.Count == 0 && Clients.Count == 0;
    }
}
