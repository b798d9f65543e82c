using Floodgate.Core.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Transactions;

/// <summary>
/// Fills <see cref="TrafficStatistics"/> at start from the transaction log: the rows of the last 7 days
/// written before the statistics saw traffic live, streamed (a million rows are never held at once),
/// through the (Time) index.
/// </summary>
public sealed class TrafficHistory(IDbContextFactory<FloodgateDbContext> dbFactory)
{
    /// <returns>How many rows were counted.</returns>
    public async Task<int> LoadAsync(TrafficStatistics statistics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var until = statistics.LiveSince;
        var since = until.AddHours(-TrafficStatistics.Hours);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = db.Transactions.AsNoTracking()
            .Where(t => t.Time >= since && t.Time < until && t.Counted && t.MailboxId != null)
            .Select(t => new { t.Time, t.MailboxId, t.DomainId, t.ClientId, t.RecipientCount, t.Verdict })
            .AsAsyncEnumerable();
        var counted = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            statistics.Record(row.Time, row.MailboxId!.Value, row.DomainId ?? 0, row.ClientId ?? 0, row.Verdict, row.RecipientCount);
            counted++;
        }

        return counted;
    }
}
