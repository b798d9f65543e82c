using Floodgate.Core.Policy;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Transactions;

/// <summary>
/// A filter for <see cref="TransactionLog.QueryAsync"/> and <see cref="TransactionLog.PageAsync"/>; null
/// means any. <see cref="Since"/> is inclusive, <see cref="Until"/> exclusive. <see cref="ClientId"/> is
/// also how a client administrator's view is confined to its client. <see cref="Cursor"/> (paging only)
/// is the previous page's <see cref="Page{T}.Next"/>.
/// </summary>
public sealed record TransactionQuery(
    DateTimeOffset? Since = null,
    string? Mailbox = null,
    Outcome? Verdict = null,
    int Limit = 50,
    DateTimeOffset? Until = null,
    int? MailboxId = null,
    int? DomainId = null,
    int? ClientId = null,
    string? Door = null,
    long? Cursor = null);

/// <summary>What the rate windows need of one transaction.</summary>
public readonly record struct TransactionWindowRow(
    DateTimeOffset Time,
    int? MailboxId,
    int? DomainId,
    int? ClientId,
    int Recipients,
    int ExternalRecipients,
    Outcome Verdict,
    string? MessageId = null,
    byte[]? Fingerprint = null,
    bool Counted = true,
    string? Subject = null,
    string? DestinationDomains = null);

/// <summary>Reads the transaction log.</summary>
public sealed class TransactionLog(IDbContextFactory<FloodgateDbContext> dbFactory)
{
    public const int MaxLimit = 10_000;

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<TransactionRecord>> QueryAsync(TransactionQuery filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Filter(db.Transactions.AsNoTracking(), filter).OrderByDescending(t => t.Time).ThenByDescending(t => t.Id)
            .Take(Math.Clamp(filter.Limit, 1, MaxLimit))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Newest first by id (the order rows were written, which is the order of time but for a batch's
    /// few milliseconds), so the cursor is the id alone and walks the primary key.
    /// </summary>
    public async Task<Page<TransactionRecord>> PageAsync(TransactionQuery filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = Filter(db.Transactions.AsNoTracking(), filter);
        if (filter.Cursor is { } cursor)
            query = query.Where(t => t.Id < cursor);
        var rows = await query.OrderByDescending(t => t.Id).Take(Paging.Fetch(filter.Limit)).ToListAsync(cancellationToken);
        return Paging.Of(rows, filter.Limit, t => t.Id);
    }

    private static IQueryable<TransactionRecord> Filter(IQueryable<TransactionRecord> query, TransactionQuery filter)
    {
        if (filter.Since is { } since)
            query = query.Where(t => t.Time >= since);
        if (filter.Until is { } until)
            query = query.Where(t => t.Time < until);
        if (!string.IsNullOrWhiteSpace(filter.Mailbox))
        {
            var mailbox = filter.Mailbox.Trim().ToLowerInvariant();
            query = query.Where(t => t.MailboxAddress == mailbox);
        }

        if (filter.MailboxId is { } mailboxId)
            query = query.Where(t => t.MailboxId == mailboxId);
        if (filter.DomainId is { } domainId)
            query = query.Where(t => t.DomainId == domainId);
        if (filter.ClientId is { } clientId)
            query = query.Where(t => t.ClientId == clientId);
        if (!string.IsNullOrWhiteSpace(filter.Door))
        {
            var door = filter.Door.Trim().ToLowerInvariant();
            query = query.Where(t => t.FrontDoor == door);
        }

        if (filter.Verdict is { } verdict)
            query = query.Where(t => t.Verdict == verdict);
        return query;
    }

    /// <summary>
    /// Every transaction at or after <paramref name="since"/>, oldest first, as slim rows, so the
    /// server can rebuild its windows at start. All verdicts: the caller decides which count.
    /// </summary>
    public async Task<IReadOnlyList<TransactionWindowRow>> LoadSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Transactions.AsNoTracking()
            .Where(t => t.Time >= since)
            .OrderBy(t => t.Time).ThenBy(t => t.Id)
            .Select(t => new TransactionWindowRow(t.Time, t.MailboxId, t.DomainId, t.ClientId, t.RecipientCount, t.ExternalRecipientCount, t.Verdict, t.MessageId, t.Fingerprint, t.Counted, t.Subject, t.RecipientDomains))
            .ToListAsync(cancellationToken);
    }
}
