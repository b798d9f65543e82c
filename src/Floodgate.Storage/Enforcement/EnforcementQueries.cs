using System.Globalization;
using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Enforcement;

/// <summary>A call to make (or made), with the incident it belongs to.</summary>
public sealed record CallView(
    long Id,
    long IncidentId,
    int ClientId,
    string ClientName,
    string ContactName,
    string ContactPhone,
    string ContactEmail,
    DateTimeOffset OpenedAt,
    DateTimeOffset DueAt,
    DateTimeOffset? DoneAt,
    ContactOutcome? Outcome,
    string? Notes,
    string? DoneBy,
    int Attempts,
    string MailboxAddress,
    LadderStep Step,
    IncidentState IncidentState);

/// <summary>A suspension still in force.</summary>
public sealed record ActiveSuspension(long Id, AccountScope Scope, int TargetId, string TargetName, AccountStatus Status, string Reason, DateTimeOffset StartedAt, string StartedBy, long? IncidentId);

/// <summary>One incident in the queue.</summary>
public sealed record IncidentRow(long Id, int ClientId, string ClientName, string MailboxAddress, LadderStep Step, IncidentState State, DateTimeOffset OpenedAt, DateTimeOffset? ClosedAt, bool ContactOverdue, DateTimeOffset? ContactDueAt);

/// <summary>The dashboard's enforcement panels: suspensions now (the newest, and how many), the calls due first, overdue calls, open incidents by state.</summary>
public sealed record EnforcementDashboard(
    IReadOnlyList<ActiveSuspension> Suspensions,
    int SuspensionCount,
    IReadOnlyList<CallView> Calls,
    int OverdueCalls,
    IReadOnlyDictionary<IncidentState, int> OpenIncidents);

/// <summary>An offense of an account, with the incident it opened.</summary>
public sealed record AccountOffense(OffenseDetail Offense, long? IncidentId, IncidentState? IncidentState);

/// <summary>
/// One line of an account's history. <paramref name="Kind"/>: "offense", "suspension", "incident",
/// "call", "status" or "change", for the page to mark it.
/// </summary>
public sealed record AccountEvent(DateTimeOffset At, string Kind, string What, string? Actor, long? IncidentId);

/// <summary>
/// The console's reads of enforcement: the call queue, the incident queue, what is suspended now, and
/// an account's offenses and history. Every list is bounded and each is a few indexed queries, never a
/// query per row.
/// </summary>
public sealed class EnforcementQueries(IDbContextFactory<FloodgateDbContext> dbFactory, TimeProvider time)
{
    public const int MaxLimit = 500;

    // ---- suspensions

    /// <summary>
    /// What the dashboard shows of enforcement, read on one context and one connection: the same five
    /// queries as the separate methods, without opening a context for each (the dashboard is the page
    /// every operator keeps open).
    /// </summary>
    public async Task<EnforcementDashboard> DashboardAsync(int suspensions, int calls, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var (items, total) = await ActiveSuspensionsAsync(db, suspensions, cancellationToken);
        var open = await Calls(db, db.ContactTasks.AsNoTracking().Where(t => t.DoneAt == null).OrderBy(t => t.DueAt).ThenBy(t => t.Id).Take(Bound(calls)))
            .ToListAsync(cancellationToken);
        var overdue = await OverdueCallCountAsync(db, time.GetUtcNow(), cancellationToken);
        var incidents = await OpenIncidentCountsAsync(db, cancellationToken);
        return new EnforcementDashboard(items, total, open, overdue, incidents);
    }

    private static async Task<(IReadOnlyList<ActiveSuspension> Items, int Total)> ActiveSuspensionsAsync(FloodgateDbContext db, int limit, CancellationToken cancellationToken)
    {
        var active = db.Suspensions.AsNoTracking().Where(s => s.LiftedAt == null);
        var total = await active.CountAsync(cancellationToken);
        var items = await (
            from s in active
            join o in db.Offenses on s.OffenseId equals o.Id into offenses
            from o in offenses.DefaultIfEmpty()
            orderby s.Id descending
            select new ActiveSuspension(s.Id, s.Scope, s.TargetId, s.TargetName, s.Status, s.Reason, s.StartedAt, s.StartedBy, o == null ? null : o.IncidentId))
            .Take(Bound(limit)).ToListAsync(cancellationToken);
        return (items, total);
    }

    // ---- calls

    /// <summary>Open contact tasks, the most urgent (earliest due) first.</summary>
    public async Task<IReadOnlyList<CallView>> OpenCallsAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Calls(db, db.ContactTasks.AsNoTracking().Where(t => t.DoneAt == null).OrderBy(t => t.DueAt).ThenBy(t => t.Id).Take(Bound(limit)))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Calls done most recently first.</summary>
    public async Task<IReadOnlyList<CallView>> RecentCallsAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Calls(db, db.ContactTasks.AsNoTracking().Where(t => t.DoneAt != null).OrderByDescending(t => t.DoneAt).ThenByDescending(t => t.Id).Take(Bound(limit)))
            .ToListAsync(cancellationToken);
    }

    public async Task<(CallView Call, IReadOnlyList<ContactAttempt> Attempts)?> CallAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var call = await Calls(db, db.ContactTasks.AsNoTracking().Where(t => t.Id == id)).FirstOrDefaultAsync(cancellationToken);
        if (call is null)
            return null;
        var attempts = await db.ContactAttempts.AsNoTracking().Where(a => a.ContactTaskId == id).OrderBy(a => a.At).ThenBy(a => a.Id).ToListAsync(cancellationToken);
        return (call, attempts);
    }

    private static Task<int> OverdueCallCountAsync(FloodgateDbContext db, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.ContactTasks.CountAsync(t => t.DoneAt == null && t.DueAt < now, cancellationToken);

    // ---- incidents

    /// <summary>How many incidents are in each state that still needs work.</summary>
    private static async Task<IReadOnlyDictionary<IncidentState, int>> OpenIncidentCountsAsync(FloodgateDbContext db, CancellationToken cancellationToken)
    {
        var rows = await db.Incidents.AsNoTracking()
            .Where(i => i.State != IncidentState.Reinstated && i.State != IncidentState.Closed)
            .GroupBy(i => i.State).Select(g => new { State = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.State, r => r.Count);
    }

    /// <summary>Every state's count, for the queue's tabs.</summary>
    public async Task<IReadOnlyDictionary<IncidentState, int>> IncidentCountsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Incidents.AsNoTracking().GroupBy(i => i.State).Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.State, r => r.Count);
    }

    /// <summary>
    /// Incidents of one state (or all) and one client (or all), those that still need work first, newest
    /// first within that. An incident whose call is overdue is flagged.
    /// </summary>
    public async Task<Paged<IncidentRow>> IncidentsAsync(IncidentState? state, int? clientId, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, AccountSearch.MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var incidents = db.Incidents.AsNoTracking();
        if (state is { } s)
            incidents = incidents.Where(i => i.State == s);
        if (clientId is { } onlyClient)
            incidents = incidents.Where(i => i.ClientId == onlyClient);
        var total = await incidents.CountAsync(cancellationToken);
        var rows = await (
            from i in incidents
            join c in db.Clients on i.ClientId equals c.Id
            join o in db.Offenses on i.OffenseId equals o.Id
            orderby (i.State == IncidentState.Reinstated || i.State == IncidentState.Closed) ? 1 : 0, i.Id descending
            select new { i.Id, i.ClientId, ClientName = c.Name, o.MailboxAddress, i.Step, i.State, i.OpenedAt, i.ClosedAt })
            .Skip((page - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);

        var ids = rows.Select(r => r.Id).ToList();
        var due = await db.ContactTasks.AsNoTracking().Where(t => ids.Contains(t.IncidentId) && t.DoneAt == null)
            .GroupBy(t => t.IncidentId).Select(g => new { IncidentId = g.Key, DueAt = g.Min(t => t.DueAt) })
            .ToDictionaryAsync(x => x.IncidentId, x => x.DueAt, cancellationToken);
        var now = time.GetUtcNow();
        var items = rows.Select(r =>
        {
            DateTimeOffset? dueAt = due.TryGetValue(r.Id, out var d) ? d : null;
            return new IncidentRow(r.Id, r.ClientId, r.ClientName, r.MailboxAddress, r.Step, r.State, r.OpenedAt, r.ClosedAt,
                dueAt is { } x && ContactDeadline.IsOverdue(x, null, now), dueAt);
        }).ToList();
        return new Paged<IncidentRow>(items, total, page, pageSize);
    }

    // ---- an account's offenses and history

    /// <summary>The newest offenses that name the mailbox, the domain or the client, with their evidence.</summary>
    public async Task<IReadOnlyList<AccountOffense>> OffensesAsync(AccountScope scope, int id, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var offenses = await Offenses(db, scope, id).OrderByDescending(o => o.At).ThenByDescending(o => o.Id).Take(Math.Clamp(limit, 1, 50))
            .ToListAsync(cancellationToken);
        var ids = offenses.Select(o => o.Id).ToList();
        var states = await db.Incidents.AsNoTracking().Where(i => ids.Contains(i.OffenseId))
            .ToDictionaryAsync(i => i.OffenseId, i => new { i.Id, i.State }, cancellationToken);
        return offenses.Select(o => states.TryGetValue(o.Id, out var i)
            ? new AccountOffense(EnforcementStore.ToDetail(o), i.Id, i.State)
            : new AccountOffense(EnforcementStore.ToDetail(o), null, null)).ToList();
    }

    /// <summary>
    /// The account's history, oldest first, of the newest <paramref name="limit"/> events: its offenses,
    /// the suspensions of it (and, for a client, of its domains and mailboxes), every step of their
    /// incidents and calls, and its own status changes, from the offenses and the audit log.
    /// </summary>
    public async Task<IReadOnlyList<AccountEvent>> TimelineAsync(AccountScope scope, int id, int limit, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, MaxLimit);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var offenses = await Offenses(db, scope, id).OrderByDescending(o => o.At).Take(limit)
            .Select(o => new { o.Id, o.At, o.Source, o.MailboxAddress, o.Score, o.Reason, o.Step, o.IncidentId })
            .ToListAsync(cancellationToken);
        var offenseIds = offenses.Select(o => o.Id).ToList();
        var incidentIds = offenses.Where(o => o.IncidentId != null).Select(o => o.IncidentId!.Value).ToList();

        var suspensions = db.Suspensions.AsNoTracking().Where(s => (s.Scope == scope && s.TargetId == id) || (s.OffenseId != null && offenseIds.Contains(s.OffenseId.Value)));
        var suspensionIds = await suspensions.OrderByDescending(s => s.Id).Take(limit).Select(s => s.Id).ToListAsync(cancellationToken);
        if (scope == AccountScope.Client)
        {
            // Suspensions of the client's domains and mailboxes made by hand name no offense of it.
            suspensionIds.AddRange(await (
                from s in db.Suspensions
                join d in db.Domains on s.TargetId equals d.Id
                where s.Scope == AccountScope.Domain && d.ClientId == id
                orderby s.Id descending
                select s.Id).Take(limit).ToListAsync(cancellationToken));
            suspensionIds.AddRange(await (
                from s in db.Suspensions
                join m in db.Mailboxes on s.TargetId equals m.Id
                where s.Scope == AccountScope.Mailbox && m.Domain!.ClientId == id
                orderby s.Id descending
                select s.Id).Take(limit).ToListAsync(cancellationToken));
        }
        else if (scope == AccountScope.Domain)
        {
            suspensionIds.AddRange(await (
                from s in db.Suspensions
                join m in db.Mailboxes on s.TargetId equals m.Id
                where s.Scope == AccountScope.Mailbox && m.DomainId == id
                orderby s.Id descending
                select s.Id).Take(limit).ToListAsync(cancellationToken));
        }

        var taskIds = await db.ContactTasks.AsNoTracking().Where(t => incidentIds.Contains(t.IncidentId)).Select(t => t.Id).ToListAsync(cancellationToken);

        // The audit log's target ids are ints (AccountStore.NewAuditEntry).
        var incidentKeys = incidentIds.Select(i => (int?)checked((int)i)).ToList();
        var suspensionKeys = suspensionIds.Distinct().Select(i => (int?)checked((int)i)).ToList();
        var taskKeys = taskIds.Select(i => (int?)checked((int)i)).ToList();
        var kind = KindOf(scope);
        int? self = id;
        var audit = await db.AuditEntries.AsNoTracking()
            .Where(a => (a.TargetKind == "incident" && incidentKeys.Contains(a.TargetId))
                        || (a.TargetKind == "suspension" && suspensionKeys.Contains(a.TargetId))
                        || (a.TargetKind == "contact-task" && taskKeys.Contains(a.TargetId))
                        || (a.TargetKind == kind && a.TargetId == self))
            .OrderByDescending(a => a.Id).Take(limit)
            .ToListAsync(cancellationToken);

        var events = new List<AccountEvent>(offenses.Count + audit.Count);
        foreach (var o in offenses)
        {
            events.Add(new AccountEvent(o.At, "offense",
                $"offense ({o.Source}) by {o.MailboxAddress}, score {o.Score.ToString("0.##", CultureInfo.InvariantCulture)}: {Ladder.Describe(o.Step)}. {o.Reason}",
                null, o.IncidentId));
        }

        foreach (var a in audit)
            events.Add(new AccountEvent(a.Time, KindOf(a), Describe(a), a.Actor, a.TargetKind == "incident" ? a.TargetId : null));

        return events.OrderByDescending(e => e.At).Take(limit).OrderBy(e => e.At).ToList();
    }

    private static IQueryable<OffenseRecord> Offenses(FloodgateDbContext db, AccountScope scope, int id)
    {
        var offenses = db.Offenses.AsNoTracking();
        return scope switch
        {
            AccountScope.Mailbox => offenses.Where(o => o.MailboxId == id),
            AccountScope.Domain => offenses.Where(o => o.DomainId == id),
            _ => offenses.Where(o => o.ClientId == id),
        };
    }

    private static IQueryable<CallView> Calls(FloodgateDbContext db, IQueryable<ContactTaskRecord> tasks) =>
        from t in tasks
        join c in db.Clients on t.ClientId equals c.Id
        join i in db.Incidents on t.IncidentId equals i.Id
        join o in db.Offenses on i.OffenseId equals o.Id
        select new CallView(t.Id, t.IncidentId, t.ClientId, c.Name, t.ContactName, t.ContactPhone, t.ContactEmail, t.OpenedAt, t.DueAt, t.DoneAt,
            t.Outcome, t.Notes, t.DoneBy, t.Attempts.Count, o.MailboxAddress, i.Step, i.State);

    private static string KindOf(AccountScope scope) => scope switch
    {
        AccountScope.Mailbox => "mailbox",
        AccountScope.Domain => "domain",
        _ => "client",
    };

    private static string KindOf(AuditEntry a) => a.TargetKind switch
    {
        "suspension" => "suspension",
        "incident" => "incident",
        "contact-task" => "call",
        _ when a.Action.EndsWith(".status", StringComparison.Ordinal) => "status",
        _ => "change",
    };

    /// <summary>The account's own audit rows in words (<see cref="Timeline.Describe"/> has the incident's).</summary>
    private static string Describe(AuditEntry a)
    {
        using var details = JsonDocument.Parse(a.Details ?? "{}");
        var d = details.RootElement;
        string Get(string name) => d.ValueKind == JsonValueKind.Object && d.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "";
        var verb = a.Action[(a.Action.LastIndexOf('.') + 1)..];
        if (a.TargetKind is not ("mailbox" or "domain" or "client"))
            return Timeline.Describe(a);
        switch (verb)
        {
            case "status":
                var reason = Get("reason");
                return $"{a.TargetKind} {Get("name")}: {Get("from").ToLowerInvariant()} → {Get("to").ToLowerInvariant()}" + (reason.Length > 0 ? $" ({reason})" : "");
            case "add":
                return $"{a.TargetKind} {Get("name")}{Get("address")} added";
            case "password":
                return "a new password was set";
            case "termination-lifted":
                return $"termination lifted by hand: {Get("reason")}";
            default:
                return a.Action == "plan.assign" ? $"plan {Get("from")} → {Get("to")}" : $"{a.Action}";
        }
    }

    private static int Bound(int limit) => Math.Clamp(limit, 1, MaxLimit);
}
