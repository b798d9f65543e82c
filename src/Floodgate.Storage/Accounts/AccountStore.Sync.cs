using Floodgate.Core.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Accounts;

public enum MailboxSyncAction
{
    Add,
    Update,
    Enable,
    Disable,
}

/// <summary>One change a sync makes (or, on a dry run, would make); <paramref name="What"/> names the fields an update changes.</summary>
public sealed record MailboxSyncChange(MailboxSyncAction Action, string Address, int? Line, IReadOnlyList<string> What);

/// <summary>The plan of a sync: the domains it governs, what changes, and how many mailboxes the file states as they already are.</summary>
public sealed record MailboxSyncResult(bool DryRun, IReadOnlyList<string> Domains, IReadOnlyList<MailboxSyncChange> Changes, int Unchanged);

public sealed partial class AccountStore
{
    /// <summary>The status reason of a mailbox a sync disabled: a later sync that finds it in the file again enables it, and only such a one.</summary>
    public const string SyncDisabledReason = "not in the provisioning file (mailbox sync)";

    /// <summary>
    /// Makes the mailboxes of the file's domains (and of <paramref name="domains"/>, to empty one)
    /// what the file says: adds those missing, updates display names and passwords that differ,
    /// disables active mailboxes the file no longer lists, and enables those a sync disabled that are
    /// back. A mailbox an operator disabled, or the ladder suspended, keeps its status: the file says
    /// which mailboxes exist, not whether a spammer may send again. All or nothing in one
    /// transaction, audited change by change; running it twice changes nothing the second time.
    /// </summary>
    public async Task<MailboxSyncResult> SyncMailboxesAsync(
        TextReader file, MailboxFileFormat format, bool allowWeakHashes, IReadOnlyList<string> domains, bool dryRun, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var text = await MailboxFile.ReadAllAsync(file, cancellationToken);
        if (!MailboxFile.TryRead(text, format, allowWeakHashes, out var lines, out var errors))
            throw Invalid(errors.OrderBy(LineOf).ToList(), "Nothing was changed");
        return await SyncMailboxesAsync(lines, domains, dryRun, actor, cancellationToken);
    }

    /// <inheritdoc cref="SyncMailboxesAsync(TextReader, MailboxFileFormat, bool, IReadOnlyList{string}, bool, string, CancellationToken)"/>
    public async Task<MailboxSyncResult> SyncMailboxesAsync(
        IReadOnlyList<MailboxLine> lines, IReadOnlyList<string> domains, bool dryRun, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (lines.Count == 0 && domains.Count == 0)
            throw new AccountException(AccountError.Invalid, "Nothing was changed: the file holds no mailboxes and no --domain was named.");

        var errors = new List<string>();
        var domainNames = new SortedSet<string>(lines.Select(l => l.DomainName), StringComparer.Ordinal);
        foreach (var name in domains)
        {
            if (AccountValidation.TryNormalizeDomain(name, out var domainName, out var error))
                domainNames.Add(domainName);
            else
                errors.Add($"--domain {name}: {error}");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var names = domainNames.ToList();
        var known = await db.Domains.Where(d => names.Contains(d.Name)).ToDictionaryAsync(d => d.Name, d => d.Id, cancellationToken);
        foreach (var line in lines)
        {
            if (!known.ContainsKey(line.DomainName))
                errors.Add($"line {line.Line}: {line.Address}: the domain {line.DomainName} does not exist");
        }

        foreach (var name in names.Where(n => !known.ContainsKey(n) && !lines.Any(l => l.DomainName == n)))
            errors.Add($"--domain {name}: the domain does not exist");
        if (errors.Count > 0)
            throw Invalid(errors.OrderBy(LineOf).ToList(), "Nothing was changed");

        var domainIds = known.Values.ToList();
        var existing = await db.Mailboxes.Where(m => domainIds.Contains(m.DomainId)).ToDictionaryAsync(m => m.Address, StringComparer.Ordinal, cancellationToken);

        // Whether a plaintext password is already the stored one takes a KDF run each: on every core, bounded as at import.
        // A hash from the file is the same password when it is the stored hash, or the one a good login has since
        // upgraded to Argon2id (its digest is kept): a sync must not put a weak hash back.
        var samePassword = new bool[lines.Count];
        Parallel.For(0, lines.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var line = lines[i];
            if (existing.TryGetValue(line.Address, out var m))
                samePassword[i] = line.Password is { } plain
                    ? hasher.Verify(plain, m.PasswordHash)
                    : line.PasswordHash is null || line.PasswordHash == m.PasswordHash
                        || (m.ImportedHashDigest is not null && m.ImportedHashDigest == PasswordSchemes.Digest(line.PasswordHash));
        });

        var changes = new List<MailboxSyncChange>();
        var added = new List<(MailboxLine Line, int Index)>();
        var updated = new List<(Mailbox Mailbox, MailboxLine Line, int Index, List<string> What, bool Enable)>();
        var unchanged = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (!existing.TryGetValue(line.Address, out var m))
            {
                added.Add((line, i));
                changes.Add(new MailboxSyncChange(MailboxSyncAction.Add, line.Address, line.Line, []));
                continue;
            }

            var what = new List<string>();
            if (line.StatesDisplayName && line.DisplayName != m.DisplayName)
                what.Add("display name");
            if (!samePassword[i])
                what.Add("password");
            var enable = m.Status == AccountStatus.Disabled && m.StatusReason == SyncDisabledReason;
            if (what.Count > 0)
                changes.Add(new MailboxSyncChange(MailboxSyncAction.Update, line.Address, line.Line, what));
            if (enable)
                changes.Add(new MailboxSyncChange(MailboxSyncAction.Enable, line.Address, line.Line, []));
            if (what.Count > 0 || enable)
                updated.Add((m, line, i, what, enable));
            else
                unchanged++;
        }

        var listed = lines.Select(l => l.Address).ToHashSet(StringComparer.Ordinal);
        var removed = existing.Values.Where(m => !listed.Contains(m.Address) && m.Status == AccountStatus.Active).OrderBy(m => m.Address, StringComparer.Ordinal).ToList();
        foreach (var m in removed)
            changes.Add(new MailboxSyncChange(MailboxSyncAction.Disable, m.Address, null, []));

        var result = new MailboxSyncResult(dryRun, names, changes, unchanged);
        if (dryRun || changes.Count == 0)
            return result;

        var hashes = HashAll(lines, added.Select(a => a.Index).Concat(updated.Where(u => u.What.Contains("password")).Select(u => u.Index)).ToList(), cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            var newMailboxes = added.Select(a => new Mailbox
            {
                DomainId = known[a.Line.DomainName],
                Address = a.Line.Address,
                DisplayName = a.Line.DisplayName,
                PasswordHash = hashes[a.Index],
                ImportedHashDigest = PasswordSchemes.Digest(a.Line.PasswordHash),
                Status = AccountStatus.Active,
                CreatedAt = now,
            }).ToList();
            db.Mailboxes.AddRange(newMailboxes);
            foreach (var (m, line, index, what, enable) in updated)
            {
                if (what.Contains("display name"))
                    m.DisplayName = line.DisplayName;
                if (what.Contains("password"))
                    (m.PasswordHash, m.ImportedHashDigest) = (hashes[index], PasswordSchemes.Digest(line.PasswordHash));
                if (enable)
                    (m.Status, m.StatusReason) = (AccountStatus.Active, null);
            }

            foreach (var m in removed)
                (m.Status, m.StatusReason) = (AccountStatus.Disabled, SyncDisabledReason);
            await db.SaveChangesAsync(cancellationToken);

            foreach (var m in newMailboxes)
                db.AuditEntries.Add(NewAuditEntry(now, actor, "mailbox.add", "mailbox", m.Id,
                    new { address = m.Address, displayName = m.DisplayName, password = m.PasswordHash is not null, scheme = PasswordSchemes.Of(m.PasswordHash)?.Name, source = "sync" }));
            foreach (var (m, _, _, what, enable) in updated)
            {
                if (what.Count > 0)
                    db.AuditEntries.Add(NewAuditEntry(now, actor, "mailbox.update", "mailbox", m.Id, new { address = m.Address, changed = what, source = "sync" }));
                if (enable)
                    db.AuditEntries.Add(NewAuditEntry(now, actor, "mailbox.status", "mailbox", m.Id, new { address = m.Address, status = "Active", source = "sync" }));
            }

            foreach (var m in removed)
                db.AuditEntries.Add(NewAuditEntry(now, actor, "mailbox.status", "mailbox", m.Id, new { address = m.Address, status = "Disabled", reason = SyncDisabledReason, source = "sync" }));
            db.AuditEntries.Add(NewAuditEntry(now, actor, "mailbox.sync", "domain", null, new
            {
                domains = names,
                added = newMailboxes.Count,
                updated = updated.Count(u => u.What.Count > 0),
                enabled = updated.Count(u => u.Enable),
                disabled = removed.Count,
                unchanged,
            }));
            await db.SaveChangesAsync(cancellationToken);
            await BumpVersionAsync(db, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            throw new AccountException(AccountError.Conflict, $"Nothing was changed: the sync conflicts with a change made meanwhile ({ex.InnerException?.Message ?? ex.Message}).");
        }

        return result;
    }

    private string?[] HashAll(IReadOnlyList<MailboxLine> lines, IReadOnlyList<int> indexes, CancellationToken cancellationToken)
    {
        var hashes = new string?[lines.Count];
        Parallel.For(0, indexes.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, j =>
        {
            var i = indexes[j];
            hashes[i] = lines[i].Password is { } plain ? hasher.Hash(plain) : lines[i].PasswordHash;
        });
        return hashes;
    }
}
