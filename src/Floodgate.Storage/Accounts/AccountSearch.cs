using Floodgate.Core.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Accounts;

/// <summary>One client in a list.</summary>
public sealed record ClientRow(int Id, string Name, string ContactName, AccountStatus Status, string? StatusReason, string? PlanName, int Domains, int Mailboxes);

/// <summary>One mailbox in a list or a search.</summary>
public sealed record MailboxRow(int Id, string Address, string? DisplayName, AccountStatus Status, string? StatusReason, int DomainId, string DomainName, int ClientId, string ClientName);

/// <summary>One domain of a client.</summary>
public sealed record DomainRow(int Id, string Name, AccountStatus Status, string? StatusReason, int Mailboxes);

/// <summary>A client with its plan and domains, without loading every mailbox.</summary>
public sealed record ClientOverview(Client Client, Plan? Plan, IReadOnlyList<DomainRow> Domains, int DomainCount, int MailboxCount);

/// <summary>A mailbox with its domain, client and plan.</summary>
public sealed record MailboxOverview(Mailbox Mailbox, Domain Domain, Client Client, Plan? Plan);

/// <summary>A domain with its client and plan.</summary>
public sealed record DomainOverview(Domain Domain, Client Client, Plan? Plan, int MailboxCount);

public sealed record Paged<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>
/// The console's account lists: searched and paged in the database (one page of rows with their
/// counts as subqueries, never every mailbox of a client).
/// </summary>
public sealed class AccountSearch(IDbContextFactory<FloodgateDbContext> dbFactory)
{
    public const int MaxPageSize = 200;
    public const int MaxDomains = 500;

    /// <summary>Clients whose name, contact, domain or mailbox matches <paramref name="search"/> (any part, case-insensitive), by name.</summary>
    public async Task<Paged<ClientRow>> ClientsAsync(string? search, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        (page, pageSize) = Bound(page, pageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var clients = db.Clients.AsNoTracking();
        if (Pattern(search) is { } p)
        {
            // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
            clients = clients.Where(c => EF.Functions.Like(c.Name.ToLower(), p, "\\")
                || EF.Functions.Like(c.ContactName.ToLower(), p, "\\")
                || c.Domains.Any(d => EF.Functions.Like(d.Name.ToLower(), p, "\\") || d.Mailboxes.Any(m => EF.Functions.Like(m.Address.ToLower(), p, "\\"))));
        }

        var total = await clients.CountAsync(cancellationToken);
        var rows = await clients.OrderBy(c => c.Name).ThenBy(c => c.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .Select(c => new ClientRow(c.Id, c.Name, c.ContactName, c.Status, c.StatusReason, c.Plan!.Name,
                c.Domains.Count, c.Domains.SelectMany(d => d.Mailboxes).Count()))
            .ToListAsync(cancellationToken);
        return new Paged<ClientRow>(rows, total, page, pageSize);
    }

    /// <summary>Mailboxes whose address matches (for the search box), by address; at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<MailboxRow>> FindMailboxesAsync(string search, int limit, CancellationToken cancellationToken = default)
    {
        if (Pattern(search) is not { } p)
            return [];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Rows(db.Mailboxes.AsNoTracking().Where(m => EF.Functions.Like(m.Address.ToLower(), p, "\\"))
            .OrderBy(m => m.Address).Take(Math.Clamp(limit, 1, MaxPageSize))).ToListAsync(cancellationToken);
    }

    /// <summary>The mailboxes of a domain, or of a client, by address.</summary>
    public async Task<Paged<MailboxRow>> MailboxesAsync(int? domainId, int? clientId, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        (page, pageSize) = Bound(page, pageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailboxes = db.Mailboxes.AsNoTracking();
        if (domainId is { } d)
            mailboxes = mailboxes.Where(m => m.DomainId == d);
        if (clientId is { } c)
            mailboxes = mailboxes.Where(m => m.Domain!.ClientId == c);
        var total = await mailboxes.CountAsync(cancellationToken);
        var rows = await Rows(mailboxes.OrderBy(m => m.Address).Skip((page - 1) * pageSize).Take(pageSize)).ToListAsync(cancellationToken);
        return new Paged<MailboxRow>(rows, total, page, pageSize);
    }

    /// <summary>Named mailboxes (the top senders of a page), in one query.</summary>
    public async Task<IReadOnlyDictionary<int, MailboxRow>> MailboxesByIdAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0)
            return new Dictionary<int, MailboxRow>();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var list = ids.Take(MaxPageSize).ToList();
        return await Rows(db.Mailboxes.AsNoTracking().Where(m => list.Contains(m.Id))).ToDictionaryAsync(m => m.Id, cancellationToken);
    }

    public async Task<ClientOverview?> ClientAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var client = await db.Clients.AsNoTracking().Include(c => c.Plan).FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (client is null)
            return null;
        var domains = db.Domains.AsNoTracking().Where(d => d.ClientId == id);
        var domainCount = await domains.CountAsync(cancellationToken);
        var rows = await domains.OrderBy(d => d.Name).Take(MaxDomains)
            .Select(d => new DomainRow(d.Id, d.Name, d.Status, d.StatusReason, d.Mailboxes.Count))
            .ToListAsync(cancellationToken);
        var mailboxCount = await db.Mailboxes.CountAsync(m => m.Domain!.ClientId == id, cancellationToken);
        return new ClientOverview(client, client.Plan ?? await DefaultPlanAsync(db, cancellationToken), rows, domainCount, mailboxCount);
    }

    public async Task<DomainOverview?> DomainAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domain = await db.Domains.AsNoTracking().Include(d => d.Client).ThenInclude(c => c!.Plan).FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (domain is null)
            return null;
        var count = await db.Mailboxes.CountAsync(m => m.DomainId == id, cancellationToken);
        return new DomainOverview(domain, domain.Client!, domain.Client!.Plan ?? await DefaultPlanAsync(db, cancellationToken), count);
    }

    public async Task<MailboxOverview?> MailboxAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.AsNoTracking().Include(m => m.Domain).ThenInclude(d => d!.Client).ThenInclude(c => c!.Plan)
            .FirstOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (mailbox is null)
            return null;
        var client = mailbox.Domain!.Client!;
        return new MailboxOverview(mailbox, mailbox.Domain, client, client.Plan ?? await DefaultPlanAsync(db, cancellationToken));
    }

    /// <summary>The plan every client without one of its own gets.</summary>
    private static Task<Plan?> DefaultPlanAsync(FloodgateDbContext db, CancellationToken cancellationToken) =>
        db.Plans.AsNoTracking().FirstOrDefaultAsync(p => p.Name == AccountStore.DefaultPlanName, cancellationToken);

    private static IQueryable<MailboxRow> Rows(IQueryable<Mailbox> mailboxes) =>
        mailboxes.Select(m => new MailboxRow(m.Id, m.Address, m.DisplayName, m.Status, m.StatusReason, m.DomainId, m.Domain!.Name, m.Domain.ClientId, m.Domain.Client!.Name));

    private static (int Page, int PageSize) Bound(int page, int pageSize) => (Math.Max(1, page), Math.Clamp(pageSize, 1, MaxPageSize));

    /// <summary>A LIKE pattern for "contains", with the wildcards of the search escaped; null for an empty search.</summary>
    private static string? Pattern(string? search)
    {
        if (string.IsNullOrWhiteSpace(search))
            return null;
        var text = search.Trim().ToLowerInvariant();
        if (text.Length > 200)
            text = text[..200];
        return "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
    }
}
