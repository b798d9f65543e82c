using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Audit;

/// <summary>
/// A filter for <see cref="AuditLog.PageAsync"/>; null means any. <see cref="Action"/> is exact, or a
/// prefix when it ends in "*" ("mailbox.*"). <see cref="Since"/> is inclusive, <see cref="Until"/> exclusive.
/// </summary>
public sealed record AuditQuery(
    string? Actor = null,
    string? Action = null,
    string? TargetKind = null,
    int? TargetId = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    long? Cursor = null,
    int Limit = Paging.DefaultLimit);

/// <summary>Reads the audit log, newest first; records the changes that have no store of their own.</summary>
public sealed class AuditLog(IDbContextFactory<FloodgateDbContext> dbFactory, TimeProvider time)
{
    /// <summary>
    /// Writes one entry for a change that lives outside the database (a reset of the in-memory counters).
    /// The caller writes it before making the change, so no change goes unrecorded.
    /// </summary>
    public async Task<AuditEntry> RecordAsync(string actor, string action, string targetKind, int? targetId, object details, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var entry = AccountStore.NewAuditEntry(time.GetUtcNow(), actor, action, targetKind, targetId, details);
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return entry;
    }

    /// <summary>Newest first by id, which is the order the entries were written.</summary>
    public async Task<Page<AuditEntry>> PageAsync(AuditQuery filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim();
            query = query.Where(a => a.Actor == actor);
        }

        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            var action = filter.Action.Trim();
            if (action.EndsWith('*'))
            {
                var prefix = action[..^1];
                query = query.Where(a => a.Action.StartsWith(prefix));
            }
            else
            {
                query = query.Where(a => a.Action == action);
            }
        }

        if (!string.IsNullOrWhiteSpace(filter.TargetKind))
        {
            var kind = filter.TargetKind.Trim();
            query = query.Where(a => a.TargetKind == kind);
        }

        if (filter.TargetId is { } targetId)
            query = query.Where(a => a.TargetId == targetId);
        if (filter.Since is { } since)
            query = query.Where(a => a.Time >= since);
        if (filter.Until is { } until)
            query = query.Where(a => a.Time < until);
        if (filter.Cursor is { } cursor)
            query = query.Where(a => a.Id < cursor);
        var rows = await query.OrderByDescending(a => a.Id).Take(Paging.Fetch(filter.Limit)).ToListAsync(cancellationToken);
        return Paging.Of(rows, filter.Limit, a => a.Id);
    }

    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(
        string? targetKind = null, int? targetId = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.AuditEntries.AsNoTracking();
        if (targetKind is not null)
            query = query.Where(a => a.TargetKind == targetKind);
        if (targetId is not null)
            query = query.Where(a => a.TargetId == targetId);
        return await query.OrderByDescending(a => a.Id).Take(Math.Clamp(limit, 1, 10_000)).ToListAsync(cancellationToken);
    }
}
