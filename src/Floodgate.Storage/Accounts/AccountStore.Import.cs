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
    /// Adds mailboxes from CSV with a header row naming the columns <c>address,password[,display_name]</c>
    /// (any order). All or nothing: any bad line and nothing is added; the exception's
    /// <see cref="AccountException.Details"/> lists every bad line as "line N: ...".
    /// </summary>
    public async Task<MailboxImportResult> ImportMailboxesAsync(TextReader csv, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (!CsvReader.TryReadAll(csv, out var records, out var csvError))
            throw Invalid([csvError!]);
        if (records.Count == 0)
            throw new AccountException(AccountError.Invalid, "The CSV is empty; expected a header row address,password[,display_name].");

        var header = records[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
        int addressColumn = header.IndexOf("address"), passwordColumn = header.IndexOf("password"), nameColumn = header.IndexOf("display_name");
        if (addressColumn < 0 || passwordColumn < 0 || header.Any(h => h is not ("address" or "password" or "display_name")) || header.Distinct().Count() != header.Count)
            throw Invalid([$"line {records[0].Line}: expected the header row address,password[,display_name], got \"{string.Join(",", records[0].Fields)}\""]);

        var errors = new List<string>();
        var rows = new List<(int Line, string Address, string DomainName, string Password, string? DisplayName)>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in records.Skip(1))
        {
            var line = record.Line;
            if (record.Fields.Count != header.Count)
            {
                errors.Add($"line {line}: expected {header.Count} fields, found {record.Fields.Count}");
                continue;
            }

            if (!AccountValidation.TryNormalizeAddress(record.Fields[addressColumn], out var address, out var domainName, out var error))
            {
                errors.Add($"line {line}: {error}");
                continue;
            }

            if (seen.TryGetValue(address, out var firstLine))
            {
                errors.Add($"line {line}: {address} is already on line {firstLine}");
                continue;
            }

            seen[address] = line;
            var password = record.Fields[passwordColumn];
            if (!AccountValidation.TryPassword(password, out error))
            {
                errors.Add($"line {line}: {address}: {error}");
                continue;
            }

            string? displayName = null;
            if (nameColumn >= 0 && !string.IsNullOrWhiteSpace(record.Fields[nameColumn])
                && !AccountValidation.TryName(record.Fields[nameColumn], "display name", out displayName, out error))
            {
                errors.Add($"line {line}: {address}: {error}");
                continue;
            }

            rows.Add((line, address, domainName, password, displayName));
        }

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
            throw new AccountException(AccountError.Invalid, "The CSV has a header row but no mailboxes.");

        // Argon2id is deliberately slow (tens of ms each): hash on every core.
        var hashes = new string[rows.Count];
        // One hash per core at a time: each holds 19 MiB while it runs, and more threads would only add memory.
        Parallel.For(0, rows.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, i => hashes[i] = hasher.Hash(rows[i].Password));

        var now = time.GetUtcNow();
        var mailboxes = rows.Select((r, i) => new Mailbox
        {
            DomainId = domains[r.DomainName],
            Address = r.Address,
            DisplayName = r.DisplayName,
            PasswordHash = hashes[i],
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
                Details = System.Text.Json.JsonSerializer.Serialize(new { address = m.Address, displayName = m.DisplayName, password = true }, DetailsJson),
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

    private static AccountException Invalid(List<string> errors)
    {
        var shown = errors.Count > MaxReportedErrors
            ? [.. errors.Take(MaxReportedErrors), $"... and {errors.Count - MaxReportedErrors} more"]
            : errors;
        return new AccountException(
            AccountError.Invalid,
            $"Nothing was imported: {errors.Count} bad line{(errors.Count == 1 ? "" : "s")}.",
            shown);
    }

    private static int LineOf(string error) =>
        error.StartsWith("line ", StringComparison.Ordinal)
        && int.TryParse(error.AsSpan(5, error.IndexOf(':', StringComparison.Ordinal) - 5), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : int.MaxValue;
}
