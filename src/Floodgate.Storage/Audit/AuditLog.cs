using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Audit;

/// <summary>Reads the audit log, newest first.</summary>
public sealed class AuditLog(IDbContextFactory<FloodgateDbContext> dbFactory)
{
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
