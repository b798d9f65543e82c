using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Audit;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Accounts;

/// <summary>A client to add. The plan is the default plan unless named.</summary>
public sealed record NewClient(string Name, string ContactName, string ContactPhone, string ContactEmail, string? PlanName = null);

/// <summary>
/// A mailbox to add. Without a password it exists but cannot log in through Floodgate's own store.
/// <paramref name="PasswordHash"/> instead of a password: a hash from the provider's systems, in
/// Dovecot's <c>{SCHEME}hash</c> form (<see cref="PasswordSchemes"/>); weak schemes only when
/// <paramref name="AllowWeakHash"/>.
/// </summary>
public sealed record NewMailbox(string Address, string? Password = null, string? DisplayName = null, string? PasswordHash = null, bool AllowWeakHash = false);

/// <summary>Everything the server's in-memory directory needs, read at one <see cref="Version"/>.</summary>
public sealed record AccountSnapshot(long Version, Plan DefaultPlan, IReadOnlyList<Plan> Plans, IReadOnlyList<Client> Clients);

/// <summary>
/// The one place account changes happen (CLI now, REST API later, enforcement for suspensions).
/// Every change writes an <see cref="AuditEntry"/> and increments <see cref="StateVersion"/> in the
/// same database transaction. Refusals throw <see cref="AccountException"/>.
/// </summary>
public sealed partial class AccountStore(IDbContextFactory<FloodgateDbContext> dbFactory, PasswordHasher hasher, TimeProvider time)
{
    public const string DefaultPlanName = "default";

    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web);

    // ---- clients

    public async Task<Client> AddClientAsync(NewClient client, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var errors = new List<string>();
        Check(AccountValidation.TryName(client.Name, "client name", out var name, out var e), e, errors);
        Check(AccountValidation.TryName(client.ContactName, "contact name", out var contactName, out e), e, errors);
        Check(AccountValidation.TryNormalizePhone(client.ContactPhone, out var phone, out e), "contact phone: " + e, errors);
        Check(AccountValidation.TryNormalizeAddress(client.ContactEmail, out var email, out _, out e), "contact e-mail: " + e, errors);
        ThrowIfAny(errors, "The client was not added");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Clients.AnyAsync(c => c.Name == name, cancellationToken))
            throw new AccountException(AccountError.Conflict, $"A client named \"{name}\" already exists.");
        var plan = await FindPlanAsync(db, client.PlanName ?? DefaultPlanName, cancellationToken);

        var entity = new Client
        {
            Name = name,
            ContactName = contactName,
            ContactPhone = phone,
            ContactEmail = email,
            PlanId = plan.Id,
            Status = AccountStatus.Active,
            CreatedAt = time.GetUtcNow(),
        };
        db.Clients.Add(entity);
        await CommitAsync(db, actor, "client.add", "client", () => entity.Id,
            new { name, contactName, contactPhone = phone, contactEmail = email, plan = plan.Name }, cancellationToken);
        entity.Plan = plan;
        return entity;
    }

    public async Task<IReadOnlyList<Client>> ListClientsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Clients.AsNoTracking().Include(c => c.Plan).Include(c => c.Domains)
            .OrderBy(c => c.Name).ToListAsync(cancellationToken);
    }

    /// <summary>The client with its plan, domains and their mailboxes.</summary>
    public async Task<Client> GetClientAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Clients.AsNoTracking()
            .Include(c => c.Plan)
            .Include(c => c.Domains.OrderBy(d => d.Name)).ThenInclude(d => d.Mailboxes.OrderBy(m => m.Address))
            .FirstOrDefaultAsync(c => c.Id == id, cancellationToken)
            ?? throw NotFound("client", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A client id from "42" or a client name.</summary>
    public async Task<int> ResolveClientIdAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var name = idOrName.Trim();
        var id = await db.Clients.Where(c => c.Name == name).Select(c => (int?)c.Id).FirstOrDefaultAsync(cancellationToken);
        if (id is null && int.TryParse(name, out var n))
            id = await db.Clients.Where(c => c.Id == n).Select(c => (int?)c.Id).FirstOrDefaultAsync(cancellationToken);
        return id ?? throw NotFound("client", name);
    }

    // ---- domains

    public async Task<Domain> AddDomainAsync(int clientId, string name, string actor, CancellationToken cancellationToken = default) =>
        (await AddDomainsAsync(clientId, [name], actor, cancellationToken))[0];

    /// <summary>
    /// Adds domains to one client, all or nothing, in one transaction with an audit entry per domain
    /// (one process start and one commit for hundreds of domains, where one <c>domain add</c> each took
    /// about a second).
    /// </summary>
    public async Task<IReadOnlyList<Domain>> AddDomainsAsync(int clientId, IReadOnlyList<string> names, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
            throw new AccountException(AccountError.Invalid, "No domain was added: no name was given.");

        var domainNames = new List<string>(names.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!AccountValidation.TryNormalizeDomain(name, out var domainName, out var error))
                throw new AccountException(AccountError.Invalid, names.Count == 1 ? $"The domain was not added: {error}." : $"No domain was added: {name}: {error}.");
            if (!seen.Add(domainName))
                throw new AccountException(AccountError.Invalid, $"No domain was added: {domainName} is named twice.");
            domainNames.Add(domainName);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var client = await db.Clients.FirstOrDefaultAsync(c => c.Id == clientId, cancellationToken)
            ?? throw NotFound("client", clientId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var taken = await db.Domains.Where(d => domainNames.Contains(d.Name)).OrderBy(d => d.Name)
            .Select(d => new { d.Name, Owner = d.Client!.Name }).FirstOrDefaultAsync(cancellationToken);
        if (taken is not null)
            throw new AccountException(AccountError.Conflict, $"The domain {taken.Name} already exists (client \"{taken.Owner}\").");

        var now = time.GetUtcNow();
        var entities = new List<Domain>(domainNames.Count);
        foreach (var domainName in domainNames)
            entities.Add(new Domain { ClientId = client.Id, Name = domainName, Status = AccountStatus.Active, CreatedAt = now });

        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            db.Domains.AddRange(entities);
            await db.SaveChangesAsync(cancellationToken);
            foreach (var entity in entities)
                db.AuditEntries.Add(NewAuditEntry(now, actor, "domain.add", "domain", entity.Id, new { name = entity.Name, client = client.Name }));
            await db.SaveChangesAsync(cancellationToken);
            await BumpVersionAsync(db, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // A unique index caught what the check above missed: another writer got there first.
            throw new AccountException(AccountError.Conflict, $"The change was not saved: it conflicts with existing data ({ex.InnerException?.Message ?? ex.Message}).");
        }

        return entities;
    }

    public async Task<IReadOnlyList<Domain>> ListDomainsAsync(int? clientId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Domains.AsNoTracking().Include(d => d.Client).AsQueryable();
        if (clientId is not null)
            query = query.Where(d => d.ClientId == clientId);
        return await query.OrderBy(d => d.Name).ToListAsync(cancellationToken);
    }

    /// <summary>A domain id from "42" or a domain name (any case, Unicode or A-label).</summary>
    public async Task<int> ResolveDomainIdAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        int? id = null;
        if (AccountValidation.TryNormalizeDomain(idOrName, out var name, out _))
            id = await db.Domains.Where(d => d.Name == name).Select(d => (int?)d.Id).FirstOrDefaultAsync(cancellationToken);
        else if (int.TryParse(idOrName.Trim(), out var n))
            id = await db.Domains.Where(d => d.Id == n).Select(d => (int?)d.Id).FirstOrDefaultAsync(cancellationToken);
        return id ?? throw NotFound("domain", idOrName.Trim());
    }

    // ---- mailboxes

    public async Task<Mailbox> AddMailboxAsync(NewMailbox mailbox, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        var errors = new List<string>();
        Check(AccountValidation.TryNormalizeAddress(mailbox.Address, out var address, out var domainName, out var e), e, errors);
        if (mailbox.Password is not null)
            Check(AccountValidation.TryPassword(mailbox.Password, out e), e, errors);
        string? storedHash = null;
        if (mailbox.PasswordHash is not null)
        {
            if (mailbox.Password is not null)
                errors.Add("give a password or a password hash, not both");
            else if (PasswordSchemes.TryRead(mailbox.PasswordHash, mailbox.AllowWeakHash, out var read, out _, out e))
                storedHash = read;
            else
                errors.Add(e!);
        }

        string? displayName = null;
        if (!string.IsNullOrWhiteSpace(mailbox.DisplayName))
            Check(AccountValidation.TryName(mailbox.DisplayName, "display name", out displayName, out e), e, errors);
        ThrowIfAny(errors, "The mailbox was not added");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domain = await db.Domains.FirstOrDefaultAsync(d => d.Name == domainName, cancellationToken)
            ?? throw new AccountException(AccountError.NotFound, $"The domain {domainName} does not exist; add it first with \"floodgate domain add\".");
        if (await db.Mailboxes.AnyAsync(m => m.Address == address, cancellationToken))
            throw new AccountException(AccountError.Conflict, $"The mailbox {address} already exists.");

        var entity = new Mailbox
        {
            DomainId = domain.Id,
            Address = address,
            DisplayName = displayName,
            PasswordHash = mailbox.Password is not null ? hasher.Hash(mailbox.Password) : storedHash,
            ImportedHashDigest = PasswordSchemes.Digest(storedHash),
            Status = AccountStatus.Active,
            CreatedAt = time.GetUtcNow(),
        };
        db.Mailboxes.Add(entity);
        await CommitAsync(db, actor, "mailbox.add", "mailbox", () => entity.Id,
            new { address, displayName, password = entity.PasswordHash is not null, scheme = PasswordSchemes.Of(entity.PasswordHash)?.Name }, cancellationToken);
        return entity;
    }

    public async Task<IReadOnlyList<Mailbox>> ListMailboxesAsync(int? domainId = null, int? clientId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Mailboxes.AsNoTracking().Include(m => m.Domain).AsQueryable();
        if (domainId is not null)
            query = query.Where(m => m.DomainId == domainId);
        if (clientId is not null)
            query = query.Where(m => m.Domain!.ClientId == clientId);
        return await query.OrderBy(m => m.Address).ToListAsync(cancellationToken);
    }

    /// <summary>The mailbox with its domain and the domain's client.</summary>
    public async Task<Mailbox> GetMailboxAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Mailboxes.AsNoTracking().Include(m => m.Domain).ThenInclude(d => d!.Client).ThenInclude(c => c!.Plan)
            .FirstOrDefaultAsync(m => m.Id == id, cancellationToken)
            ?? throw NotFound("mailbox", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A mailbox id from "42" or an address (any case).</summary>
    public async Task<int> ResolveMailboxIdAsync(string idOrAddress, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        int? id = null;
        if (AccountValidation.TryNormalizeAddress(idOrAddress, out var address, out _, out _))
            id = await db.Mailboxes.Where(m => m.Address == address).Select(m => (int?)m.Id).FirstOrDefaultAsync(cancellationToken);
        else if (int.TryParse(idOrAddress.Trim(), out var n))
            id = await db.Mailboxes.Where(m => m.Id == n).Select(m => (int?)m.Id).FirstOrDefaultAsync(cancellationToken);
        return id ?? throw NotFound("mailbox", idOrAddress.Trim());
    }

    public async Task SetPasswordAsync(int mailboxId, string password, string actor, CancellationToken cancellationToken = default)
    {
        if (!AccountValidation.TryPassword(password, out var error))
            throw new AccountException(AccountError.Invalid, $"The password was not set: {error}.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.FirstOrDefaultAsync(m => m.Id == mailboxId, cancellationToken)
            ?? throw NotFound("mailbox", mailboxId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        mailbox.PasswordHash = hasher.Hash(password);
        mailbox.ImportedHashDigest = null;
        await CommitAsync(db, actor, "mailbox.password", "mailbox", () => mailbox.Id, new { address = mailbox.Address }, cancellationToken);
    }

    /// <summary>Sets a mailbox's password from a hash brought from the provider's systems (Dovecot's <c>{SCHEME}hash</c> form).</summary>
    public async Task SetPasswordHashAsync(int mailboxId, string passwordHash, bool allowWeak, string actor, CancellationToken cancellationToken = default)
    {
        if (!PasswordSchemes.TryRead(passwordHash, allowWeak, out var stored, out var scheme, out var error))
            throw new AccountException(AccountError.Invalid, $"The password was not set: {error}.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.FirstOrDefaultAsync(m => m.Id == mailboxId, cancellationToken)
            ?? throw NotFound("mailbox", mailboxId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        mailbox.PasswordHash = stored;
        mailbox.ImportedHashDigest = PasswordSchemes.Digest(stored);
        await CommitAsync(db, actor, "mailbox.password", "mailbox", () => mailbox.Id, new { address = mailbox.Address, scheme = scheme!.Name }, cancellationToken);
    }

    /// <summary>
    /// Replaces a mailbox's hash with <paramref name="newHash"/> (the same password, rehashed with the
    /// default scheme after a good login) only if the stored hash is still <paramref name="verifiedHash"/>:
    /// a password changed since the login wins. Audited as <c>mailbox.password_upgraded</c>. False when
    /// the hash had changed (or the mailbox is gone) and nothing was written.
    /// </summary>
    public async Task<bool> UpgradePasswordHashAsync(int mailboxId, string verifiedHash, string newHash, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(verifiedHash);
        ArgumentException.ThrowIfNullOrWhiteSpace(newHash);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // One conditional UPDATE: the compare and the swap are one statement, so no writer can slip between them.
        var updated = await db.Mailboxes
            .Where(m => m.Id == mailboxId && m.PasswordHash == verifiedHash)
            .ExecuteUpdateAsync(m => m.SetProperty(x => x.PasswordHash, newHash), cancellationToken);
        if (updated == 0)
        {
            return false;
        }

        var address = await db.Mailboxes.Where(m => m.Id == mailboxId).Select(m => m.Address).FirstAsync(cancellationToken);
        db.AuditEntries.Add(NewAuditEntry(time.GetUtcNow(), actor, "mailbox.password_upgraded", "mailbox", mailboxId, new
        {
            address,
            from = PasswordSchemes.Of(verifiedHash)?.Name ?? "unknown",
            to = PasswordSchemes.DefaultScheme,
        }));
        await db.SaveChangesAsync(cancellationToken);
        await BumpVersionAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    // ---- status

    /// <summary>
    /// Sets the status of a mailbox, domain or client. A reason is required for Suspended and
    /// Terminated (it is shown to the sender). Setting the status it already has, with the same
    /// reason, changes nothing and writes nothing.
    /// </summary>
    public async Task SetStatusAsync(AccountScope scope, int id, AccountStatus status, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(status))
            throw new AccountException(AccountError.Invalid, $"Unknown status {status}.");
        reason = NormalizeStatusReason(status, reason);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var target = await FindStatusTargetAsync(db, scope, id, cancellationToken);
        if (target.Status == status && target.Reason == reason)
            return;
        var details = target.Set(status, reason);
        await CommitAsync(db, actor, target.Kind + ".status", target.Kind, () => id, details, cancellationToken);
    }

    // ---- status internals, shared with the enforcement store so a suspension changes status,
    // bumps StateVersion and writes the same audit row as an operator's status change.

    /// <summary>The trimmed reason; throws when Suspended or Terminated come without one, or it is too long.</summary>
    internal static string? NormalizeStatusReason(AccountStatus status, string? reason)
    {
        reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (reason is null && status is AccountStatus.Suspended or AccountStatus.Terminated)
            throw new AccountException(AccountError.Invalid, $"A reason is required to set the status {status}.");
        if (reason is { Length: > AccountColumns.Reason })
            throw new AccountException(AccountError.Invalid, $"The reason must be at most {AccountColumns.Reason} characters.");
        return reason;
    }

    /// <summary>The tracked mailbox, domain or client whose status may change; NotFound when it does not exist.</summary>
    internal static async Task<StatusTarget> FindStatusTargetAsync(FloodgateDbContext db, AccountScope scope, int id, CancellationToken cancellationToken)
    {
        var idText = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return scope switch
        {
            AccountScope.Mailbox => await db.Mailboxes.FirstOrDefaultAsync(m => m.Id == id, cancellationToken) is { } m
                ? new StatusTarget("mailbox", id, m.Address, m.Status, m.StatusReason, (s, r) => (m.Status, m.StatusReason) = (s, r))
                : throw NotFound("mailbox", idText),
            AccountScope.Domain => await db.Domains.FirstOrDefaultAsync(d => d.Id == id, cancellationToken) is { } d
                ? new StatusTarget("domain", id, d.Name, d.Status, d.StatusReason, (s, r) => (d.Status, d.StatusReason) = (s, r))
                : throw NotFound("domain", idText),
            AccountScope.Client => await db.Clients.FirstOrDefaultAsync(c => c.Id == id, cancellationToken) is { } c
                ? new StatusTarget("client", id, c.Name, c.Status, c.StatusReason, (s, r) => (c.Status, c.StatusReason) = (s, r))
                : throw NotFound("client", idText),
            _ => throw new AccountException(AccountError.Invalid, $"Unknown scope {scope}."),
        };
    }

    /// <summary>An audit entry for the caller to add in its own transaction.</summary>
    internal static AuditEntry NewAuditEntry(DateTimeOffset time, string actor, string action, string targetKind, int? targetId, object details) => new()
    {
        Time = time,
        Actor = actor,
        Action = action,
        TargetKind = targetKind,
        TargetId = targetId,
        Origin = AuditOrigin.Current,
        Details = JsonSerializer.Serialize(details, DetailsJson),
    };

    // ---- plans

    public async Task<Plan> AddPlanAsync(string name, PlanLimits limits, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (!AccountValidation.TryName(name, "plan name", out var planName, out var error))
            throw new AccountException(AccountError.Invalid, $"The plan was not added: {error}.");
        ThrowIfAny(ValidateLimits(limits), "The plan was not added");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Plans.AnyAsync(p => p.Name == planName, cancellationToken))
            throw new AccountException(AccountError.Conflict, $"A plan named \"{planName}\" already exists.");
        var entity = new Plan { Name = planName, Limits = limits };
        db.Plans.Add(entity);
        await CommitAsync(db, actor, "plan.add", "plan", () => entity.Id, new { name = planName, limits }, cancellationToken);
        return entity;
    }

    public async Task UpdatePlanLimitsAsync(int planId, PlanLimits limits, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ThrowIfAny(ValidateLimits(limits), "The plan was not changed");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var plan = await db.Plans.FirstOrDefaultAsync(p => p.Id == planId, cancellationToken)
            ?? throw NotFound("plan", planId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var before = plan.Limits;
        plan.Limits = limits;
        await CommitAsync(db, actor, "plan.limits", "plan", () => plan.Id, new { name = plan.Name, before, after = limits }, cancellationToken);
    }

    public async Task<IReadOnlyList<Plan>> ListPlansAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Plans.AsNoTracking().OrderBy(p => p.Name).ToListAsync(cancellationToken);
    }

    /// <summary>A plan id from "42" or a plan name.</summary>
    public async Task<int> ResolvePlanIdAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var name = idOrName.Trim();
        var id = await db.Plans.Where(p => p.Name == name).Select(p => (int?)p.Id).FirstOrDefaultAsync(cancellationToken);
        if (id is null && int.TryParse(name, out var n))
            id = await db.Plans.Where(p => p.Id == n).Select(p => (int?)p.Id).FirstOrDefaultAsync(cancellationToken);
        return id ?? throw NotFound("plan", name);
    }

    public async Task AssignPlanAsync(int clientId, int planId, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var client = await db.Clients.Include(c => c.Plan).FirstOrDefaultAsync(c => c.Id == clientId, cancellationToken)
            ?? throw NotFound("client", clientId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var plan = await db.Plans.FirstOrDefaultAsync(p => p.Id == planId, cancellationToken)
            ?? throw NotFound("plan", planId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (client.PlanId == plan.Id)
            return;
        var from = client.Plan?.Name;
        client.PlanId = plan.Id;
        client.Plan = plan;
        await CommitAsync(db, actor, "plan.assign", "client", () => client.Id, new { client = client.Name, from, to = plan.Name }, cancellationToken);
    }

    // ---- directory

    public async Task<long> GetStateVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.StateVersions.Where(s => s.Id == StateVersion.SingletonId).Select(s => s.Version).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// All clients with plan, domains and mailboxes (navigations both ways), not tracked. The version
    /// is read first, so the data is at least as new as it: a change racing the load shows up as a
    /// newer version at the next poll.
    /// </summary>
    public async Task<AccountSnapshot> LoadDirectoryAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var version = await db.StateVersions.Where(s => s.Id == StateVersion.SingletonId).Select(s => s.Version).FirstOrDefaultAsync(cancellationToken);
        var plans = await db.Plans.AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken);
        var clients = await db.Clients.AsNoTrackingWithIdentityResolution()
            .Include(c => c.Domains).ThenInclude(d => d.Mailboxes)
            .AsSplitQuery()
            .OrderBy(c => c.Id)
            .ToListAsync(cancellationToken);
        var byId = plans.ToDictionary(p => p.Id);
        foreach (var client in clients)
            client.Plan = client.PlanId is { } planId ? byId.GetValueOrDefault(planId) : null;
        var defaultPlan = plans.FirstOrDefault(p => p.Name == DefaultPlanName) ?? new Plan { Name = DefaultPlanName };
        return new AccountSnapshot(version, defaultPlan, plans, clients);
    }

    // ---- shared

    /// <summary>
    /// Saves the pending change, its audit entry and the version increment in one transaction.
    /// Two SaveChanges because the audit entry names the new row's id, known only after the insert.
    /// </summary>
    private async Task CommitAsync(FloodgateDbContext db, string actor, string action, string targetKind, Func<int> targetId, object details, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            db.AuditEntries.Add(NewAuditEntry(time.GetUtcNow(), actor, action, targetKind, targetId(), details));
            await db.SaveChangesAsync(cancellationToken);
            await BumpVersionAsync(db, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // A unique index caught what the checks above missed: another writer got there first.
            throw new AccountException(AccountError.Conflict, $"The change was not saved: it conflicts with existing data ({ex.InnerException?.Message ?? ex.Message}).");
        }
    }

    internal static Task<int> BumpVersionAsync(FloodgateDbContext db, CancellationToken cancellationToken) =>
        db.StateVersions.Where(s => s.Id == StateVersion.SingletonId)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.Version, v => v.Version + 1), cancellationToken);

    private static async Task<Plan> FindPlanAsync(FloodgateDbContext db, string name, CancellationToken cancellationToken) =>
        await db.Plans.FirstOrDefaultAsync(p => p.Name == name, cancellationToken)
        ?? throw NotFound("plan", name);

    private static AccountException NotFound(string kind, string what) =>
        new(AccountError.NotFound, $"There is no {kind} \"{what}\".");

    private static void Check(bool ok, string? error, List<string> errors)
    {
        if (!ok && error is not null)
            errors.Add(error);
    }

    private static void ThrowIfAny(List<string> errors, string what)
    {
        if (errors.Count > 0)
            throw new AccountException(AccountError.Invalid, $"{what}: {string.Join("; ", errors)}.", errors);
    }

    private static List<string> ValidateLimits(PlanLimits limits)
    {
        var errors = new List<string>();
        if (limits.MaxRecipientsPerMessage < 1)
            errors.Add("max recipients per message must be at least 1");
        if (limits.MaxMessageSizeBytes < 1024)
            errors.Add("max message size must be at least 1024 bytes");
        foreach (var (scope, l) in new[] { ("mailbox", limits.Mailbox), ("domain", limits.Domain), ("client", limits.Client) })
        {
            if (l is null)
                errors.Add($"{scope} limits are missing");
            else if (l.MessagesPerHour < 0 || l.ExternalRecipientsPerHour < 0 || l.ExternalRecipientsPerDay < 0
                     || l.InternalRecipientsPerHour < 0 || l.InternalRecipientsPerDay < 0)
                errors.Add($"{scope} limits must not be negative");
        }

        return errors;
    }
}

/// <summary>A mailbox, domain or client loaded for a status change (tracked by the caller's context).</summary>
internal sealed class StatusTarget(string kind, int id, string name, AccountStatus status, string? reason, Action<AccountStatus, string?> set)
{
    private readonly Action<AccountStatus, string?> _set = set;

    public string Kind { get; } = kind;

    public int Id { get; } = id;

    public string Name { get; } = name;

    public AccountStatus Status { get; private set; } = status;

    public string? Reason { get; private set; } = reason;

    /// <summary>Sets the status and returns the audit details ("name", "from", "to", "reason") AccountStore has always written.</summary>
    public object Set(AccountStatus status, string? reason)
    {
        var details = new { name = Name, from = Status.ToString(), to = status.ToString(), reason };
        _set(status, reason);
        (Status, Reason) = (status, reason);
        return details;
    }
}
