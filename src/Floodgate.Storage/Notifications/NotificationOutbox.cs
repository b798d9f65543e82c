using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Enforcement;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Notifications;

/// <summary>
/// Writes events into the outbox inside the caller's unit of work: the caller's SaveChanges and
/// commit write them with the change they announce, or not at all. Only the event row is written
/// here; the dispatcher makes its deliveries (fan-out) from it later, so the change that causes an
/// event never waits on the notification settings or the endpoints.
/// </summary>
internal static class NotificationOutbox
{
    /// <summary>How many of an offense's messages an event lists; the totals count all of them.</summary>
    public const int SampleMessages = 20;

    /// <summary>How many distinct subjects and destination domains an event names.</summary>
    public const int SampleSubjects = 5;

    public const int SampleDomains = 10;

    public static NotificationEvent Add(FloodgateDbContext db, string type, DateTimeOffset at, int? clientId, NotificationData data, string? dedupeKey = null)
    {
        var e = new NotificationEvent
        {
            EventId = Guid.CreateVersion7(at),
            Type = type,
            OccurredAt = at,
            ClientId = clientId,
            PayloadJson = data.Serialize(),
            DedupeKey = dedupeKey,
        };
        db.Set<NotificationEvent>().Add(e);
        return e;
    }

    /// <summary>An offense recorded: the suspension (or termination) and the incident it opened.</summary>
    public static void OffenseRecorded(
        FloodgateDbContext db, Client client, OffenseRecord offense, IncidentRecord incident, ContactTaskRecord task,
        IEnumerable<SuspensionRecord> suspensions, IReadOnlyList<Signal>? signals, IReadOnlyList<EvidenceMessage>? evidence)
    {
        var data = new NotificationData
        {
            Client = Info(client),
            Targets = suspensions.Select(Target).ToList(),
            Source = offense.Source,
            Actor = offense.Source == NewOffense.Detector ? DurableOffenseRecorder.Actor : null,
            Reason = offense.Reason,
            Offense = Info(offense, signals ?? []),
            Messages = Summarize(evidence ?? []),
            Incident = new IncidentInfo(incident.Id, incident.State, null, IncidentTransitions.Words(incident.State), null, null),
            ContactTask = new ContactTaskInfo(task.Id, incident.Id, task.ContactName, task.ContactPhone, task.DueAt, 0),
            RequiredReport = offense.Step == LadderStep.TerminateClient ? null : NotificationData.ReportParts,
        };
        var type = offense.Step switch
        {
            LadderStep.SuspendMailbox => NotificationTypes.MailboxSuspended,
            LadderStep.SuspendDomain => NotificationTypes.DomainSuspended,
            _ => NotificationTypes.ClientTerminated,
        };
        Add(db, type, offense.At, client.Id, data);
        Add(db, NotificationTypes.IncidentOpened, incident.OpenedAt, client.Id, data);
    }

    /// <summary>A step of an incident (<see cref="IncidentAction.RecordContact"/> is not announced: the client took the call).</summary>
    public static async Task IncidentChangedAsync(
        FloodgateDbContext db, IncidentRecord incident, IncidentAction action, IncidentState from, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var type = action switch
        {
            IncidentAction.SubmitReport => NotificationTypes.IncidentReported,
            IncidentAction.ReturnReport => NotificationTypes.IncidentReturned,
            IncidentAction.AcceptReport => NotificationTypes.IncidentAccepted,
            IncidentAction.Reinstate => NotificationTypes.IncidentReinstated,
            IncidentAction.Close => NotificationTypes.IncidentClosed,
            _ => null,
        };
        if (type is null)
            return;

        var client = await db.Clients.FirstAsync(c => c.Id == incident.ClientId, cancellationToken);
        var offense = await db.Offenses.AsNoTracking().FirstAsync(o => o.Id == incident.OffenseId, cancellationToken);

        // Tracked rows come back as the caller changed them (a reinstatement's lifted suspensions).
        var suspensions = await db.Suspensions.Where(s => s.OffenseId == offense.Id).OrderBy(s => s.Id).ToListAsync(cancellationToken);
        var note = action == IncidentAction.Close ? incident.CloseNote : action is IncidentAction.ReturnReport or IncidentAction.AcceptReport ? incident.ReviewNote : null;
        var report = action == IncidentAction.SubmitReport && incident.Report is { } r ? new ReportInfo(r.Mechanism, r.StepsTaken, r.ClientPolicy) : null;
        var data = new NotificationData
        {
            Client = Info(client),
            Targets = suspensions.Select(Target).ToList(),
            Actor = actor,
            Reason = offense.Reason,
            Offense = Info(offense, []),
            Incident = new IncidentInfo(incident.Id, incident.State, from, IncidentTransitions.Words(incident.State), note, report),
            RequiredReport = action == IncidentAction.ReturnReport ? NotificationData.ReportParts : null,
        };
        Add(db, type, now, client.Id, data);
    }

    /// <summary>An operator suspended a mailbox, domain or client by hand.</summary>
    public static async Task SuspendedByHandAsync(FloodgateDbContext db, SuspensionRecord suspension, string actor, CancellationToken cancellationToken)
    {
        var client = await ClientOfAsync(db, suspension.Scope, suspension.TargetId, cancellationToken);
        var type = suspension.Scope switch
        {
            AccountScope.Mailbox => NotificationTypes.MailboxSuspended,
            AccountScope.Domain => NotificationTypes.DomainSuspended,
            _ => NotificationTypes.ClientSuspended,
        };
        Add(db, type, suspension.StartedAt, client.Id, new NotificationData
        {
            Client = Info(client),
            Targets = [Target(suspension)],
            Source = NewOffense.Operator,
            Actor = actor,
            Reason = suspension.Reason,
        });
    }

    /// <summary>An operator lifted a suspension (or a client's termination) by hand.</summary>
    public static async Task LiftedByHandAsync(
        FloodgateDbContext db, AccountScope scope, int id, string name, string reason, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var client = await ClientOfAsync(db, scope, id, cancellationToken);
        var type = scope switch
        {
            AccountScope.Mailbox => NotificationTypes.MailboxLifted,
            AccountScope.Domain => NotificationTypes.DomainLifted,
            _ => NotificationTypes.ClientLifted,
        };
        Add(db, type, now, client.Id, new NotificationData
        {
            Client = Info(client),
            Targets = [new TargetInfo(Kind(scope), id, name, "active")],
            Source = NewOffense.Operator,
            Actor = actor,
            Reason = reason,
        });
    }

    /// <summary>
    /// One <c>contact_task.overdue</c> per open task past its due time. The dedupe key makes it once
    /// per task even when two nodes scan at the same moment (the second insert fails and is skipped).
    /// </summary>
    public static async Task<int> AddOverdueContactTasksAsync(IDbContextFactory<FloodgateDbContext> dbFactory, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await (
            from t in db.ContactTasks.AsNoTracking()
            where t.DoneAt == null && t.DueAt < now
            where !db.Set<NotificationEvent>().Any(e => e.DedupeKey == OverduePrefix + t.Id)
            join c in db.Clients on t.ClientId equals c.Id
            join i in db.Incidents on t.IncidentId equals i.Id
            join o in db.Offenses on i.OffenseId equals o.Id
            orderby t.DueAt, t.Id
            select new { Task = t, Client = c, Offense = o, Calls = db.ContactAttempts.Count(a => a.ContactTaskId == t.Id) })
            .Take(limit)
            .ToListAsync(cancellationToken);

        var written = 0;
        foreach (var row in rows)
        {
            db.ChangeTracker.Clear();
            var t = row.Task;
            Add(db, NotificationTypes.ContactTaskOverdue, t.DueAt, t.ClientId, new NotificationData
            {
                Client = Info(row.Client),
                Reason = row.Offense.Reason,
                Offense = Info(row.Offense, []),
                ContactTask = new ContactTaskInfo(t.Id, t.IncidentId, t.ContactName, t.ContactPhone, t.DueAt, row.Calls),
            }, OverduePrefix + t.Id.ToString(CultureInfo.InvariantCulture));
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                written++;
            }
            catch (DbUpdateException)
            {
                // Another node wrote it first: the unique dedupe key held.
            }
        }

        return written;
    }

    public const string OverduePrefix = "contact_task.overdue:";

    internal static MessagesInfo? Summarize(IReadOnlyList<EvidenceMessage> evidence)
    {
        if (evidence.Count == 0)
            return null;
        int recipients = 0, external = 0, relayed = 0, relayedRecipients = 0;
        DateTimeOffset first = DateTimeOffset.MaxValue, last = DateTimeOffset.MinValue;
        foreach (var e in evidence)
        {
            recipients += e.Recipients;
            external += e.External;
            if (e.Outcome == Outcome.Accepted)
            {
                relayed++;
                relayedRecipients += e.Recipients;
            }

            first = e.At < first ? e.At : first;
            last = e.At > last ? e.At : last;
        }

        // Evidence from before the subjects were kept (and offenses recorded by hand) has none: they may be null.
        var newest = evidence.OrderByDescending(e => e.At).ToList();
        var sample = newest.Take(SampleMessages)
            .Select(e => new MessageInfo(e.At, e.MessageId, e.Recipients, e.External, OutcomeWord(e.Outcome), Math.Round(e.Similarity, 3))
            {
                Subject = e.Subject,
                DestinationDomains = e.DestinationDomains,
            })
            .ToList();
        var subjects = newest.Select(e => e.Subject).OfType<string>().Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).Take(SampleSubjects).ToList();
        return new MessagesInfo(evidence.Count, recipients, external, relayed, relayedRecipients, first, last, sample)
        {
            Subjects = subjects.Count > 0 ? subjects : null,
            DestinationDomains = Domains(newest),
        };
    }

    /// <summary>The destination domains ranked by how many recipients' messages named them, ties by name.</summary>
    private static List<string>? Domains(List<EvidenceMessage> evidence)
    {
        var weights = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in evidence)
        {
            if (string.IsNullOrEmpty(e.DestinationDomains))
                continue;
            foreach (var domain in e.DestinationDomains.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                weights[domain] = weights.GetValueOrDefault(domain) + e.Recipients;
        }

        return weights.Count == 0
            ? null
            : [.. weights.OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).Take(SampleDomains).Select(w => w.Key)];
    }

    internal static ClientInfo Info(Client c) => new(c.Id, c.Name, new ContactInfo(c.ContactName, c.ContactPhone, c.ContactEmail));

    private static OffenseInfo Info(OffenseRecord o, IReadOnlyList<Signal> signals) =>
        new(o.Id, o.At, o.Step, Ladder.Describe(o.Step), Math.Round(o.Score, 3), o.MailboxAddress,
            signals.Select(s => new SignalInfo(s.Rule, Math.Round(s.Score, 3), s.Explanation)).ToList());

    private static TargetInfo Target(SuspensionRecord s) => new(
        Kind(s.Scope), s.TargetId, s.TargetName,
        s.LiftedAt is not null ? "lifted" : s.Status == AccountStatus.Terminated ? "terminated" : "suspended");

    private static string Kind(AccountScope scope) => scope switch
    {
        AccountScope.Mailbox => "mailbox",
        AccountScope.Domain => "domain",
        _ => "client",
    };

    private static string OutcomeWord(Outcome outcome) => outcome switch
    {
        Outcome.Accepted => "relayed",
        Outcome.Rejected => "refused",
        Outcome.Held => "held",
        _ => "deferred",
    };

    private static async Task<Client> ClientOfAsync(FloodgateDbContext db, AccountScope scope, int id, CancellationToken cancellationToken)
    {
        var clientId = scope switch
        {
            AccountScope.Mailbox => await db.Mailboxes.Where(m => m.Id == id).Select(m => m.Domain!.ClientId).FirstAsync(cancellationToken),
            AccountScope.Domain => await db.Domains.Where(d => d.Id == id).Select(d => d.ClientId).FirstAsync(cancellationToken),
            _ => id,
        };
        return await db.Clients.FirstAsync(c => c.Id == clientId, cancellationToken);
    }
}
