using System.Globalization;
using System.Security.Cryptography;
using Floodgate.Core.Lists;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Lists;

/// <summary>A list to create. <paramref name="Posters"/>: mailbox addresses of the list's client.</summary>
public sealed record NewList(string Address, string Name, string? Description, IReadOnlyList<string> Posters, int? PendingLifetimeHours = null);

/// <summary>A change to a list's settings; null leaves a setting as it is.</summary>
public sealed record ListChange(string? Name = null, string? Description = null, IReadOnlyList<string>? Posters = null, int? PendingLifetimeHours = null, ListStatus? Status = null);

/// <summary>Where a subscription, a confirmation or an unsubscribe came from: the consent record's facts.</summary>
/// <param name="Method">web, api, email, import, console, one-click, mailto.</param>
/// <param name="From">The client IP address, the sender of the mail, or the import's named source.</param>
public sealed record ConsentSource(string Method, string? From, string? UserAgent)
{
    public static ConsentSource Import(string source) => new("import", source, null);
}

/// <summary>What a subscription request did: <see cref="SendConfirmation"/> is false when the member is confirmed already or was sent one lately.</summary>
public sealed record SubscriptionResult(ListMember Member, bool SendConfirmation, bool AlreadyConfirmed);

public sealed record ImportResult(int Added, int AlreadyMembers, IReadOnlyList<ListMember> ToConfirm, IReadOnlyList<string> Invalid);

/// <summary>
/// Hosted lists, their members and consent, bounces and posts: the one place they change. Every
/// change by a person is audited; a member's own actions (confirm, unsubscribe) are recorded in its
/// history with where they came from.
/// </summary>
public sealed partial class ListStore(IDbContextFactory<FloodgateDbContext> dbFactory, TimeProvider time, HygieneOptions hygiene)
{
    /// <summary>A pending member is sent a confirmation at most this often, so a form cannot be used to flood an address.</summary>
    public static readonly TimeSpan ConfirmationInterval = TimeSpan.FromHours(24);

    public const int MaxConfirmations = 3;

    public HygieneOptions Hygiene => hygiene;

    // ---- lists

    public async Task<MailingList> CreateListAsync(int clientId, NewList list, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (!AccountValidation.TryNormalizeAddress(list.Address, out var address, out var domainName, out var error))
            throw new AccountException(AccountError.Invalid, $"The list was not created: address: {error}.");
        var local = address[..address.IndexOf('@')];
        if (local.Contains('+') || local.Length > ListAddress.MaxListLocalPart)
            throw new AccountException(AccountError.Invalid, $"The list was not created: the address's local part must have at most {ListAddress.MaxListLocalPart} characters and no '+' (its subaddresses carry the list's commands).");
        if (!AccountValidation.TryName(list.Name, "list name", out var name, out error))
            throw new AccountException(AccountError.Invalid, $"The list was not created: {error}.");
        var hours = list.PendingLifetimeHours ?? 7 * 24;
        if (hours is < 1 or > 24 * 90)
            throw new AccountException(AccountError.Invalid, "The list was not created: pending lifetime must be 1 to 2160 hours.");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domain = await db.Domains.FirstOrDefaultAsync(d => d.Name == domainName, cancellationToken);
        if (domain is null || domain.ClientId != clientId)
            throw new AccountException(AccountError.Invalid, $"The list was not created: {domainName} is not a domain of this client.");
        if (await db.Lists.AnyAsync(l => l.Address == address, cancellationToken) || await db.Mailboxes.AnyAsync(m => m.Address == address, cancellationToken))
            throw new AccountException(AccountError.Conflict, $"The list was not created: {address} is taken.");
        var posters = await CheckPostersAsync(db, clientId, list.Posters, cancellationToken);

        var entity = new MailingList
        {
            ClientId = clientId,
            DomainId = domain.Id,
            Address = address,
            Name = name,
            Description = list.Description?.Trim() ?? string.Empty,
            Posters = posters,
            PendingLifetimeHours = hours,
            Status = ListStatus.Active,
            CreatedAt = time.GetUtcNow(),
        };
        db.Lists.Add(entity);
        await SaveAuditedAsync(db, actor, "list.create", "list", () => entity.Id, new { address, name, posters, pendingLifetimeHours = hours }, cancellationToken);
        return entity;
    }

    public async Task<MailingList> UpdateListAsync(int listId, ListChange change, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var list = await db.Lists.FirstOrDefaultAsync(l => l.Id == listId, cancellationToken) ?? throw NotFound(listId);
        if (change.Name is not null)
        {
            if (!AccountValidation.TryName(change.Name, "list name", out var name, out var error))
                throw new AccountException(AccountError.Invalid, $"The list was not changed: {error}.");
            list.Name = name;
        }

        if (change.Description is not null)
            list.Description = change.Description.Trim();
        if (change.Posters is not null)
            list.Posters = await CheckPostersAsync(db, list.ClientId, change.Posters, cancellationToken);
        if (change.PendingLifetimeHours is { } hours)
        {
            if (hours is < 1 or > 24 * 90)
                throw new AccountException(AccountError.Invalid, "The list was not changed: pending lifetime must be 1 to 2160 hours.");
            list.PendingLifetimeHours = hours;
        }

        if (change.Status is { } status)
            list.Status = status;
        await SaveAuditedAsync(db, actor, "list.update", "list", () => list.Id, change, cancellationToken);
        return list;
    }

    public async Task<IReadOnlyList<ListSummary>> ListListsAsync(int? clientId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var lists = db.Lists.AsNoTracking();
        if (clientId is { } id)
            lists = lists.Where(l => l.ClientId == id);
        return await lists.OrderBy(l => l.Address).Select(l => new ListSummary(
            l.Id, l.ClientId, l.Address, l.Name, l.Status,
            db.ListMembers.Count(m => m.ListId == l.Id && m.Status == MemberStatus.Confirmed),
            db.ListMembers.Count(m => m.ListId == l.Id && m.Status == MemberStatus.Pending),
            db.ListMembers.Count(m => m.ListId == l.Id && m.Status == MemberStatus.Disabled)))
            .ToListAsync(cancellationToken);
    }

    public async Task<MailingList> GetListAsync(int listId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Lists.AsNoTracking().FirstOrDefaultAsync(l => l.Id == listId, cancellationToken) ?? throw NotFound(listId);
    }

    public async Task<MailingList?> FindListAsync(string address, CancellationToken cancellationToken = default)
    {
        var normalized = address.Trim().ToLowerInvariant();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Lists.AsNoTracking().FirstOrDefaultAsync(l => l.Address == normalized, cancellationToken);
    }

    /// <summary>A list id from "42" or the list's address.</summary>
    public async Task<MailingList> ResolveListAsync(string idOrAddress, CancellationToken cancellationToken = default)
    {
        if (int.TryParse(idOrAddress, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return await GetListAsync(id, cancellationToken);
        return await FindListAsync(idOrAddress, cancellationToken) ?? throw new AccountException(AccountError.NotFound, $"There is no list \"{idOrAddress}\".");
    }

    // ---- members and consent

    /// <summary>
    /// A request to join: a new member, or a departed one, becomes pending with this request's consent
    /// facts. Nothing but a confirmation is ever sent to a pending member.
    /// </summary>
    public async Task<SubscriptionResult> RequestSubscriptionAsync(int listId, string address, ConsentSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!AccountValidation.TryNormalizeAddress(address, out var normalized, out _, out var error))
            throw new AccountException(AccountError.Invalid, $"The subscription was not made: address: {error}.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var list = await db.Lists.AsNoTracking().FirstOrDefaultAsync(l => l.Id == listId, cancellationToken) ?? throw NotFound(listId);
        if (list.Status != ListStatus.Active)
            throw new AccountException(AccountError.Invalid, "The list is closed: it takes no subscriptions.");
        var now = time.GetUtcNow();
        var member = await db.ListMembers.FirstOrDefaultAsync(m => m.ListId == listId && m.Address == normalized, cancellationToken);
        if (member is { Status: MemberStatus.Confirmed or MemberStatus.Disabled })
            return new SubscriptionResult(member, false, true);

        if (member is null)
        {
            member = new ListMember { ListId = listId, Address = normalized };
            db.ListMembers.Add(member);
        }
        else if (member.Status == MemberStatus.Pending)
        {
            // Asked again while pending: resend, but not more often than the interval (a form is not a mail cannon).
            var mayResend = member.ConfirmationsSent < MaxConfirmations
                && (member.ConfirmationSentAt is not { } sent || now - sent >= ConfirmationInterval);
            Record(db, member, now, MemberEvents.Requested, "asked again while pending", source);
            await db.SaveChangesAsync(cancellationToken);
            return new SubscriptionResult(member, mayResend, false);
        }

        member.Status = MemberStatus.Pending;
        member.RequestedAt = now;
        member.RequestMethod = Clip(source.Method, 20);
        member.RequestFrom = ClipOrNull(source.From, 200);
        member.RequestUserAgent = ClipOrNull(source.UserAgent, 500);
        member.ConfirmationSentAt = null;
        member.ConfirmationsSent = 0;
        member.ConfirmedAt = null;
        member.ConfirmMethod = null;
        member.ConfirmedFrom = null;
        member.ConfirmedUserAgent = null;
        member.UnsubscribedAt = null;
        member.UnsubscribeMethod = null;
        member.BounceScore = 0;
        member.LastBounceAt = null;
        member.BounceCountedToday = 0;
        member.DisabledAt = null;
        member.RemovedAt = null;
        member.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        Record(db, member, now, MemberEvents.Requested, "subscription requested by " + source.Method, source);
        await db.SaveChangesAsync(cancellationToken);
        return new SubscriptionResult(member, true, false);
    }

    public async Task MarkConfirmationSentAsync(int memberId, string detail, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var member = await db.ListMembers.FirstAsync(m => m.Id == memberId, cancellationToken);
        var now = time.GetUtcNow();
        member.ConfirmationSentAt = now;
        member.ConfirmationsSent++;
        member.UpdatedAt = now;
        Record(db, member, now, MemberEvents.ConfirmationSent, detail, null);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The second opt-in. Only a pending member can confirm: an old link never resubscribes someone who left.</summary>
    public async Task<ListMember?> ConfirmAsync(int memberId, ConsentSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var member = await db.ListMembers.FirstOrDefaultAsync(m => m.Id == memberId, cancellationToken);
        if (member is null || member.Status is not (MemberStatus.Pending or MemberStatus.Confirmed))
            return null;
        if (member.Status == MemberStatus.Confirmed)
            return member;
        var now = time.GetUtcNow();
        member.Status = MemberStatus.Confirmed;
        member.ConfirmedAt = now;
        member.ConfirmMethod = Clip(source.Method, 20);
        member.ConfirmedFrom = ClipOrNull(source.From, 320);
        member.ConfirmedUserAgent = ClipOrNull(source.UserAgent, 500);
        member.UpdatedAt = now;
        Record(db, member, now, MemberEvents.Confirmed, "confirmed by " + source.Method, source);
        await db.SaveChangesAsync(cancellationToken);
        return member;
    }

    /// <summary>Takes effect at once, whatever the member's state; a second unsubscribe changes nothing.</summary>
    public async Task<ListMember?> UnsubscribeAsync(int memberId, ConsentSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var member = await db.ListMembers.FirstOrDefaultAsync(m => m.Id == memberId, cancellationToken);
        if (member is null || member.Status == MemberStatus.Unsubscribed)
            return member;
        var now = time.GetUtcNow();
        var wasPending = member.Status == MemberStatus.Pending;
        member.Status = MemberStatus.Unsubscribed;
        member.UnsubscribedAt = now;
        member.UnsubscribeMethod = Clip(source.Method, 40);
        member.UpdatedAt = now;
        Record(db, member, now, MemberEvents.Unsubscribed, (wasPending ? "request withdrawn by " : "unsubscribed by ") + source.Method, source);
        await db.SaveChangesAsync(cancellationToken);
        return member;
    }

    /// <summary>Unsubscribes by address (an operator or the client's administrator acting on a request); audited.</summary>
    public async Task<ListMember> RemoveMemberAsync(int listId, string address, string actor, CancellationToken cancellationToken = default)
    {
        var normalized = address.Trim().ToLowerInvariant();
        int memberId;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            memberId = await db.ListMembers.Where(m => m.ListId == listId && m.Address == normalized).Select(m => m.Id).FirstOrDefaultAsync(cancellationToken);
            if (memberId == 0)
                throw new AccountException(AccountError.NotFound, $"{normalized} is not a member of this list.");
            db.AuditEntries.Add(AccountStore.NewAuditEntry(time.GetUtcNow(), actor, "list.member.unsubscribe", "list", listId, new { address = normalized }));
            await db.SaveChangesAsync(cancellationToken);
        }

        return (await UnsubscribeAsync(memberId, new ConsentSource("console", actor, null), cancellationToken))!;
    }

    /// <summary>
    /// Adds addresses as pending members, to be sent a confirmation: an import carries no proof of
    /// opt-in, so nobody on it is mailed list content before confirming. Members already on the list
    /// are left as they are.
    /// </summary>
    public async Task<ImportResult> ImportAsync(int listId, IEnumerable<string> addresses, string source, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        var invalid = new List<string>();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in addresses)
        {
            if (string.IsNullOrWhiteSpace(a))
                continue;
            if (AccountValidation.TryNormalizeAddress(a, out var n, out _, out _))
                wanted.Add(n);
            else if (invalid.Count < 100)
                invalid.Add(a.Trim());
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var list = await db.Lists.FirstOrDefaultAsync(l => l.Id == listId, cancellationToken) ?? throw NotFound(listId);
        if (list.Status != ListStatus.Active)
            throw new AccountException(AccountError.Invalid, "The list is closed: it takes no subscriptions.");
        var existing = await db.ListMembers.Where(m => m.ListId == listId).ToDictionaryAsync(m => m.Address, cancellationToken);
        var now = time.GetUtcNow();
        var toConfirm = new List<ListMember>();
        var already = 0;
        var consent = ConsentSource.Import(source);
        foreach (var address in wanted.Order(StringComparer.Ordinal))
        {
            if (existing.TryGetValue(address, out var member))
            {
                // Someone who left or was removed is not put back by an import.
                already++;
                continue;
            }

            member = new ListMember
            {
                ListId = listId,
                Address = address,
                Status = MemberStatus.Pending,
                RequestedAt = now,
                RequestMethod = "import",
                RequestFrom = Clip(source, 200),
                UpdatedAt = now,
            };
            db.ListMembers.Add(member);
            toConfirm.Add(member);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        foreach (var member in toConfirm)
            Record(db, member, now, MemberEvents.Requested, "imported from " + source + " without proof of opt-in", consent);
        db.AuditEntries.Add(AccountStore.NewAuditEntry(now, actor, "list.import", "list", listId, new { source, added = toConfirm.Count, already, invalid = invalid.Count }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ImportResult(toConfirm.Count, already, toConfirm, invalid);
    }

    /// <summary>Deletes the requests nobody confirmed within their list's pending lifetime: without consent there is nothing to keep.</summary>
    public async Task<int> PrunePendingAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var total = 0;
        foreach (var list in await db.Lists.AsNoTracking().Select(l => new { l.Id, l.PendingLifetimeHours }).ToListAsync(cancellationToken))
        {
            var before = now - TimeSpan.FromHours(list.PendingLifetimeHours);
            total += await db.ListMembers.Where(m => m.ListId == list.Id && m.Status == MemberStatus.Pending && m.RequestedAt < before)
                .ExecuteDeleteAsync(cancellationToken);
        }

        return total;
    }

    public async Task<ListMember?> GetMemberAsync(int memberId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ListMembers.AsNoTracking().FirstOrDefaultAsync(m => m.Id == memberId, cancellationToken);
    }

    public async Task<ListMember?> FindMemberAsync(int listId, string address, CancellationToken cancellationToken = default)
    {
        var normalized = address.Trim().ToLowerInvariant();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ListMembers.AsNoTracking().FirstOrDefaultAsync(m => m.ListId == listId && m.Address == normalized, cancellationToken);
    }

    public async Task<Page<ListMember>> PageMembersAsync(int listId, MemberStatus? status, string? search, long? cursor, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var members = db.ListMembers.AsNoTracking().Where(m => m.ListId == listId);
        if (status is { } s)
            members = members.Where(m => m.Status == s);
        if (!string.IsNullOrWhiteSpace(search))
            members = members.Where(m => m.Address.Contains(search.Trim().ToLower()));
        if (cursor is { } c)
            members = members.Where(m => m.Id > c);
        var rows = await members.OrderBy(m => m.Id).Take(Paging.Fetch(limit)).ToListAsync(cancellationToken);
        return Paging.Of(rows, limit, m => m.Id);
    }

    public async Task<IReadOnlyList<MemberEvent>> MemberHistoryAsync(int memberId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.MemberEvents.AsNoTracking().Where(e => e.MemberId == memberId).OrderBy(e => e.Id).ToListAsync(cancellationToken);
    }

    /// <summary>One page of the members a post goes to, in id order after <paramref name="afterId"/>: only confirmed ones.</summary>
    public async Task<IReadOnlyList<(int Id, string Address)>> ConfirmedMembersAsync(int listId, int afterId, int take, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.ListMembers.AsNoTracking()
            .Where(m => m.ListId == listId && m.Status == MemberStatus.Confirmed && m.Id > afterId)
            .OrderBy(m => m.Id).Take(take).Select(m => new { m.Id, m.Address }).ToListAsync(cancellationToken);
        var result = new (int, string)[rows.Count];
        for (var i = 0; i < rows.Count; i++)
            result[i] = (rows[i].Id, rows[i].Address);
        return result;
    }

    public async Task<bool> IsConfirmedAsync(int memberId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ListMembers.AnyAsync(m => m.Id == memberId && m.Status == MemberStatus.Confirmed, cancellationToken);
    }

    // ---- the token key

    /// <summary>The key the list's links are signed with: made once and kept, so links in mail already sent keep working after a restart.</summary>
    public async Task<byte[]> GetOrCreateSigningKeyAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var key = await db.SigningKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Name == name, cancellationToken);
        if (key is not null)
            return key.Key;
        db.SigningKeys.Add(new SigningKey { Name = name, Key = RandomNumberGenerator.GetBytes(32), CreatedAt = time.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another process made it first: use theirs.
        }

        await using var again = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await again.SigningKeys.AsNoTracking().FirstAsync(k => k.Name == name, cancellationToken)).Key;
    }

    // ---- helpers

    private static async Task<string> CheckPostersAsync(FloodgateDbContext db, int clientId, IReadOnlyList<string> posters, CancellationToken cancellationToken)
    {
        var normalized = new List<string>();
        foreach (var p in posters)
        {
            if (string.IsNullOrWhiteSpace(p))
                continue;
            if (!AccountValidation.TryNormalizeAddress(p, out var address, out _, out var error))
                throw new AccountException(AccountError.Invalid, $"The list was not saved: poster {p.Trim()}: {error}.");
            normalized.Add(address);
        }

        normalized = [.. normalized.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var known = await db.Mailboxes.Where(m => normalized.Contains(m.Address) && m.Domain!.ClientId == clientId).Select(m => m.Address).ToListAsync(cancellationToken);
        var unknown = normalized.Except(known, StringComparer.Ordinal).FirstOrDefault();
        if (unknown is not null)
            throw new AccountException(AccountError.Invalid, $"The list was not saved: poster {unknown} is not a mailbox of this client (posts count in the poster's windows).");
        return string.Join('\n', normalized);
    }

    internal void Record(FloodgateDbContext db, ListMember member, DateTimeOffset at, string kind, string detail, ConsentSource? source, long? bounceMessageId = null) =>
        db.MemberEvents.Add(new MemberEvent
        {
            MemberId = member.Id,
            ListId = member.ListId,
            At = at,
            Kind = kind,
            Detail = Clip(detail, 2000),
            From = ClipOrNull(source?.From, 320),
            UserAgent = ClipOrNull(source?.UserAgent, 500),
            BounceMessageId = bounceMessageId,
        });

    private async Task SaveAuditedAsync(FloodgateDbContext db, string actor, string action, string kind, Func<int> id, object details, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            db.AuditEntries.Add(AccountStore.NewAuditEntry(time.GetUtcNow(), actor, action, kind, id(), details));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            throw new AccountException(AccountError.Conflict, $"The change was not saved: it conflicts with existing data ({ex.InnerException?.Message ?? ex.Message}).");
        }
    }

    private static AccountException NotFound(int listId) =>
        new(AccountError.NotFound, $"There is no list \"{listId.ToString(CultureInfo.InvariantCulture)}\".");

    internal static string Clip(string s, int max) => s.Length <= max ? s : s[..max];

    internal static string? ClipOrNull(string? s, int max) => s is null ? null : Clip(s, max);
}

public sealed record ListSummary(int Id, int ClientId, string Address, string Name, ListStatus Status, int Confirmed, int Pending, int Disabled);
