using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Enforcement;

/// <summary>A filter for <see cref="EnforcementStore.ListOffensesAsync"/>; null means any. Newest first.</summary>
/// <param name="Since">At or after.</param>
/// <param name="Until">Before.</param>
/// <param name="Before">Only offenses with a smaller id: the cursor of the next page.</param>
public sealed record OffenseQuery(
    int? ClientId = null,
    int? MailboxId = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    long? Before = null,
    int Limit = 50);

public sealed record OffenseSummary(
    long Id,
    DateTimeOffset At,
    int ClientId,
    string ClientName,
    int DomainId,
    int MailboxId,
    string MailboxAddress,
    LadderStep Step,
    double Score,
    string Source,
    string Reason,
    long? IncidentId);

/// <summary>An offense with its client's name, its incident and the addresses of the mailboxes its evidence names.</summary>
public sealed record OffenseView(OffenseDetail Offense, string ClientName, long? IncidentId, IReadOnlyDictionary<int, string> MailboxAddresses);

/// <summary>A filter for <see cref="EnforcementStore.ListSuspensionsAsync"/>; null means any. Newest first.</summary>
/// <param name="ClientId">The client's own suspension, its domains' and its mailboxes'.</param>
/// <param name="Active">True: not lifted; false: lifted.</param>
/// <param name="Before">Only suspensions with a smaller id: the cursor of the next page.</param>
public sealed record SuspensionQuery(
    AccountScope? Scope = null,
    int? TargetId = null,
    int? ClientId = null,
    bool? Active = null,
    long? Before = null,
    int Limit = 50);

/// <summary>A suspension with the client its target belongs to (null when the target is gone) and its offense's incident.</summary>
public sealed record SuspensionView(SuspensionRecord Suspension, int? ClientId, long? IncidentId);

public sealed partial class EnforcementStore
{
    /// <summary>The most one page of a list holds.</summary>
    public const int MaxPage = 500;

    public async Task<IReadOnlyList<OffenseSummary>> ListOffensesAsync(OffenseQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var offenses = db.Offenses.AsNoTracking();
        if (query.ClientId is { } clientId)
            offenses = offenses.Where(o => o.ClientId == clientId);
        if (query.MailboxId is { } mailboxId)
            offenses = offenses.Where(o => o.MailboxId == mailboxId);
        if (query.Since is { } since)
            offenses = offenses.Where(o => o.At >= since);
        if (query.Until is { } until)
            offenses = offenses.Where(o => o.At < until);
        if (query.Before is { } before)
            offenses = offenses.Where(o => o.Id < before);

        return await (
            from o in offenses
            join c in db.Clients on o.ClientId equals c.Id
            orderby o.Id descending
            select new OffenseSummary(o.Id, o.At, o.ClientId, c.Name, o.DomainId, o.MailboxId, o.MailboxAddress, o.Step, o.Score, o.Source, o.Reason, o.IncidentId))
            .Take(Math.Clamp(query.Limit, 1, MaxPage + 1))
            .ToListAsync(cancellationToken);
    }

    public async Task<OffenseView> GetOffenseAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var offense = await db.Offenses.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken) ?? throw NotFound("offense", id);
        var clientName = await db.Clients.Where(c => c.Id == offense.ClientId).Select(c => c.Name).FirstAsync(cancellationToken);
        var detail = ToDetail(offense);
        var ids = detail.Evidence.Select(e => e.MailboxId).Append(offense.MailboxId).Distinct().ToList();
        var addresses = await db.Mailboxes.AsNoTracking().Where(m => ids.Contains(m.Id))
            .ToDictionaryAsync(m => m.Id, m => m.Address, cancellationToken);
        return new OffenseView(detail, clientName, offense.IncidentId, addresses);
    }

    public async Task<IReadOnlyList<SuspensionView>> ListSuspensionsAsync(SuspensionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var suspensions = db.Suspensions.AsNoTracking();
        if (query.Scope is { } scope)
            suspensions = suspensions.Where(s => s.Scope == scope);
        if (query.TargetId is { } targetId)
            suspensions = suspensions.Where(s => s.TargetId == targetId);
        if (query.ClientId is { } clientId)
        {
            suspensions = suspensions.Where(s =>
                (s.Scope == AccountScope.Client && s.TargetId == clientId)
                || (s.Scope == AccountScope.Domain && db.Domains.Any(d => d.Id == s.TargetId && d.ClientId == clientId))
                || (s.Scope == AccountScope.Mailbox && db.Mailboxes.Any(m => m.Id == s.TargetId && m.Domain!.ClientId == clientId)));
        }

        if (query.Active is { } active)
            suspensions = active ? suspensions.Where(s => s.LiftedAt == null) : suspensions.Where(s => s.LiftedAt != null);
        if (query.Before is { } before)
            suspensions = suspensions.Where(s => s.Id < before);

        var rows = await suspensions.OrderByDescending(s => s.Id).Take(Math.Clamp(query.Limit, 1, MaxPage + 1)).ToListAsync(cancellationToken);

        // Each target's client, in three small queries rather than a join per scope.
        var domainIds = rows.Where(s => s.Scope == AccountScope.Domain).Select(s => s.TargetId).Distinct().ToList();
        var mailboxIds = rows.Where(s => s.Scope == AccountScope.Mailbox).Select(s => s.TargetId).Distinct().ToList();
        var clientIds = rows.Where(s => s.Scope == AccountScope.Client).Select(s => s.TargetId).Distinct().ToList();
        var domains = await db.Domains.AsNoTracking().Where(d => domainIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.ClientId, cancellationToken);
        var mailboxes = await db.Mailboxes.AsNoTracking().Where(m => mailboxIds.Contains(m.Id))
            .Select(m => new { m.Id, m.Domain!.ClientId }).ToDictionaryAsync(m => m.Id, m => m.ClientId, cancellationToken);
        var clients = (await db.Clients.AsNoTracking().Where(c => clientIds.Contains(c.Id)).Select(c => c.Id).ToListAsync(cancellationToken)).ToHashSet();
        var offenseIds = rows.Where(s => s.OffenseId is not null).Select(s => s.OffenseId!.Value).Distinct().ToList();
        var incidents = await db.Offenses.AsNoTracking().Where(o => offenseIds.Contains(o.Id))
            .ToDictionaryAsync(o => o.Id, o => o.IncidentId, cancellationToken);

        return rows.Select(s => new SuspensionView(
            s,
            s.Scope switch
            {
                AccountScope.Client => clients.Contains(s.TargetId) ? s.TargetId : null,
                AccountScope.Domain => domains.TryGetValue(s.TargetId, out var c) ? c : null,
                _ => mailboxes.TryGetValue(s.TargetId, out var c) ? c : null,
            },
            s.OffenseId is { } o && incidents.TryGetValue(o, out var incident) ? incident : null)).ToList();
    }

    /// <summary>One page of the contact tasks (open ones, or all) by due time, as <see cref="ListContactTasksAsync(bool, CancellationToken)"/> orders them.</summary>
    public async Task<IReadOnlyList<ContactTaskView>> ListContactTasksAsync(bool openOnly, int offset, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.ContactTasks.AsQueryable();
        if (openOnly)
            query = query.Where(t => t.DoneAt == null);
        query = query.OrderBy(t => t.DueAt).ThenBy(t => t.Id).Skip(Math.Max(0, offset)).Take(Math.Clamp(limit, 1, MaxPage + 1));
        return await ContactTaskViews(db, query, cancellationToken);
    }

    /// <summary>The client an incident belongs to, or null: what an endpoint asks before it shows or changes an incident for a client administrator.</summary>
    public async Task<int?> GetIncidentClientIdAsync(long incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Incidents.AsNoTracking().Where(i => i.Id == incidentId).Select(i => (int?)i.ClientId).FirstOrDefaultAsync(cancellationToken);
    }
}
