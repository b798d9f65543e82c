using System.Globalization;
using Floodgate.Core.Policy;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Transactions;

/// <summary>Where a page of the transaction log ends: the next page starts after it (newest first).</summary>
public readonly record struct TransactionCursor(DateTimeOffset Time, long Id)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Time.ToUnixTimeMilliseconds()}-{Id}");

    public static bool TryParse(string? text, out TransactionCursor cursor)
    {
        cursor = default;
        var dash = text?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (dash <= 0
            || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            return false;
        cursor = new TransactionCursor(DateTimeOffset.FromUnixTimeMilliseconds(ms), id);
        return true;
    }
}

/// <summary>A filter of <see cref="TransactionSearch.PageAsync"/>; null means any. <paramref name="Door"/>: "gateway", "policy", "milter".</summary>
public sealed record TransactionFilter(
    string? Mailbox = null,
    int? ClientId = null,
    Outcome? Outcome = null,
    string? Door = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    TransactionCursor? After = null,
    int Limit = 50);

/// <summary>One row of the log as the console shows it (no fingerprint bytes).</summary>
public sealed record TransactionRow(
    long Id,
    DateTimeOffset Time,
    int? MailboxId,
    string? MailboxAddress,
    int? ClientId,
    string? ClientAddress,
    string Door,
    string? EnvelopeSender,
    int Recipients,
    int External,
    long Size,
    string? MessageId,
    Outcome Outcome,
    string? ReplyCode,
    string? Reason,
    string? UpstreamReply,
    bool Counted,
    long TotalMicros);

public sealed record TransactionPage(IReadOnlyList<TransactionRow> Rows, TransactionCursor? Next);

/// <summary>
/// The console's view of the transaction log: filtered, newest first, paged by (time, id) so each page
/// is one range scan of the (Time) or (MailboxAddress, Time) index, however deep the reader pages.
/// </summary>
public sealed class TransactionSearch(IDbContextFactory<FloodgateDbContext> dbFactory)
{
    public const int MaxLimit = 200;

    public async Task<TransactionPage> PageAsync(TransactionFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var limit = Math.Clamp(filter.Limit, 1, MaxLimit);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Transactions.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Mailbox))
        {
            var mailbox = filter.Mailbox.Trim().ToLowerInvariant();
            query = query.Where(t => t.MailboxAddress == mailbox);
        }

        if (filter.ClientId is { } clientId)
            query = query.Where(t => t.ClientId == clientId);
        if (filter.Outcome is { } outcome)
            query = query.Where(t => t.Verdict == outcome);
        if (!string.IsNullOrWhiteSpace(filter.Door))
        {
            var door = filter.Door.Trim().ToLowerInvariant();
            query = query.Where(t => t.FrontDoor == door);
        }

        if (filter.Since is { } since)
            query = query.Where(t => t.Time >= since);
        if (filter.Until is { } until)
            query = query.Where(t => t.Time < until);
        if (filter.After is { } after)
        {
            // "Time <= t" is the indexed range; the rest drops the rows of that same millisecond already shown.
            var time = after.Time;
            var id = after.Id;
            query = query.Where(t => t.Time <= time && !(t.Time == time && t.Id >= id));
        }

        var rows = await query.OrderByDescending(t => t.Time).ThenByDescending(t => t.Id)
            .Take(limit + 1)
            .Select(t => new TransactionRow(t.Id, t.Time, t.MailboxId, t.MailboxAddress, t.ClientId, t.ClientAddress, t.FrontDoor, t.EnvelopeSender,
                t.RecipientCount, t.ExternalRecipientCount, t.SizeBytes, t.MessageId, t.Verdict, t.VerdictCode, t.VerdictReason, t.UpstreamReply,
                t.Counted, t.TotalMicros))
            .ToListAsync(cancellationToken);
        TransactionCursor? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(limit);
            next = new TransactionCursor(rows[^1].Time, rows[^1].Id);
        }

        return new TransactionPage(rows, next);
    }
}
