using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Audit;

/// <summary>
/// A filter of <see cref="AuditSearch.PageAsync"/>; null means any. Actor and action match from their
/// start ("operator:" finds every operator, "incident." every incident step).
/// </summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? TargetKind = null, int? TargetId = null, long? BeforeId = null, int Limit = 50);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? NextBeforeId);

/// <summary>The console's view of the audit log: filtered, newest first, paged by id (the primary key).</summary>
public sealed class AuditSearch(IDbContextFactory<FloodgateDbContext> dbFactory)
{
    public const int MaxLimit = 200;

    public async Task<AuditPage> PageAsync(AuditFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var limit = Math.Clamp(filter.Limit, 1, MaxLimit);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim();
            query = query.Where(a => a.Actor.StartsWith(actor));
        }

        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            var action = filter.Action.Trim();
            query = query.Where(a => a.Action.StartsWith(action));
        }

        if (!string.IsNullOrWhiteSpace(filter.TargetKind))
        {
            var kind = filter.TargetKind.Trim();
            query = query.Where(a => a.TargetKind == kind);
        }

        if (filter.TargetId is { } targetId)
            query = query.Where(a => a.TargetId == targetId);
        if (filter.BeforeId is { } before)
            query = query.Where(a => a.Id < before);
        var entries = await query.OrderByDescending(a => a.Id).Take(limit + 1).ToListAsync(cancellationToken);
        long? next = null;
        if (entries.Count > limit)
        {
            entries.RemoveAt(limit);
            next = entries[^1].Id;
        }

        return new AuditPage(entries, next);
    }
}
