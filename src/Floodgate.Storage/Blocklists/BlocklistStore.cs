using Floodgate.Core.Blocklists;
using Floodgate.Storage.Notifications;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Blocklists;

/// <summary>One pair as the console and the API show it.</summary>
/// <param name="State">"listed", "clear", or null: never answered yet.</param>
public sealed record BlocklistStateView(
    string Subject, string Zone, string? State, string? Code, string? Reason, string? DelistingUrl,
    DateTimeOffset? Since, DateTimeOffset? LastCheckedAt, DateTimeOffset LastAttemptAt, string? LastError);

/// <param name="From">"listed", "clear", or null: the pair's first answer.</param>
/// <param name="Event">The event raised; null when none was (suppressed, or a quiet end of a suppressed listing).</param>
public sealed record BlocklistChangeView(
    long Id, DateTimeOffset At, string Subject, string Zone, string? From, string To, string? Code, string? Reason, string? DelistingUrl, bool Suppressed, string? Event);

/// <summary>What one round did: every pair's state after it (for the gauge), and the events it raised.</summary>
public sealed record BlocklistRoundOutcome(IReadOnlyList<BlocklistStateView> States, IReadOnlyList<string> Events, int Changes, int Suppressed, int NotChecked);

/// <summary>
/// The watch's durable side: a round's answers applied by <see cref="BlocklistWatchRules"/> in one
/// transaction with the history rows and the outbox events they raise, so a restart (or a crash
/// mid-round) never loses an alert nor repeats one.
/// </summary>
public sealed class BlocklistStore(IDbContextFactory<FloodgateDbContext> dbFactory)
{
    public const string Listed = "listed";
    public const string Clear = "clear";

    public async Task<BlocklistRoundOutcome> ApplyRoundAsync(IReadOnlyList<BlocklistResult> results, DateTimeOffset now, TimeSpan suppression, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A round is addresses × zones pairs: a few dozen rows, read at once.
        var rows = await db.BlocklistStates.ToDictionaryAsync(s => (s.Subject, s.Zone), cancellationToken);
        var events = new List<string>();
        int changes = 0, suppressed = 0, notChecked = 0;
        foreach (var result in results)
        {
            var subject = BlocklistQuery.NormalizeSubject(result.Subject);
            var zone = BlocklistQuery.NormalizeZone(result.Zone);
            if (!rows.TryGetValue((subject, zone), out var row))
            {
                row = new BlocklistStateRecord { Subject = subject, Zone = zone };
                db.BlocklistStates.Add(row);
                rows[(subject, zone)] = row;
            }

            row.LastAttemptAt = now;
            var stored = row.State is { } state ? new BlocklistPairState(state, row.Announced, row.LastAlertAt) : null;
            var step = BlocklistWatchRules.Next(stored, result.State, now, suppression);
            if (!step.Store)
            {
                notChecked++;
                row.LastError = Cut(result.Reason ?? "not checked", BlocklistColumns.Error);
                continue;
            }

            var previous = row.State;
            var previousCode = row.Code;
            var listedSince = previous == BlocklistState.Listed ? row.Since : null;
            row.LastError = null;
            row.LastCheckedAt = now;
            row.Announced = step.Announced(stored, result.State);
            if (previous != result.State)
                row.Since = now;
            row.State = result.State;
            row.Code = Cut(result.Code, BlocklistColumns.Code);
            row.Reason = Cut(result.Reason, BlocklistColumns.Reason);
            row.DelistingUrl = Cut(result.DelistingUrl, BlocklistColumns.Url);

            string? type = step.Alert switch
            {
                BlocklistAlert.Listed => NotificationTypes.BlocklistListed,
                BlocklistAlert.Delisted => NotificationTypes.BlocklistDelisted,
                _ => null,
            };
            if (step.Change)
            {
                changes++;
                suppressed += step.Suppressed ? 1 : 0;
                db.BlocklistHistory.Add(new BlocklistChangeRecord
                {
                    At = now,
                    Subject = row.Subject,
                    Zone = row.Zone,
                    From = previous,
                    To = result.State,
                    Code = row.Code ?? Cut(previousCode, BlocklistColumns.Code),
                    Reason = row.Reason,
                    DelistingUrl = row.DelistingUrl,
                    Suppressed = step.Suppressed,
                    Event = type,
                });
            }

            if (type is null)
                continue;

            row.LastAlertAt = now;
            events.Add(type);
            var delisted = step.Alert == BlocklistAlert.Delisted;
            NotificationOutbox.Add(db, type, now, clientId: null, new NotificationData
            {
                Reason = delisted
                    ? $"{row.Subject} is no longer listed on {row.Zone}"
                    : $"{row.Subject} is listed on {row.Zone}" + (row.Reason is null ? string.Empty : ": " + row.Reason),
                Blocklist = new BlocklistInfo(
                    row.Subject, row.Zone, Word(result.State), previous is { } p ? Word(p) : null,
                    delisted ? previousCode : row.Code, delisted ? null : row.Reason,
                    row.DelistingUrl,
                    delisted ? listedSince : row.Since),
            });
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var views = rows.Values.OrderBy(r => r.Subject, StringComparer.Ordinal).ThenBy(r => r.Zone, StringComparer.Ordinal).Select(View).ToList();
        return new BlocklistRoundOutcome(views, events, changes, suppressed, notChecked);
    }

    /// <summary>Every pair the watch has asked about, by subject then zone.</summary>
    public async Task<IReadOnlyList<BlocklistStateView>> ListStatesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.BlocklistStates.AsNoTracking().ToListAsync(cancellationToken);
        return [.. rows.OrderBy(r => r.Subject, StringComparer.Ordinal).ThenBy(r => r.Zone, StringComparer.Ordinal).Select(View)];
    }

    /// <summary>The changes, newest first, keyset-paged by id; optionally of one subject.</summary>
    public async Task<Page<BlocklistChangeView>> ListHistoryAsync(string? subject, long? before, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var history = db.BlocklistHistory.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(subject))
        {
            var name = BlocklistQuery.NormalizeSubject(subject);
            history = history.Where(c => c.Subject == name);
        }
        if (before is { } b)
            history = history.Where(c => c.Id < b);
        var rows = await history.OrderByDescending(c => c.Id).Take(Paging.Fetch(limit)).ToListAsync(cancellationToken);
        return Paging.Of(rows, limit, c => c.Id).Map(c => new BlocklistChangeView(
            c.Id, c.At, c.Subject, c.Zone, c.From is { } from ? Word(from) : null, Word(c.To), c.Code, c.Reason, c.DelistingUrl, c.Suppressed, c.Event));
    }

    public static string Word(BlocklistState state) => state == BlocklistState.Listed ? Listed : Clear;

    private static BlocklistStateView View(BlocklistStateRecord r) => new(
        r.Subject, r.Zone, r.State is { } s ? Word(s) : null, r.Code, r.Reason, r.DelistingUrl, r.Since, r.LastCheckedAt, r.LastAttemptAt, r.LastError);

    private static string? Cut(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
