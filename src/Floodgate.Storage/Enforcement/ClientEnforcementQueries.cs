using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Audit;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Enforcement;

/// <summary>A mailbox as its client sees it, with the latest offense that touched it.</summary>
public sealed record ClientMailbox(int Id, string Address, int DomainId, AccountStatus Status, string? StatusReason, long? LatestIncidentId, DateTimeOffset? LatestOffenseAt);

/// <summary>A domain as its client sees it.</summary>
public sealed record ClientDomain(int Id, string Name, AccountStatus Status, string? StatusReason);

/// <summary>An incident of the client with the mailbox that sent and when.</summary>
public sealed record ClientIncident(IncidentRecord Incident, string MailboxAddress, DateTimeOffset OffenseAt);

/// <summary>
/// One client's state: domains and mailboxes (not active first, then by name), and its incidents
/// (newest first). <see cref="MailboxCount"/> counts all its mailboxes; <see cref="Mailboxes"/> stops at the limit.
/// </summary>
public sealed record ClientPortalOverview(
    int ClientId,
    string Name,
    AccountStatus Status,
    string? StatusReason,
    string PlanName,
    IReadOnlyList<ClientDomain> Domains,
    IReadOnlyList<ClientMailbox> Mailboxes,
    int MailboxCount,
    IReadOnlyList<ClientIncident> Incidents);

/// <summary>One message of an offense's evidence, with its mailbox and where it went (from the transaction log, when it recorded them).</summary>
public sealed record SentMessage(EvidenceMessage Evidence, string? MailboxAddress, IReadOnlyList<string> DestinationDomains);

public enum ClientTimelineEvent
{
    Detected,
    Suspended,
    Called,
    ReportFiled,
    ReportReturned,
    ReportAccepted,
    Reinstated,
    SuspensionLifted,
    Closed,
}

/// <summary>
/// One step of an incident as the client may read it. <see cref="Subject"/>: what was suspended or
/// lifted, or the call's outcome; <see cref="Note"/>: the operator's note to the client (return, acceptance, close).
/// Operators' names and call notes are not carried: they are the provider's own.
/// </summary>
public sealed record ClientTimelineEntry(DateTimeOffset At, ClientTimelineEvent Event, string? Subject = null, string? Note = null);

/// <summary>An offense of the client with its incident, what it suspended, the messages and the incident's timeline (oldest first).</summary>
public sealed record ClientOffense(
    OffenseDetail Offense,
    ClientIncident? Incident,
    IReadOnlyList<SuspensionRecord> Suspensions,
    IReadOnlyList<SentMessage> Messages,
    IReadOnlyList<ClientTimelineEntry> Timeline);

/// <summary>
/// A mailbox of the client, why it (or its domain, or the client) is suspended: the offenses that
/// touched it, newest first, and suspensions an operator made by hand that are still in force.
/// </summary>
public sealed record ClientMailboxDetail(
    ClientMailbox Mailbox,
    ClientDomain Domain,
    AccountStatus ClientStatus,
    string? ClientStatusReason,
    IReadOnlyList<ClientOffense> Offenses,
    IReadOnlyList<SuspensionRecord> ManualSuspensions);

/// <summary>
/// Enforcement as one client sees it. Every query takes the client's id and filters by it: an id of
/// another client's mailbox or incident answers null, never that client's data. The queries the
/// portal needs and <see cref="EnforcementStore"/> does not have.
/// </summary>
public sealed class ClientEnforcementQueries(IDbContextFactory<FloodgateDbContext> dbFactory)
{
    /// <summary>The longest part of a report <see cref="EnforcementStore.SubmitReportAsync"/> takes.</summary>
    public const int ReportPartMaxLength = EnforcementColumns.ReportPart;

    // A client with more offenses than this is long terminated; the portal shows the newest.
    private const int MaxOffenses = 200;

    // Evidence times and log times come from the same clock, but the log row is written at the
    // transaction's end and the evidence at the decision: a margin finds the row either way.
    private static readonly TimeSpan LogMargin = TimeSpan.FromMinutes(10);

    public async Task<ClientPortalOverview?> GetOverviewAsync(int clientId, int mailboxLimit = 500, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var client = await db.Clients.AsNoTracking().Include(c => c.Plan).FirstOrDefaultAsync(c => c.Id == clientId, cancellationToken);
        if (client is null)
            return null;

        var domains = await db.Domains.AsNoTracking().Where(d => d.ClientId == clientId)
            .OrderBy(d => d.Status == AccountStatus.Active ? 1 : 0).ThenBy(d => d.Name)
            .Select(d => new ClientDomain(d.Id, d.Name, d.Status, d.StatusReason))
            .ToListAsync(cancellationToken);
        var mailboxes = db.Mailboxes.AsNoTracking().Where(m => m.Domain!.ClientId == clientId);
        var count = await mailboxes.CountAsync(cancellationToken);
        var rows = await mailboxes
            .OrderBy(m => m.Status == AccountStatus.Active ? 1 : 0).ThenBy(m => m.Address)
            .Take(Math.Clamp(mailboxLimit, 1, 10_000))
            .Select(m => new { m.Id, m.Address, m.DomainId, m.Status, m.StatusReason })
            .ToListAsync(cancellationToken);

        var latest = await LatestOffensesAsync(db, clientId, cancellationToken);
        var listed = rows.Select(m => latest.TryGetValue(m.Id, out var o)
            ? new ClientMailbox(m.Id, m.Address, m.DomainId, m.Status, m.StatusReason, o.IncidentId, o.At)
            : new ClientMailbox(m.Id, m.Address, m.DomainId, m.Status, m.StatusReason, null, null)).ToList();

        var incidents = await IncidentsAsync(db, db.Incidents.Where(i => i.ClientId == clientId), cancellationToken);
        return new ClientPortalOverview(client.Id, client.Name, client.Status, client.StatusReason, client.Plan?.Name ?? Accounts.AccountStore.DefaultPlanName,
            domains, listed, count, incidents);
    }

    /// <summary>The client's mailbox and the offenses that touched it, or null when it is not the client's.</summary>
    public async Task<ClientMailboxDetail?> GetMailboxAsync(int clientId, int mailboxId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.Mailboxes.AsNoTracking()
            .Where(m => m.Id == mailboxId && m.Domain!.ClientId == clientId)
            .Select(m => new
            {
                m.Id,
                m.Address,
                m.DomainId,
                m.Status,
                m.StatusReason,
                DomainName = m.Domain!.Name,
                DomainStatus = m.Domain.Status,
                DomainReason = m.Domain.StatusReason,
                ClientStatus = m.Domain.Client!.Status,
                ClientReason = m.Domain.Client.StatusReason,
            })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
            return null;

        // What stops this mailbox: its own suspensions, its domain's and its client's.
        var touching = db.Suspensions.AsNoTracking().Where(s =>
            (s.Scope == AccountScope.Mailbox && s.TargetId == mailboxId)
            || (s.Scope == AccountScope.Domain && s.TargetId == row.DomainId)
            || (s.Scope == AccountScope.Client && s.TargetId == clientId));
        var viaSuspension = touching.Where(s => s.OffenseId != null).Select(s => s.OffenseId!.Value);
        var offenses = await db.Offenses.AsNoTracking()
            .Where(o => o.ClientId == clientId && (o.MailboxId == mailboxId || viaSuspension.Contains(o.Id)))
            .OrderByDescending(o => o.At).ThenByDescending(o => o.Id)
            .Take(MaxOffenses)
            .ToListAsync(cancellationToken);
        var manual = await touching.Where(s => s.OffenseId == null && s.LiftedAt == null).OrderBy(s => s.StartedAt).ToListAsync(cancellationToken);

        var latest = offenses.Count > 0 ? offenses[0] : null;
        var mailbox = new ClientMailbox(row.Id, row.Address, row.DomainId, row.Status, row.StatusReason, latest?.IncidentId, latest?.At);
        var details = new List<ClientOffense>(offenses.Count);
        foreach (var offense in offenses)
            details.Add(await OffenseAsync(db, clientId, offense, cancellationToken));
        return new ClientMailboxDetail(
            mailbox, new ClientDomain(row.DomainId, row.DomainName, row.DomainStatus, row.DomainReason), row.ClientStatus, row.ClientReason, details, manual);
    }

    /// <summary>The client's incident with its offense, or null when it is not the client's.</summary>
    public async Task<ClientOffense?> GetIncidentAsync(int clientId, long incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var offense = await (
            from i in db.Incidents
            join o in db.Offenses on i.OffenseId equals o.Id
            where i.Id == incidentId && i.ClientId == clientId && o.ClientId == clientId
            select o).AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        return offense is null ? null : await OffenseAsync(db, clientId, offense, cancellationToken);
    }

    /// <summary>Whether the incident is the client's: ask before <see cref="EnforcementStore"/> acts on an id the client sent.</summary>
    public async Task<bool> IsClientIncidentAsync(int clientId, long incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Incidents.AnyAsync(i => i.Id == incidentId && i.ClientId == clientId, cancellationToken);
    }

    private static async Task<Dictionary<int, (long? IncidentId, DateTimeOffset At)>> LatestOffensesAsync(FloodgateDbContext db, int clientId, CancellationToken cancellationToken)
    {
        var offenses = await db.Offenses.AsNoTracking().Where(o => o.ClientId == clientId)
            .OrderByDescending(o => o.At).ThenByDescending(o => o.Id).Take(MaxOffenses)
            .Select(o => new { o.Id, o.At, o.MailboxId, o.IncidentId })
            .ToListAsync(cancellationToken);
        var ids = offenses.Select(o => o.Id).ToList();

        // The other mailboxes of a detection are named only by their suspensions.
        var suspended = await db.Suspensions.AsNoTracking()
            .Where(s => s.Scope == AccountScope.Mailbox && s.OffenseId != null && ids.Contains(s.OffenseId.Value))
            .Select(s => new { s.TargetId, OffenseId = s.OffenseId!.Value })
            .ToListAsync(cancellationToken);
        var byId = offenses.ToDictionary(o => o.Id);
        var result = new Dictionary<int, (long? IncidentId, DateTimeOffset At)>();
        void Note(int mailboxId, long? incidentId, DateTimeOffset at)
        {
            if (!result.TryGetValue(mailboxId, out var known) || at > known.At)
                result[mailboxId] = (incidentId, at);
        }

        foreach (var o in offenses)
            Note(o.MailboxId, o.IncidentId, o.At);
        foreach (var s in suspended)
        {
            var o = byId[s.OffenseId];
            Note(s.TargetId, o.IncidentId, o.At);
        }

        return result;
    }

    private static async Task<List<ClientIncident>> IncidentsAsync(FloodgateDbContext db, IQueryable<IncidentRecord> incidents, CancellationToken cancellationToken)
    {
        var rows = await (
            from i in incidents.AsNoTracking()
            join o in db.Offenses on i.OffenseId equals o.Id
            orderby i.Id descending
            select new { Incident = i, o.MailboxAddress, o.At })
            .Take(MaxOffenses)
            .ToListAsync(cancellationToken);
        return rows.Select(r => new ClientIncident(r.Incident, r.MailboxAddress, r.At)).ToList();
    }

    private static async Task<ClientOffense> OffenseAsync(FloodgateDbContext db, int clientId, OffenseRecord record, CancellationToken cancellationToken)
    {
        var offense = EnforcementStore.ToDetail(record);
        var incident = (await IncidentsAsync(db, db.Incidents.Where(i => i.OffenseId == record.Id && i.ClientId == clientId), cancellationToken)).FirstOrDefault();
        var suspensions = await db.Suspensions.AsNoTracking().Where(s => s.OffenseId == record.Id).OrderBy(s => s.Id).ToListAsync(cancellationToken);
        var messages = await MessagesAsync(db, clientId, offense.Evidence, cancellationToken);
        var timeline = incident is null ? [] : await TimelineAsync(db, offense, incident.Incident, suspensions, cancellationToken);
        return new ClientOffense(offense, incident, suspensions, messages, timeline);
    }

    private static async Task<List<SentMessage>> MessagesAsync(FloodgateDbContext db, int clientId, IReadOnlyList<EvidenceMessage> evidence, CancellationToken cancellationToken)
    {
        if (evidence.Count == 0)
            return [];
        var mailboxIds = evidence.Select(e => e.MailboxId).Distinct().ToList();
        var addresses = await db.Mailboxes.AsNoTracking()
            .Where(m => mailboxIds.Contains(m.Id) && m.Domain!.ClientId == clientId)
            .ToDictionaryAsync(m => m.Id, m => m.Address, cancellationToken);

        // Only this client's rows of the log: another client's message may carry the same Message-ID.
        var messageIds = evidence.Where(e => e.MessageId is not null).Select(e => e.MessageId!).Distinct().ToList();
        var from = evidence.Min(e => e.At) - LogMargin;
        var to = evidence.Max(e => e.At) + LogMargin;
        var logged = messageIds.Count == 0
            ? []
            : await db.Transactions.AsNoTracking()
                .Where(t => t.ClientId == clientId && t.Time >= from && t.Time <= to && t.MessageId != null && messageIds.Contains(t.MessageId))
                .Select(t => new { t.MailboxId, t.MessageId, t.Time, t.RecipientDomains })
                .Take(10_000)
                .ToListAsync(cancellationToken);

        return evidence.OrderBy(e => e.At).Select(e =>
        {
            var row = logged.Where(t => t.MessageId == e.MessageId && t.MailboxId == e.MailboxId && t.RecipientDomains is not null)
                .OrderBy(t => (t.Time - e.At).Duration()).FirstOrDefault();
            // The evidence carries them since subjects and domains were recorded; older evidence finds them in the log.
            var domains = (e.DestinationDomains ?? row?.RecipientDomains)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            return new SentMessage(e, addresses.GetValueOrDefault(e.MailboxId), domains);
        }).ToList();
    }

    private static async Task<List<ClientTimelineEntry>> TimelineAsync(
        FloodgateDbContext db, OffenseDetail offense, IncidentRecord incident, IReadOnlyList<SuspensionRecord> suspensions, CancellationToken cancellationToken)
    {
        int? incidentKey = checked((int)incident.Id);
        var suspensionIds = suspensions.Select(s => (int?)checked((int)s.Id)).ToList();
        var taskIds = await db.ContactTasks.Where(t => t.IncidentId == incident.Id).Select(t => (int?)checked((int)t.Id)).ToListAsync(cancellationToken);
        var audit = await db.AuditEntries.AsNoTracking()
            .Where(a => (a.TargetKind == "incident" && a.TargetId == incidentKey)
                        || (a.TargetKind == "suspension" && suspensionIds.Contains(a.TargetId))
                        || (a.TargetKind == "contact-task" && taskIds.Contains(a.TargetId)))
            .OrderBy(a => a.Id)
            .ToListAsync(cancellationToken);

        var timeline = new List<ClientTimelineEntry> { new(offense.At, ClientTimelineEvent.Detected, offense.MailboxAddress) };
        foreach (var a in audit)
        {
            if (ToTimeline(a) is { } entry)
                timeline.Add(entry);
        }

        // Stable: equal times keep the order of the audit log.
        return timeline.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e).ToList();
    }

    private static ClientTimelineEntry? ToTimeline(AuditEntry entry)
    {
        using var details = JsonDocument.Parse(entry.Details ?? "{}");
        var d = details.RootElement;
        string? Get(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ToString()
            : null;
        string? Note() => d.ValueKind == JsonValueKind.Object && d.TryGetProperty("details", out var inner) ? Get(inner, "note") : null;
        string Target() => $"{Get(d, "scope")?.ToLowerInvariant()} {Get(d, "name")}".Trim();

        return entry.Action switch
        {
            "suspension.start" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.Suspended, Target()),
            "suspension.lift" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.SuspensionLifted, Target()),

            // Only the outcome: the caller's notes are the provider's own.
            "contact-task.call" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.Called, Get(d, "outcome")),
            "incident.report-submit" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.ReportFiled),
            "incident.report-return" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.ReportReturned, Note: Note()),
            "incident.report-accept" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.ReportAccepted, Note: Note()),
            "incident.reinstate" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.Reinstated),
            "incident.close" => new ClientTimelineEntry(entry.Time, ClientTimelineEvent.Closed, Note: Note()),
            _ => null,
        };
    }
}
