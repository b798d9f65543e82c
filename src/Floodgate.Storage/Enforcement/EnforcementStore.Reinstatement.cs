using System.Globalization;
using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Enforcement;

/// <summary>
/// What a reinstatement brings. A mailbox suspended for an offense was most likely sending with
/// stolen credentials, so (as Exchange Online's restricted-users flow asks for a password reset
/// first) each mailbox the offense named that has a password needs a new one, given here, unless an
/// operator overrides with a reason.
/// </summary>
/// <param name="NewPasswords">By mailbox id. Never logged or audited; stored only as its Argon2id hash.</param>
/// <param name="OverrideReason">Reinstate without new passwords; the reason is audited as an override.</param>
public sealed record Reinstatement(IReadOnlyDictionary<int, string>? NewPasswords = null, string? OverrideReason = null)
{
    public static readonly Reinstatement None = new();

    // A record prints its members; this one holds passwords.
    public override string ToString() =>
        $"Reinstatement {{ NewPasswords = {NewPasswords?.Count ?? 0} mailbox(es), OverrideReason = {OverrideReason} }}";
}

/// <summary>A mailbox the offense of an incident named, and whether reinstating needs a new password for it (it has one now).</summary>
public sealed record NamedMailbox(int Id, string Address, bool HasPassword);

public sealed partial class EnforcementStore
{
    private static readonly Lazy<PasswordHasher> DefaultHasher = new(() => new PasswordHasher());

    private PasswordHasher Hasher => passwordHasher ?? DefaultHasher.Value;

    /// <summary>The mailboxes the incident's offense named (the one whose message decided first), each with whether it has a password.</summary>
    public async Task<IReadOnlyList<NamedMailbox>> ListNamedMailboxesAsync(long incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == incidentId, cancellationToken)
            ?? throw NotFound("incident", incidentId);
        var named = await NamedMailboxesAsync(db, incident.OffenseId, incident.ClientId, cancellationToken);
        return named.Select(m => new NamedMailbox(m.Id, m.Address, m.PasswordHash is not null)).ToList();
    }

    /// <summary>
    /// The offense's mailbox, those its mailbox suspensions name, and the others its audit row lists
    /// (a domain step suspends domains, and no column keeps which further mailboxes were in the
    /// detection; the audit row is written in the same transaction as the offense). Tracked, for
    /// <see cref="ReplaceCredentialsAsync"/>. Only mailboxes of the incident's client, still present.
    /// </summary>
    private static async Task<List<Mailbox>> NamedMailboxesAsync(FloodgateDbContext db, long offenseId, int clientId, CancellationToken cancellationToken)
    {
        var offense = await db.Offenses.AsNoTracking().FirstAsync(o => o.Id == offenseId, cancellationToken);
        var ids = new HashSet<int> { offense.MailboxId };
        ids.UnionWith(await db.Suspensions.AsNoTracking()
            .Where(s => s.OffenseId == offenseId && s.Scope == AccountScope.Mailbox)
            .Select(s => s.TargetId).ToListAsync(cancellationToken));

        int? key = checked((int)offenseId);
        var details = await db.AuditEntries.AsNoTracking()
            .Where(a => a.TargetKind == "offense" && a.TargetId == key && a.Action == "offense.record")
            .Select(a => a.Details).FirstOrDefaultAsync(cancellationToken);
        var others = new List<string>();
        if (details is not null)
        {
            using var json = JsonDocument.Parse(details);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("others", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                others.AddRange(list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
        }

        var mailboxes = await db.Mailboxes.Include(m => m.Domain)
            .Where(m => ids.Contains(m.Id) || others.Contains(m.Address))
            .ToListAsync(cancellationToken);
        return mailboxes.Where(m => m.Domain!.ClientId == clientId)
            .OrderBy(m => m.Id == offense.MailboxId ? 0 : 1).ThenBy(m => m.Address, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Before the database transaction: checks the request's shape and each password, refuses a new
    /// password equal to the old one (the thief knows the old one), and runs the KDF, off the caller's
    /// thread and outside the write lock (Argon2id costs tens of milliseconds a password).
    /// </summary>
    private async Task<PreparedCredentials> PrepareCredentialsAsync(long incidentId, Reinstatement reinstatement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reinstatement);

        // An unknown incident or one in the wrong state is told so before any KDF runs (the transaction asks the table again).
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var incident = await db.Incidents.AsNoTracking().Where(i => i.Id == incidentId).Select(i => new { i.State, i.Step })
                .FirstOrDefaultAsync(cancellationToken) ?? throw NotFound("incident", incidentId);
            if (!IncidentTransitions.TryApply(incident.State, IncidentAction.Reinstate, incident.Step, out _, out var error))
                throw new EnforcementException(EnforcementError.Conflict, $"Incident {incidentId}: {error}.");
        }

        var passwords = reinstatement.NewPasswords ?? new Dictionary<int, string>();
        string? overrideReason = null;
        if (reinstatement.OverrideReason is not null)
        {
            if (passwords.Count > 0)
                throw Refused("give either new passwords or an override, not both");
            overrideReason = RequireReason(reinstatement.OverrideReason, "override the new-password requirement");
        }

        var errors = new List<string>();
        foreach (var (id, password) in passwords)
        {
            if (!AccountValidation.TryPassword(password, out var error))
                errors.Add($"the new password of mailbox {id.ToString(CultureInfo.InvariantCulture)}: {error}");
        }

        if (errors.Count > 0)
            throw Refused(errors);
        if (passwords.Count == 0)
            return new PreparedCredentials(new Dictionary<int, string>(), overrideReason);

        Dictionary<int, (string Address, string? Hash)> current;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var ids = passwords.Keys.ToList();
            current = await db.Mailboxes.AsNoTracking().Where(m => ids.Contains(m.Id))
                .ToDictionaryAsync(m => m.Id, m => (m.Address, m.PasswordHash), cancellationToken);
        }

        var hasher = Hasher;
        var hashes = await Task.Run(() =>
        {
            var result = new Dictionary<int, string>();
            foreach (var (id, password) in passwords)
            {
                if (current.TryGetValue(id, out var old) && old.Hash is not null && hasher.Verify(password, old.Hash))
                    errors.Add($"the new password of {old.Address} is its old password: choose another (whoever sent the mass mailing may know the old one)");
                else
                    result[id] = hasher.Hash(password);
            }

            return result;
        }, cancellationToken);
        if (errors.Count > 0)
            throw Refused(errors);
        return new PreparedCredentials(hashes, overrideReason);
    }

    /// <summary>
    /// In the reinstatement's transaction: every mailbox the offense named that has a password must get
    /// a new one (or the override says why not); no password may be given for another mailbox. The new
    /// hash replaces the old and is audited as <c>mailbox.password</c> (the address, never the hash); an
    /// override is audited as <c>incident.reinstate-override</c> with the mailboxes that kept their passwords.
    /// </summary>
    private static async Task<CredentialChange> ReplaceCredentialsAsync(
        FloodgateDbContext db, IncidentRecord incident, PreparedCredentials prepared, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var named = await NamedMailboxesAsync(db, incident.OffenseId, incident.ClientId, cancellationToken);
        var namedIds = named.Select(m => m.Id).ToHashSet();
        var strangers = prepared.Hashes.Keys.Where(id => !namedIds.Contains(id)).Order().ToList();
        if (strangers.Count > 0)
        {
            throw Refused(strangers.Select(id =>
                $"mailbox {id.ToString(CultureInfo.InvariantCulture)} is not one the offense of incident {incident.Id.ToString(CultureInfo.InvariantCulture)} named; the named ones are {Addresses(named)}").ToList());
        }

        var missing = named.Where(m => m.PasswordHash is not null && !prepared.Hashes.ContainsKey(m.Id)).ToList();
        if (missing.Count > 0 && prepared.OverrideReason is null)
        {
            throw Refused(missing.Select(m =>
                $"a new password is required for {m.Address} (id {m.Id.ToString(CultureInfo.InvariantCulture)}): it was most likely sending with stolen credentials; give one, or an override with a reason").ToList());
        }

        var reset = new List<string>();
        foreach (var m in named)
        {
            if (!prepared.Hashes.TryGetValue(m.Id, out var hash))
                continue;
            m.PasswordHash = hash;
            m.ImportedHashDigest = null;
            reset.Add(m.Address);
            Audit(db, now, actor, "mailbox.password", "mailbox", m.Id, new { address = m.Address, reason = "reinstatement", incident = incident.Id });
        }

        if (prepared.OverrideReason is { } reason)
        {
            Audit(db, now, actor, "incident.reinstate-override", "incident", incident.Id, new
            {
                reason,
                keptPasswords = missing.Select(m => m.Address).ToList(),
                warning = "Reinstated without new passwords: whoever sent with the mailboxes' credentials may still hold them.",
            });
        }

        return new CredentialChange(reset, prepared.OverrideReason);
    }

    private static string Addresses(List<Mailbox> mailboxes) =>
        mailboxes.Count == 0 ? "(none)" : string.Join(", ", mailboxes.Select(m => $"{m.Address} (id {m.Id.ToString(CultureInfo.InvariantCulture)})"));

    private static EnforcementException Refused(string problem) => Refused([problem]);

    private static EnforcementException Refused(IReadOnlyList<string> problems) =>
        new(EnforcementError.Invalid, $"The incident was not reinstated: {string.Join("; ", problems)}.", problems);

    /// <summary>New hashes by mailbox id, made before the transaction.</summary>
    private sealed record PreparedCredentials(IReadOnlyDictionary<int, string> Hashes, string? OverrideReason);

    /// <summary>What the reinstatement did to passwords, for its audit row.</summary>
    private sealed record CredentialChange(IReadOnlyList<string> Reset, string? OverrideReason);
}
