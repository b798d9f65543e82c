using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Audit;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Accounts;

/// <summary>What an import added.</summary>
public sealed record MailboxImportResult(int Imported, IReadOnlyList<string> Addresses);

public sealed partial class AccountStore
{
    private const int MaxReportedErrors = 100;

    /// <summary>
    /// Adds mailboxes from CSV with a header row naming the columns <c>address</c>, <c>password</c>
    /// or <c>password_hash</c>, and optionally <c>display_name</c> (any order), or from a Dovecot
    /// passwd-file (<see cref="MailboxFile"/>). All or nothing: any bad line and nothing is added; the
    /// exception's <see cref="AccountException.Details"/> lists every bad line as "line N: ...".
    /// </summary>
    public async Task<MailboxImportResult> ImportMailboxesAsync(TextReader file, string actor, CancellationToken cancellationToken = default) =>
        await ImportMailboxesAsync(file, MailboxFileFormat.Csv, allowWeakHashes: false, actor, cancellationToken);

    public async Task<MailboxImportResult> ImportMailboxesAsync(TextReader file, MailboxFileFormat format, bool allowWeakHashes, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var text = await MailboxFile.ReadAllAsync(file, cancellationToken);
        MailboxFile.TryRead(text, format, allowWeakHashes, out var lines, out var errors);
        if (lines.Count == 0 && errors.Count == 0)
            throw new AccountException(AccountError.Invalid, "The file has a header row but no mailboxes.");
        return await ImportMailboxesAsync(lines, errors, actor, cancellationToken);
    }

    /// <summary>
    /// Adds the mailboxes <paramref name="lines"/> state; none may exist yet. All or nothing: the file's
    /// own <paramref name="errors"/> are reported together with what the database refuses (unknown
    /// domains, addresses that exist), so one run names every bad line.
    /// </summary>
    private async Task<MailboxImportResult> ImportMailboxesAsync(IReadOnlyList<MailboxLine> lines, List<string> errors, string actor, CancellationToken cancellationToken)
    {
        var rows = lines;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domainNames = rows.Select(r => r.DomainName).Distinct().ToList();
        var domains = await db.Domains.Where(d => domainNames.Contains(d.Name)).ToDictionaryAsync(d => d.Name, d => d.Id, cancellationToken);
        var addresses = rows.Select(r => r.Address).ToList();
        var existing = (await db.Mailboxes.Where(m => addresses.Contains(m.Address)).Select(m => m.Address).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var row in rows)
        {
            if (!domains.ContainsKey(row.DomainName))
                errors.Add($"line {row.Line}: {row.Address}: the domain {row.DomainName} does not exist");
            else if (existing.Contains(row.Address))
                errors.Add($"line {row.Line}: {row.Address} already exists");
        }

        if (errors.Count > 0)
            throw Invalid(errors.OrderBy(LineOf).ToList());
        if (rows.Count == 0)
            throw new AccountException(AccountError.Invalid, "The file has a header row but no mailboxes.");

        // The KDF runs on every core, one hash per core at a time: each holds its memory cost while it runs, and more
        // threads would only add memory, so plaintext passwords go at the machine's hashing rate in bounded memory.
        var hashes = HashAll(rows, Enumerable.Range(0, rows.Count).ToList(), cancellationToken);

        var now = time.GetUtcNow();
        var mailboxes = rows.Select((r, i) => new Mailbox
        {
            DomainId = domains[r.DomainName],
            Address = r.Address,
            DisplayName = r.DisplayName,
            PasswordHash = hashes[i],
            ImportedHashDigest = PasswordSchemes.Digest(r.PasswordHash),
            Status = AccountStatus.Active,
            CreatedAt = now,
        }).ToList();

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            db.Mailboxes.AddRange(mailboxes);
            await db.SaveChangesAsync(cancellationToken);
            db.AuditEntries.AddRange(mailboxes.Select(m => new AuditEntry
            {
                Time = now,
                Actor = actor,
                Action = "mailbox.import",
                TargetKind = "mailbox",
                TargetId = m.Id,
                Details = System.Text.Json.JsonSerializer.Serialize(new { address = m.Address, displayName = m.DisplayName, password = m.PasswordHash is not null, scheme = PasswordSchemes.Of(m.PasswordHash)?.Name }, DetailsJson),
            }));
            await db.SaveChangesAsync(cancellationToken);
            await BumpVersionAsync(db, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            throw new AccountException(AccountError.Conflict, $"Nothing was imported: the import conflicts with a change made meanwhile ({ex.InnerException?.Message ?? ex.Message}).");
        }

        return new MailboxImportResult(mailboxes.Count, addresses);
    }

    private static AccountException Invalid(List<string> errors, string nothing = "Nothing was imported")
    {
        var shown = errors.Count > MaxReportedErrors
            ? [.. errors.Take(MaxReportedErrors), $"... and {errors.Count - MaxReportedErrors} more"]
            : errors;
        return new AccountException(
            AccountError.Invalid,
            $"{nothing}: {errors.Count} bad line{(errors.Count == 1 ? "" : "s")}.",
            shown);
    }

    private static int LineOf(string error) =>
        error.StartsWith("line ", StringComparison.Ordinal)
        && int.TryParse(error.AsSpan(5, error.IndexOf(':', StringComparison.Ordinal) - 5), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : int.MaxValue;
}
