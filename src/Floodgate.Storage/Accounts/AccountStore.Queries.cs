using System.Globalization;
using Floodgate.Core.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Accounts;

/// <summary>
/// A filter for the paged lists of clients, domains and mailboxes; null means any. <see cref="ClientId"/>
/// is also how a client administrator's view is confined to its client. <see cref="Search"/> matches
/// names, addresses and the primary contact, ignoring case. Ordered by id; <see cref="Cursor"/> is the
/// previous page's <see cref="Page{T}.Next"/>.
/// </summary>
public sealed record AccountQuery(
    int? ClientId = null,
    int? DomainId = null,
    AccountStatus? Status = null,
    string? Search = null,
    long? Cursor = null,
    int Limit = Paging.DefaultLimit);

/// <summary>A client in a list: with its plan, and how many domains and mailboxes it has.</summary>
public sealed record ClientListing(Client Client, int Domains, int Mailboxes);

/// <summary>A domain in a list or alone: with its client (and the client's plan), and how many mailboxes it has.</summary>
public sealed record DomainListing(Domain Domain, int Mailboxes);

/// <summary>What to change of a client; null leaves a field as it is.</summary>
public sealed record ClientChange(string? Name = null, string? ContactName = null, string? ContactPhone = null, string? ContactEmail = null, int? PlanId = null);

/// <summary>
/// What to change of a mailbox; null leaves a field as it is. An empty display name clears it. Allowed
/// senders are addresses, or "*@domain", of the mailbox's own client's domains; an empty list clears them.
/// </summary>
public sealed record MailboxChange(string? DisplayName = null, IReadOnlyList<string>? AllowedSenders = null);

public sealed partial class AccountStore
{
    public async Task<Page<ClientListing>> QueryClientsAsync(AccountQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var clients = db.Clients.AsNoTracking().Include(c => c.Plan).AsQueryable();
        if (query.ClientId is { } clientId)
            clients = clients.Where(c => c.Id == clientId);
        if (query.Status is { } status)
            clients = clients.Where(c => c.Status == status);
        if (SearchText(query.Search) is { } text)
        {
            clients = clients.Where(c => c.Name.ToLower().Contains(text) || c.ContactName.ToLower().Contains(text)
                || c.ContactEmail.Contains(text) || c.ContactPhone.Contains(text));
        }

        if (query.Cursor is { } cursor)
            clients = clients.Where(c => c.Id > cursor);
        var rows = await clients.OrderBy(c => c.Id).Take(Paging.Fetch(query.Limit)).ToListAsync(cancellationToken);

        // Counts for this page only, in two grouped queries rather than one subquery per row.
        var ids = rows.Select(c => c.Id).ToList();
        var domains = await db.Domains.Where(d => ids.Contains(d.ClientId)).GroupBy(d => d.ClientId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var mailboxes = await db.Mailboxes.Where(m => ids.Contains(m.Domain!.ClientId)).GroupBy(m => m.Domain!.ClientId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var listings = rows.Select(c => new ClientListing(c, domains.GetValueOrDefault(c.Id), mailboxes.GetValueOrDefault(c.Id))).ToList();
        return Paging.Of(listings, query.Limit, l => l.Client.Id);
    }

    public async Task<Page<DomainListing>> QueryDomainsAsync(AccountQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domains = db.Domains.AsNoTracking().Include(d => d.Client).ThenInclude(c => c!.Plan).AsQueryable();
        if (query.ClientId is { } clientId)
            domains = domains.Where(d => d.ClientId == clientId);
        if (query.DomainId is { } domainId)
            domains = domains.Where(d => d.Id == domainId);
        if (query.Status is { } status)
            domains = domains.Where(d => d.Status == status);
        if (SearchText(query.Search) is { } text)
            domains = domains.Where(d => d.Name.Contains(text));
        if (query.Cursor is { } cursor)
            domains = domains.Where(d => d.Id > cursor);
        var rows = await domains.OrderBy(d => d.Id).Take(Paging.Fetch(query.Limit)).ToListAsync(cancellationToken);

        var ids = rows.Select(d => d.Id).ToList();
        var mailboxes = await db.Mailboxes.Where(m => ids.Contains(m.DomainId)).GroupBy(m => m.DomainId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return Paging.Of(rows.Select(d => new DomainListing(d, mailboxes.GetValueOrDefault(d.Id))).ToList(), query.Limit, l => l.Domain.Id);
    }

    /// <summary>Mailboxes with their domain, the domain's client and the client's plan.</summary>
    public async Task<Page<Mailbox>> QueryMailboxesAsync(AccountQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailboxes = db.Mailboxes.AsNoTracking().Include(m => m.Domain).ThenInclude(d => d!.Client).ThenInclude(c => c!.Plan).AsQueryable();
        if (query.ClientId is { } clientId)
            mailboxes = mailboxes.Where(m => m.Domain!.ClientId == clientId);
        if (query.DomainId is { } domainId)
            mailboxes = mailboxes.Where(m => m.DomainId == domainId);
        if (query.Status is { } status)
            mailboxes = mailboxes.Where(m => m.Status == status);
        if (SearchText(query.Search) is { } text)
            mailboxes = mailboxes.Where(m => m.Address.Contains(text) || (m.DisplayName != null && m.DisplayName.ToLower().Contains(text)));
        if (query.Cursor is { } cursor)
            mailboxes = mailboxes.Where(m => m.Id > cursor);
        var rows = await mailboxes.OrderBy(m => m.Id).Take(Paging.Fetch(query.Limit)).ToListAsync(cancellationToken);
        return Paging.Of(rows, query.Limit, m => m.Id);
    }

    /// <summary>The domain with its client and the client's plan, and how many mailboxes it has.</summary>
    public async Task<DomainListing> GetDomainAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domain = await db.Domains.AsNoTracking().Include(d => d.Client).ThenInclude(c => c!.Plan)
            .FirstOrDefaultAsync(d => d.Id == id, cancellationToken)
            ?? throw NotFound("domain", id.ToString(CultureInfo.InvariantCulture));
        return new DomainListing(domain, await db.Mailboxes.CountAsync(m => m.DomainId == id, cancellationToken));
    }

    public async Task<Plan> GetPlanAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Plans.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken)
            ?? throw NotFound("plan", id.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>How many clients have each plan (by plan id); a client without a plan counts for none.</summary>
    public async Task<IReadOnlyDictionary<int, int>> CountClientsByPlanAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Clients.Where(c => c.PlanId != null).GroupBy(c => c.PlanId!.Value)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
    }

    /// <summary>
    /// Changes a client's name, primary contact or plan, all or nothing, with one audit entry naming each
    /// field's old and new value. A change that changes nothing writes nothing.
    /// </summary>
    public async Task<Client> UpdateClientAsync(int id, ClientChange change, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var errors = new List<string>();
        string? name = null, contactName = null, phone = null, email = null;
        if (change.Name is not null)
            Check(AccountValidation.TryName(change.Name, "client name", out name, out var e), e, errors);
        if (change.ContactName is not null)
            Check(AccountValidation.TryName(change.ContactName, "contact name", out contactName, out var e), e, errors);
        if (change.ContactPhone is not null)
            Check(AccountValidation.TryNormalizePhone(change.ContactPhone, out phone, out var e), "contact phone: " + e, errors);
        if (change.ContactEmail is not null)
            Check(AccountValidation.TryNormalizeAddress(change.ContactEmail, out email, out _, out var e), "contact e-mail: " + e, errors);
        ThrowIfAny(errors, "The client was not changed");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var client = await db.Clients.Include(c => c.Plan).FirstOrDefaultAsync(c => c.Id == id, cancellationToken)
            ?? throw NotFound("client", id.ToString(CultureInfo.InvariantCulture));
        var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (name is not null && name != client.Name)
        {
            if (await db.Clients.AnyAsync(c => c.Name == name && c.Id != id, cancellationToken))
                throw new AccountException(AccountError.Conflict, $"A client named \"{name}\" already exists.");
            changes["name"] = new { from = client.Name, to = name };
            client.Name = name;
        }

        if (contactName is not null && contactName != client.ContactName)
        {
            changes["contactName"] = new { from = client.ContactName, to = contactName };
            client.ContactName = contactName;
        }

        if (phone is not null && phone != client.ContactPhone)
        {
            changes["contactPhone"] = new { from = client.ContactPhone, to = phone };
            client.ContactPhone = phone;
        }

        if (email is not null && email != client.ContactEmail)
        {
            changes["contactEmail"] = new { from = client.ContactEmail, to = email };
            client.ContactEmail = email;
        }

        if (change.PlanId is { } planId && planId != client.PlanId)
        {
            var plan = await db.Plans.FirstOrDefaultAsync(p => p.Id == planId, cancellationToken)
                ?? throw NotFound("plan", planId.ToString(CultureInfo.InvariantCulture));
            changes["plan"] = new { from = client.Plan?.Name, to = plan.Name };
            client.PlanId = plan.Id;
            client.Plan = plan;
        }

        if (changes.Count > 0)
            await CommitAsync(db, actor, "client.update", "client", () => client.Id, new { client = client.Name, changes }, cancellationToken);
        return client;
    }

    /// <summary>Changes a mailbox's display name or allowed senders, with one audit entry of what changed.</summary>
    public async Task<Mailbox> UpdateMailboxAsync(int id, MailboxChange change, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var errors = new List<string>();
        string? displayName = null;
        if (change.DisplayName is { Length: > 0 } given && !string.IsNullOrWhiteSpace(given))
            Check(AccountValidation.TryName(given, "display name", out displayName, out var e), e, errors);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.Include(m => m.Domain).FirstOrDefaultAsync(m => m.Id == id, cancellationToken)
            ?? throw NotFound("mailbox", id.ToString(CultureInfo.InvariantCulture));

        string? senders = null;
        if (change.AllowedSenders is { } list)
        {
            var ownDomains = await db.Domains.Where(d => d.ClientId == mailbox.Domain!.ClientId).Select(d => d.Name).ToListAsync(cancellationToken);
            senders = NormalizeAllowedSenders(list, ownDomains.ToHashSet(StringComparer.Ordinal), errors);
        }

        ThrowIfAny(errors, "The mailbox was not changed");
        var changes = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (change.DisplayName is not null && displayName != mailbox.DisplayName)
        {
            changes["displayName"] = new { from = mailbox.DisplayName, to = displayName };
            mailbox.DisplayName = displayName;
        }

        if (change.AllowedSenders is not null && senders != mailbox.AllowedSenders)
        {
            changes["allowedSenders"] = new { from = mailbox.AllowedSenders, to = senders };
            mailbox.AllowedSenders = senders;
        }

        if (changes.Count > 0)
            await CommitAsync(db, actor, "mailbox.update", "mailbox", () => mailbox.Id, new { address = mailbox.Address, changes }, cancellationToken);
        return mailbox;
    }

    /// <summary>
    /// Lower-case, comma-joined, each an address or "*@domain" of one of <paramref name="ownDomains"/>:
    /// a mailbox may not send as another client's addresses. Null for an empty list.
    /// </summary>
    private static string? NormalizeAllowedSenders(IReadOnlyList<string> given, HashSet<string> ownDomains, List<string> errors)
    {
        var result = new List<string>(given.Count);
        foreach (var raw in given)
        {
            var text = raw?.Trim() ?? string.Empty;
            string domain;
            string normalized;
            if (text.StartsWith("*@", StringComparison.Ordinal))
            {
                if (!AccountValidation.TryNormalizeDomain(text[2..], out domain, out var e))
                {
                    errors.Add($"allowed sender \"{text}\": {e}");
                    continue;
                }

                normalized = "*@" + domain;
            }
            else if (!AccountValidation.TryNormalizeAddress(text, out normalized, out domain, out var e))
            {
                errors.Add($"allowed sender: {e} (an address or *@domain)");
                continue;
            }

            if (!ownDomains.Contains(domain))
                errors.Add($"allowed sender \"{text}\": {domain} is not a domain of this mailbox's client");
            else if (!result.Contains(normalized))
                result.Add(normalized);
        }

        var joined = string.Join(',', result);
        if (joined.Length > 4000)
            errors.Add("allowed senders must be at most 4000 characters together");
        return result.Count == 0 ? null : joined;
    }

    /// <summary>Lower-case search text; null when there is nothing to search for.</summary>
    private static string? SearchText(string? search) =>
        string.IsNullOrWhiteSpace(search) ? null : search.Trim().ToLowerInvariant();
}
