using Floodgate.Core.Policy;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Transactions;

/// <summary>A filter for <see cref="TransactionLog.QueryAsync"/>; null means any.</summary>
public sealed record TransactionQuery(
    DateTimeOffset? Since = null,
    string? Mailbox = null,
    Outcome? Verdict = null,
    int Limit = 50);

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
        var query = db.Transactions.AsNoTracking();
        if (filter.Since is { } since)
            query = query.Where(t => t.Time >= since);
        if (!string.IsNullOrWhiteSpace(filter.Mailbox))
        {
            var mailbox = filter.Mailbox.Trim().ToLowerInvariant();
            query = query.Where(t => t.MailboxAddress == mailbox);
        }

        if (filter.Verdict is { } verdict)
            query = query.Where(t => t.Verdict == verdict);
        return await query.OrderByDescending(t => t.Time).ThenByDescending(t => t.Id)
            .Take(Math.Clamp(filter.Limit, 1, MaxLimit))
            .ToListAsync(cancellationToken);
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
