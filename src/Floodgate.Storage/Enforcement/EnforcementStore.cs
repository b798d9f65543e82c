using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Notifications;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Enforcement;

/// <summary>
/// The durable side of enforcement: offenses, suspensions, incidents, contact tasks, the client's
/// report, reinstatement and damages. Every change is one database transaction with its audit rows;
/// a change of account status also bumps <see cref="StateVersion"/> (through <see cref="AccountStore"/>'s
/// own internals), so a running server refuses or admits the sender at its next poll.
/// Incident changes go through <see cref="IncidentTransitions"/>. Refusals throw <see cref="EnforcementException"/>.
/// </summary>
public sealed partial class EnforcementStore(
    IDbContextFactory<FloodgateDbContext> dbFactory,
    TimeProvider time,
    ContactTaskOptions contactOptions,
    DamagesOptions damagesOptions,
    PasswordHasher? passwordHasher = null)
{
    internal static readonly JsonSerializerOptions EvidenceJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new OutcomeJsonConverter(), new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    // A person's word for what became of a message in a damages statement.
    private static string DamagesWord(Outcome outcome) => outcome switch
    {
        Outcome.Accepted => "relayed",
        Outcome.Rejected => "refused",
        Outcome.Held => "held",
        _ => "deferred",
    };

    // ---- offenses

    /// <summary>
    /// Applies a ladder step in one transaction: the status change (mailbox Suspended,
    /// domain Suspended or client Terminated), a suspension, the offense, an incident (Open), a contact
    /// task due at <c>At + SLA</c> with the client's primary contact, and their audit rows. A target
    /// that already has the status, or a stronger one, is left as it is; the offense is still recorded.
    /// The step is the caller's, or, with <see cref="NewOffense.Ladder"/>, decided here from the client's
    /// recorded offenses while the client is locked (<see cref="DecideAsync"/>), so processes that share
    /// the database climb one ladder and two detections of one run take one step.
    /// </summary>
    public async Task<RecordedOffense> RecordOffenseAsync(NewOffense offense, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offense);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var errors = new List<string>();
        if (!Enum.IsDefined(offense.Step))
            errors.Add($"unknown ladder step {offense.Step}");
        if (offense.Source is not (NewOffense.Detector or NewOffense.Operator))
            errors.Add($"the source must be \"{NewOffense.Detector}\" or \"{NewOffense.Operator}\", not \"{offense.Source}\"");
        if (string.IsNullOrWhiteSpace(offense.Reason))
            errors.Add("a reason is required (it is shown to the sender)");
        else if (offense.Reason.Trim().Length > AccountColumns.Reason)
            errors.Add($"the reason must be at most {AccountColumns.Reason} characters");
        if (errors.Count > 0)
            throw new EnforcementException(EnforcementError.Invalid, $"The offense was not recorded: {string.Join("; ", errors)}.", errors);
        var reason = offense.Reason.Trim();

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.AsNoTracking().Include(m => m.Domain)
            .FirstOrDefaultAsync(m => m.Id == offense.MailboxId, cancellationToken)
            ?? throw NotFound("mailbox", offense.MailboxId);
        if (mailbox.DomainId != offense.DomainId || mailbox.Domain!.ClientId != offense.ClientId)
            throw new EnforcementException(EnforcementError.Invalid,
                $"The offense was not recorded: mailbox {mailbox.Address} is not in domain {offense.DomainId} of client {offense.ClientId}.");
        var others = offense.OtherMailboxes ?? [];
        foreach (var other in others)
        {
            var o = await db.Mailboxes.AsNoTracking().Include(m => m.Domain).FirstOrDefaultAsync(m => m.Id == other.Id, cancellationToken)
                ?? throw NotFound("mailbox", other.Id);
            if (o.Domain!.ClientId != offense.ClientId)
                throw new EnforcementException(EnforcementError.Invalid,
                    $"The offense was not recorded: mailbox {o.Address} is not a mailbox of client {offense.ClientId}.");
        }

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (offense.Ladder is not null)
            await LockClientAsync(db, offense.ClientId, cancellationToken);

        if (offense.Key is { } key && await db.Offenses.AsNoTracking().FirstOrDefaultAsync(x => x.Key == key, cancellationToken) is { } existing)
        {
            // A journal replayed after a crash: the offense is already here.
            return await ExistingAsync(db, existing, repeat: false, cancellationToken);
        }

        IReadOnlyList<DateTimeOffset>? offenseTimes = null;
        if (offense.Ladder is { } ladder)
        {
            var decided = await DecideAsync(db, offense, ladder, cancellationToken);
            if (decided.Stopper is { } stopper)
            {
                // The same run caught twice (two sessions, two nodes): no step of its own; the audit keeps the trace.
                var repeated = await ExistingAsync(db, stopper, repeat: true, cancellationToken);
                Audit(db, now, actor, "offense.repeat", "offense", stopper.Id, new
                {
                    mailbox = offense.MailboxAddress,
                    at = offense.At,
                    key = offense.Key,
                    offense.Score,
                    signals = offense.Signals?.Count ?? 0,
                    step = stopper.Step.ToString(),
                });
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return repeated with { OffenseTimes = decided.Times };
            }

            if (decided.Step != offense.Step)
            {
                reason = RequireReason(offense.ReasonFor?.Invoke(decided.Step) ?? reason, "record an offense");
                offense = offense with { Step = decided.Step };
            }

            offenseTimes = [.. decided.Times, offense.At];
        }

        var client = await db.Clients.AsNoTracking().FirstAsync(c => c.Id == offense.ClientId, cancellationToken);
        var (scope, status) = offense.Step switch
        {
            LadderStep.SuspendMailbox => (AccountScope.Mailbox, AccountStatus.Suspended),
            LadderStep.SuspendDomain => (AccountScope.Domain, AccountStatus.Suspended),
            _ => (AccountScope.Client, AccountStatus.Terminated),
        };

        // One step of the ladder: each mailbox of the detection, each of their domains, or the client.
        var targetIds = new List<int>();
        switch (scope)
        {
            case AccountScope.Mailbox:
                targetIds.Add(offense.MailboxId);
                targetIds.AddRange(others.Select(o => o.Id));
                break;
            case AccountScope.Domain:
                targetIds.Add(offense.DomainId);
                targetIds.AddRange(others.Select(o => o.DomainId));
                break;
            default:
                targetIds.Add(offense.ClientId);
                break;
        }

        var record = new OffenseRecord
        {
            At = offense.At,
            ClientId = offense.ClientId,
            DomainId = offense.DomainId,
            MailboxId = offense.MailboxId,
            MailboxAddress = offense.MailboxAddress,
            Step = offense.Step,
            Score = offense.Score,
            Source = offense.Source,
            Reason = reason,
            SignalsJson = JsonSerializer.Serialize(offense.Signals ?? [], EvidenceJson),
            EvidenceJson = JsonSerializer.Serialize(offense.Evidence ?? [], EvidenceJson),
            Key = offense.Key,
        };
        db.Offenses.Add(record);
        await db.SaveChangesAsync(cancellationToken);

        var anyStatusChanged = false;
        var suspensions = new List<(SuspensionRecord Suspension, StatusTarget Target, bool Changed, object? Details)>();
        foreach (var targetId in targetIds.Distinct())
        {
            var target = await FindTargetAsync(db, scope, targetId, cancellationToken);

            // The enum runs Active < Disabled < Suspended < Terminated: never weaken a status here.
            var statusChanged = target.Status < status;
            object? details = statusChanged ? target.Set(status, reason) : null;
            anyStatusChanged |= statusChanged;
            var suspension = new SuspensionRecord
            {
                Scope = scope,
                TargetId = targetId,
                TargetName = target.Name,
                Status = status,
                Reason = reason,
                StartedAt = now,
                StartedBy = actor,
                OffenseId = record.Id,
            };
            db.Suspensions.Add(suspension);
            suspensions.Add((suspension, target, statusChanged, details));
        }

        var incident = new IncidentRecord
        {
            ClientId = offense.ClientId,
            OffenseId = record.Id,
            Step = offense.Step,
            State = IncidentState.Open,
            OpenedAt = now,
        };
        db.Incidents.Add(incident);
        await db.SaveChangesAsync(cancellationToken);

        record.IncidentId = incident.Id;
        var task = new ContactTaskRecord
        {
            IncidentId = incident.Id,
            ClientId = client.Id,
            ContactName = client.ContactName,
            ContactPhone = client.ContactPhone,
            ContactEmail = client.ContactEmail,
            OpenedAt = now,

            // The SLA runs from the offense (the suspension took effect in memory at SMTP time), not from this write.
            DueAt = ContactDeadline.DueAt(offense.At, contactOptions),
        };
        db.ContactTasks.Add(task);
        await db.SaveChangesAsync(cancellationToken);

        foreach (var (_, target, _, details) in suspensions)
        {
            if (details is not null)
                Audit(db, now, actor, target.Kind + ".status", target.Kind, target.Id, details);
        }

        Audit(db, now, actor, "offense.record", "offense", record.Id, new
        {
            step = offense.Step.ToString(),
            offense.Score,
            offense.Source,
            mailbox = offense.MailboxAddress,
            others = others.Select(o => o.Address).ToList(),
            reason,
            signals = offense.Signals?.Count ?? 0,
            evidence = offense.Evidence?.Count ?? 0,
            incident = incident.Id,
        });
        foreach (var (suspension, target, statusChanged, _) in suspensions)
        {
            Audit(db, now, actor, "suspension.start", "suspension", suspension.Id, new
            {
                scope = scope.ToString(),
                target = target.Id,
                name = target.Name,
                status = status.ToString(),
                reason,
                offense = record.Id,
                statusChanged,
            });
        }

        Audit(db, now, actor, "incident.open", "incident", incident.Id, new { client = client.Name, step = offense.Step.ToString(), offense = record.Id });
        Audit(db, now, actor, "contact-task.open", "contact-task", task.Id, new
        {
            incident = incident.Id,
            contact = task.ContactName,
            phone = task.ContactPhone,
            dueAt = task.DueAt,
        });
        NotificationOutbox.OffenseRecorded(db, client, record, incident, task, suspensions.Select(s => s.Suspension), offense.Signals, offense.Evidence);
        await db.SaveChangesAsync(cancellationToken);
        if (anyStatusChanged)
            await AccountStore.BumpVersionAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var first = suspensions[0];
        return new RecordedOffense(record.Id, incident.Id, first.Suspension.Id, task.Id, offense.Step, scope, first.Target.Id, anyStatusChanged,
            OffenseTimes: offenseTimes is null ? null : offenseTimes.Order().ToList());
    }

    private static async Task<RecordedOffense> ExistingAsync(FloodgateDbContext db, OffenseRecord existing, bool repeat, CancellationToken cancellationToken)
    {
        var known = await db.Incidents.AsNoTracking().FirstAsync(i => i.OffenseId == existing.Id, cancellationToken);
        var firstSuspension = await db.Suspensions.AsNoTracking().Where(x => x.OffenseId == existing.Id).OrderBy(x => x.Id).FirstAsync(cancellationToken);
        var contact = await db.ContactTasks.AsNoTracking().Where(t => t.IncidentId == known.Id).OrderBy(t => t.Id).FirstAsync(cancellationToken);
        return new RecordedOffense(existing.Id, known.Id, firstSuspension.Id, contact.Id, existing.Step, firstSuspension.Scope, firstSuspension.TargetId, false, repeat);
    }

    /// <summary>
    /// Serialises the ladder of one client across processes until the transaction ends. PostgreSQL: a
    /// row lock on the client (READ COMMITTED: every later statement sees what the previous holder
    /// committed); <c>NO KEY UPDATE</c>, not <c>UPDATE</c>, so inserts that only reference the client
    /// (their foreign key takes <c>KEY SHARE</c>) do not wait. SQLite: the transaction already holds the
    /// database's write lock (Microsoft.Data.Sqlite begins with <c>BEGIN IMMEDIATE</c>).
    /// </summary>
    private static async Task LockClientAsync(FloodgateDbContext db, int clientId, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM \"Clients\" WHERE \"Id\" = {clientId} FOR NO KEY UPDATE", cancellationToken);
    }

    /// <summary>
    /// The durable ladder, under the client's lock. A repeat first: the sender is under an open suspension
    /// (its mailbox's, its domain's, or its client's, that target still not active) that an offense of the
    /// client raised within the repeat window of this one; the same rule as memory's, where such a sender
    /// is refused at once.
    /// Otherwise the step counts the client's offenses in the look-back, as <see cref="Ladder.StepFor"/> does.
    /// </summary>
    private static async Task<(LadderStep Step, OffenseRecord? Stopper, List<DateTimeOffset> Times)> DecideAsync(
        FloodgateDbContext db, NewOffense offense, LadderOptions ladder, CancellationToken cancellationToken)
    {
        var at = offense.At;
        var since = at - ladder.LookBack;
        var times = await db.Offenses.AsNoTracking().Where(o => o.ClientId == offense.ClientId && o.At > since)
            .OrderBy(o => o.At).Select(o => o.At).ToListAsync(cancellationToken);

        // Memory asks whether the sender is still stopped; so does this, besides the suspension being open
        // (a status set back to active by hand, without lifting, lets the sender offend again).
        var status = await db.Mailboxes.AsNoTracking().Where(m => m.Id == offense.MailboxId)
            .Select(m => new { Mailbox = m.Status, Domain = m.Domain!.Status, Client = m.Domain.Client!.Status })
            .FirstAsync(cancellationToken);
        var mailboxStopped = status.Mailbox != AccountStatus.Active;
        var domainStopped = status.Domain != AccountStatus.Active;
        var clientStopped = status.Client != AccountStatus.Active;
        var from = at - ladder.RepeatWindow;
        var to = at + ladder.RepeatWindow;
        var stoppers = db.Suspensions.AsNoTracking()
            .Where(s => s.LiftedAt == null && s.OffenseId != null
                && ((mailboxStopped && s.Scope == AccountScope.Mailbox && s.TargetId == offense.MailboxId)
                    || (domainStopped && s.Scope == AccountScope.Domain && s.TargetId == offense.DomainId)
                    || (clientStopped && s.Scope == AccountScope.Client && s.TargetId == offense.ClientId)))
            .Select(s => s.OffenseId!.Value);
        var stopper = await db.Offenses.AsNoTracking()
            .Where(o => o.ClientId == offense.ClientId && o.At >= from && o.At <= to && stoppers.Contains(o.Id))
            .OrderByDescending(o => o.Step).ThenBy(o => o.Id)
            .FirstOrDefaultAsync(cancellationToken);
        return (Ladder.StepFor(times, at, ladder), stopper, times);
    }

    /// <summary>When the client's offenses were raised, oldest first (for <see cref="Ladder.StepFor"/>).</summary>
    public async Task<IReadOnlyList<DateTimeOffset>> LoadOffenseTimesAsync(int clientId, DateTimeOffset? since = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Offenses.AsNoTracking().Where(o => o.ClientId == clientId);
        if (since is { } s)
            query = query.Where(o => o.At >= s);
        return await query.OrderBy(o => o.At).Select(o => o.At).ToListAsync(cancellationToken);
    }

    /// <summary>Every client's offense times since <paramref name="since"/> (now minus the look-back), for the server's ladder at start.</summary>
    public async Task<IReadOnlyDictionary<int, List<DateTimeOffset>>> LoadAllOffenseTimesAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Offenses.AsNoTracking().Where(o => o.At >= since).OrderBy(o => o.At)
            .Select(o => new { o.ClientId, o.At }).ToListAsync(cancellationToken);
        var result = new Dictionary<int, List<DateTimeOffset>>();
        foreach (var row in rows)
        {
            if (!result.TryGetValue(row.ClientId, out var list))
                result[row.ClientId] = list = [];
            list.Add(row.At);
        }

        return result;
    }

    // ---- manual suspensions

    /// <summary>
    /// An operator suspends a mailbox, domain or client by hand (no offense, no incident). A reason is
    /// required. A target that is already suspended or terminated is refused (Conflict): lift it first.
    /// </summary>
    public async Task<SuspensionChange> SuspendAsync(AccountScope scope, int id, string reason, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        reason = RequireReason(reason, "suspend");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var target = await FindTargetAsync(db, scope, id, cancellationToken);
        if (target.Status is AccountStatus.Suspended or AccountStatus.Terminated)
            throw new EnforcementException(EnforcementError.Conflict,
                $"The {target.Kind} {target.Name} is already {target.Status.ToString().ToLowerInvariant()} ({target.Reason}); lift it first to change the reason.");

        var from = target.Status;
        var statusDetails = target.Set(AccountStatus.Suspended, reason);
        var suspension = new SuspensionRecord
        {
            Scope = scope,
            TargetId = id,
            TargetName = target.Name,
            Status = AccountStatus.Suspended,
            Reason = reason,
            StartedAt = now,
            StartedBy = actor,
        };
        db.Suspensions.Add(suspension);
        await db.SaveChangesAsync(cancellationToken);
        Audit(db, now, actor, target.Kind + ".status", target.Kind, id, statusDetails);
        Audit(db, now, actor, "suspension.start", "suspension", suspension.Id, new
        {
            scope = scope.ToString(),
            target = id,
            name = target.Name,
            status = nameof(AccountStatus.Suspended),
            reason,
            manual = true,
        });
        await NotificationOutbox.SuspendedByHandAsync(db, suspension, actor, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await AccountStore.BumpVersionAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SuspensionChange(suspension.Id, scope, id, target.Name, from, AccountStatus.Suspended);
    }

    /// <summary>
    /// An operator makes a suspended mailbox, domain or client active again; every open suspension of
    /// it is marked lifted. A reason is required. A termination can be lifted by hand only for a client
    /// (the only scope the ladder terminates); that is audited as <c>client.termination-lifted</c> with a
    /// warning, besides the status change. Lifting by hand does not move an incident: close it separately.
    /// </summary>
    public async Task<SuspensionChange> LiftAsync(AccountScope scope, int id, string reason, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        reason = RequireReason(reason, "lift");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var target = await FindTargetAsync(db, scope, id, cancellationToken);
        var from = target.Status;
        if (from is not (AccountStatus.Suspended or AccountStatus.Terminated))
            throw new EnforcementException(EnforcementError.Conflict, $"The {target.Kind} {target.Name} is {from.ToString().ToLowerInvariant()}, not suspended: nothing to lift.");
        if (from == AccountStatus.Terminated && scope != AccountScope.Client)
            throw new EnforcementException(EnforcementError.Conflict,
                $"The {target.Kind} {target.Name} is terminated; only a client's termination can be lifted (use \"{target.Kind} status\" to change it).");

        var statusDetails = target.Set(AccountStatus.Active, null);
        var open = await db.Suspensions.Where(s => s.Scope == scope && s.TargetId == id && s.LiftedAt == null).ToListAsync(cancellationToken);
        foreach (var s in open)
            (s.LiftedAt, s.LiftedBy, s.LiftReason) = (now, actor, reason);
        await db.SaveChangesAsync(cancellationToken);

        Audit(db, now, actor, target.Kind + ".status", target.Kind, id, statusDetails);
        if (from == AccountStatus.Terminated)
        {
            Audit(db, now, actor, "client.termination-lifted", "client", id, new
            {
                name = target.Name,
                reason,
                warning = "A client terminated from the network was made active again by hand, outside the incident process.",
            });
        }

        foreach (var s in open)
            Audit(db, now, actor, "suspension.lift", "suspension", s.Id, new { scope = scope.ToString(), target = id, name = target.Name, reason, offense = s.OffenseId });
        await NotificationOutbox.LiftedByHandAsync(db, scope, id, target.Name, reason, actor, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await AccountStore.BumpVersionAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SuspensionChange(open.Count > 0 ? open[^1].Id : 0, scope, id, target.Name, from, AccountStatus.Active);
    }

    // ---- incidents

    public async Task<IReadOnlyList<IncidentSummary>> ListIncidentsAsync(IncidentQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new IncidentQuery();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var incidents = db.Incidents.AsNoTracking();
        if (query.State is { } state)
            incidents = incidents.Where(i => i.State == state);
        if (query.ClientId is { } clientId)
            incidents = incidents.Where(i => i.ClientId == clientId);
        if (query.OpenOnly)
            incidents = incidents.Where(i => i.State != IncidentState.Reinstated && i.State != IncidentState.Closed);
        if (query.Before is { } before)
            incidents = incidents.Where(i => i.Id < before);

        var rows = await (
            from i in incidents
            join c in db.Clients on i.ClientId equals c.Id
            join o in db.Offenses on i.OffenseId equals o.Id
            orderby i.Id descending
            select new { Incident = i, ClientName = c.Name, o.MailboxAddress })
            .Take(Math.Clamp(query.Limit, 1, 10_000))
            .ToListAsync(cancellationToken);

        var ids = rows.Select(r => r.Incident.Id).ToList();
        var openTasks = await db.ContactTasks.AsNoTracking().Where(t => ids.Contains(t.IncidentId) && t.DoneAt == null)
            .Select(t => new { t.IncidentId, t.DueAt }).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return rows.Select(r => new IncidentSummary(
            r.Incident.Id, r.Incident.ClientId, r.ClientName, r.MailboxAddress, r.Incident.Step, r.Incident.State,
            r.Incident.OpenedAt, r.Incident.ClosedAt,
            openTasks.Any(t => t.IncidentId == r.Incident.Id && ContactDeadline.IsOverdue(t.DueAt, null, now)))).ToList();
    }

    /// <summary>The incident with its offense (signals and evidence parsed), suspensions, contact tasks and a timeline, oldest first.</summary>
    public async Task<IncidentDetail> GetIncidentAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, cancellationToken)
            ?? throw NotFound("incident", id);
        var clientName = await db.Clients.Where(c => c.Id == incident.ClientId).Select(c => c.Name).FirstAsync(cancellationToken);
        var offense = await db.Offenses.AsNoTracking().FirstAsync(o => o.Id == incident.OffenseId, cancellationToken);
        var suspensions = await db.Suspensions.AsNoTracking().Where(s => s.OffenseId == offense.Id).OrderBy(s => s.Id).ToListAsync(cancellationToken);
        var tasks = await ContactTaskViews(db, db.ContactTasks.Where(t => t.IncidentId == id), cancellationToken);

        var suspensionIds = suspensions.Select(s => (int?)checked((int)s.Id)).ToList();
        var taskIds = tasks.Select(t => (int?)checked((int)t.Id)).ToList();
        int? incidentKey = checked((int)id);
        int? offenseKey = checked((int)offense.Id);
        var audit = await db.AuditEntries.AsNoTracking()
            .Where(a => (a.TargetKind == "incident" && a.TargetId == incidentKey)
                        || (a.TargetKind == "offense" && a.TargetId == offenseKey)
                        || (a.TargetKind == "suspension" && suspensionIds.Contains(a.TargetId))
                        || (a.TargetKind == "contact-task" && taskIds.Contains(a.TargetId)))
            .OrderBy(a => a.Id)
            .ToListAsync(cancellationToken);

        var timeline = new List<TimelineEntry>
        {
            new(offense.At, $"offense detected ({offense.Source}): {offense.MailboxAddress}, score {offense.Score.ToString("0.##", CultureInfo.InvariantCulture)}: {offense.Reason}", null),
        };
        foreach (var t in tasks)
            timeline.Add(new TimelineEntry(t.DueAt, $"call to {t.ContactName} due (contact task {t.Id})", null));
        foreach (var a in audit)
            timeline.Add(new TimelineEntry(a.Time, Timeline.Describe(a), a.Actor));

        // Stable: equal times keep the order above (offense, due, then audit rows by id).
        var ordered = timeline.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e).ToList();

        return new IncidentDetail(incident, clientName, ToDetail(offense), suspensions, tasks, ordered);
    }

    /// <summary>
    /// Records one call of a contact task. Reached or LeftMessage completes the task and moves the
    /// incident to Contacted (when the table allows it from where the incident is); NoAnswer and
    /// WrongNumber are kept as attempts and leave the task open, overdue once past due.
    /// </summary>
    public async Task<ContactTaskView> RecordContactAsync(long taskId, ContactOutcome outcome, string? notes, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (!Enum.IsDefined(outcome))
            throw new EnforcementException(EnforcementError.Invalid, $"Unknown contact outcome {outcome}.");
        notes = OptionalNote(notes);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var task = await db.ContactTasks.FirstOrDefaultAsync(t => t.Id == taskId, cancellationToken) ?? throw NotFound("contact task", taskId);
        if (task.DoneAt is not null)
            throw new EnforcementException(EnforcementError.Conflict, $"The contact task {taskId} was done at {task.DoneAt:u} ({task.Outcome}); it takes no more calls.");
        var incident = await db.Incidents.FirstAsync(i => i.Id == task.IncidentId, cancellationToken);

        db.ContactAttempts.Add(new ContactAttempt { ContactTaskId = task.Id, At = now, Outcome = outcome, Notes = notes, By = actor });
        var done = outcome is ContactOutcome.Reached or ContactOutcome.LeftMessage;
        if (done)
            (task.DoneAt, task.Outcome, task.Notes, task.DoneBy) = (now, outcome, notes, actor);
        Audit(db, now, actor, "contact-task.call", "contact-task", task.Id, new { incident = incident.Id, outcome = outcome.ToString(), notes, done });

        if (done && IncidentTransitions.TryApply(incident.State, IncidentAction.RecordContact, incident.Step, out var next, out _) && next != incident.State)
        {
            Audit(db, now, actor, "incident.contact", "incident", incident.Id, new { from = incident.State.ToString(), to = next.ToString(), task = task.Id });
            incident.State = next;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await ContactTaskViews(db, db.ContactTasks.Where(t => t.Id == taskId), cancellationToken))[0];
    }

    /// <summary>The client's report: all three parts (<see cref="IncidentReport.Validate"/>), else Invalid with each problem.</summary>
    public async Task<IncidentRecord> SubmitReportAsync(long incidentId, IncidentReport report, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var errors = report.Validate();
        if (errors.Count > 0)
            throw new EnforcementException(EnforcementError.Invalid, $"The report was not submitted: {string.Join("; ", errors)}.", errors);
        if (new[] { report.Mechanism, report.StepsTaken, report.ClientPolicy }.Any(p => p.Trim().Length > EnforcementColumns.ReportPart))
            throw new EnforcementException(EnforcementError.Invalid, $"The report was not submitted: each part must be at most {EnforcementColumns.ReportPart} characters.");

        return await TransitionAsync(incidentId, IncidentAction.SubmitReport, actor, "incident.report-submit", (i, now) =>
        {
            (i.ReportMechanism, i.ReportStepsTaken, i.ReportClientPolicy) = (report.Mechanism.Trim(), report.StepsTaken.Trim(), report.ClientPolicy.Trim());
            (i.ReportSubmittedAt, i.ReportSubmittedBy) = (now, actor);
            return new { mechanism = i.ReportMechanism, stepsTaken = i.ReportStepsTaken, clientPolicy = i.ReportClientPolicy };
        }, cancellationToken);
    }

    /// <summary>Sends the report back for more; the note (required) says what is missing.</summary>
    public Task<IncidentRecord> ReturnReportAsync(long incidentId, string note, string actor, CancellationToken cancellationToken = default)
    {
        note = RequireNote(note, "return a report");
        return TransitionAsync(incidentId, IncidentAction.ReturnReport, actor, "incident.report-return", (i, now) =>
        {
            (i.ReviewNote, i.ReviewedAt, i.ReviewedBy) = (note, now, actor);
            return new { note };
        }, cancellationToken);
    }

    public Task<IncidentRecord> AcceptReportAsync(long incidentId, string? note, string actor, CancellationToken cancellationToken = default)
    {
        note = OptionalNote(note);
        return TransitionAsync(incidentId, IncidentAction.AcceptReport, actor, "incident.report-accept", (i, now) =>
        {
            (i.ReviewNote, i.ReviewedAt, i.ReviewedBy) = (note, now, actor);
            return new { note };
        }, cancellationToken);
    }

    /// <summary>A reinstatement that brings no new password: allowed only where no mailbox the offense named has one.</summary>
    public Task<IncidentRecord> ReinstateAsync(long incidentId, string actor, CancellationToken cancellationToken = default) =>
        ReinstateAsync(incidentId, Reinstatement.None, actor, cancellationToken);

    /// <summary>
    /// Only after the report was accepted, never for a termination (the table says so). Lifts the
    /// offense's suspension; the target becomes Active unless another suspension of it is still open.
    /// Each mailbox the offense named that has a password gets the new one given for it, in the same
    /// transaction (<see cref="Reinstatement"/>), unless an override with a reason is given.
    /// </summary>
    public async Task<IncidentRecord> ReinstateAsync(long incidentId, Reinstatement reinstatement, string actor, CancellationToken cancellationToken = default)
    {
        var prepared = await PrepareCredentialsAsync(incidentId, reinstatement, cancellationToken);
        var lifted = new List<SuspensionRecord>();
        return await TransitionAsync(incidentId, IncidentAction.Reinstate, actor, "incident.reinstate", async (db, i, now, ct) =>
        {
            // First, so a missing password refuses before anything is lifted.
            var credentials = await ReplaceCredentialsAsync(db, i, prepared, actor, now, ct);
            (i.ReinstatedAt, i.ReinstatedBy) = (now, actor);
            var reason = $"reinstated: incident {i.Id} report accepted";
            var open = await db.Suspensions.Where(s => s.OffenseId == i.OffenseId && s.LiftedAt == null).ToListAsync(ct);
            var statusChanged = false;
            foreach (var s in open)
            {
                (s.LiftedAt, s.LiftedBy, s.LiftReason) = (now, actor, reason);
                lifted.Add(s);
                var others = await db.Suspensions.AnyAsync(o => o.Scope == s.Scope && o.TargetId == s.TargetId && o.LiftedAt == null && o.Id != s.Id, ct);
                var target = await FindTargetAsync(db, s.Scope, s.TargetId, ct);
                if (!others && target.Status == s.Status)
                {
                    Audit(db, now, actor, target.Kind + ".status", target.Kind, target.Id, target.Set(AccountStatus.Active, null));
                    statusChanged = true;
                }

                Audit(db, now, actor, "suspension.lift", "suspension", s.Id, new { scope = s.Scope.ToString(), target = s.TargetId, name = s.TargetName, reason, incident = i.Id });
            }

            return (new { lifted = lifted.Select(s => s.Id).ToList(), newPasswords = credentials.Reset, overrideReason = credentials.OverrideReason },
                statusChanged || credentials.Reset.Count > 0);
        }, cancellationToken);
    }

    /// <summary>Ends the incident without reinstatement (or after it was refused); the suspension stays. A note is required.</summary>
    public Task<IncidentRecord> CloseAsync(long incidentId, string note, string actor, CancellationToken cancellationToken = default)
    {
        note = RequireNote(note, "close an incident");
        return TransitionAsync(incidentId, IncidentAction.Close, actor, "incident.close", (i, now) =>
        {
            (i.ClosedAt, i.ClosedBy, i.CloseNote) = (now, actor, note);
            return new { note };
        }, cancellationToken);
    }

    // ---- contact tasks

    /// <summary>Open tasks (or all) by due time, with <see cref="ContactTaskView.IsOverdue"/> at the store's clock.</summary>
    public async Task<IReadOnlyList<ContactTaskView>> ListContactTasksAsync(bool openOnly = true, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.ContactTasks.AsQueryable();
        if (openOnly)
            query = query.Where(t => t.DoneAt == null);
        return await ContactTaskViews(db, query, cancellationToken);
    }

    // ---- damages

    /// <summary>
    /// The statement from the offense's stored evidence: each recipient of a relayed message is one
    /// piece, times <see cref="DamagesOptions.AmountPerPiece"/>; held or refused messages are listed and cost nothing.
    /// </summary>
    public async Task<DamagesStatement> GetDamagesAsync(long incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await (
            from i in db.Incidents
            join c in db.Clients on i.ClientId equals c.Id
            join o in db.Offenses on i.OffenseId equals o.Id
            where i.Id == incidentId
            select new { ClientName = c.Name, o.EvidenceJson }).FirstOrDefaultAsync(cancellationToken)
            ?? throw NotFound("incident", incidentId);
        var lines = ParseEvidence(row.EvidenceJson)
            .OrderBy(e => e.At)
            .Select(e => new DamagesLine(e.At, e.MessageId ?? "(none)", e.Recipients, e.Outcome == Outcome.Accepted, DamagesWord(e.Outcome)))
            .ToList();
        return new DamagesStatement(incidentId, row.ClientName, lines, damagesOptions);
    }

    // ---- shared

    private Task<IncidentRecord> TransitionAsync(
        long incidentId, IncidentAction action, string actor, string auditAction, Func<IncidentRecord, DateTimeOffset, object> apply, CancellationToken cancellationToken) =>
        TransitionAsync(incidentId, action, actor, auditAction,
            (_, i, now, _) => Task.FromResult((apply(i, now), false)), cancellationToken);

    /// <summary>Loads the incident, asks the table, applies the change and audits it, in one transaction.</summary>
    private async Task<IncidentRecord> TransitionAsync(
        long incidentId,
        IncidentAction action,
        string actor,
        string auditAction,
        Func<FloodgateDbContext, IncidentRecord, DateTimeOffset, CancellationToken, Task<(object Details, bool StatusChanged)>> apply,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var incident = await db.Incidents.FirstOrDefaultAsync(i => i.Id == incidentId, cancellationToken) ?? throw NotFound("incident", incidentId);
        if (!IncidentTransitions.TryApply(incident.State, action, incident.Step, out var next, out var error))
            throw new EnforcementException(EnforcementError.Conflict, $"Incident {incidentId}: {error}.");

        var from = incident.State;
        var (details, statusChanged) = await apply(db, incident, now, cancellationToken);
        incident.State = next;
        Audit(db, now, actor, auditAction, "incident", incident.Id, new { from = from.ToString(), to = next.ToString(), details });
        await NotificationOutbox.IncidentChangedAsync(db, incident, action, from, actor, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        if (statusChanged)
            await AccountStore.BumpVersionAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return incident;
    }

    private async Task<List<ContactTaskView>> ContactTaskViews(FloodgateDbContext db, IQueryable<ContactTaskRecord> tasks, CancellationToken cancellationToken)
    {
        var rows = await (
            from t in tasks.AsNoTracking().Include(t => t.Attempts)
            join c in db.Clients on t.ClientId equals c.Id
            orderby t.DueAt, t.Id
            select new { Task = t, ClientName = c.Name })
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return rows.Select(r => new ContactTaskView(
            r.Task.Id, r.Task.IncidentId, r.Task.ClientId, r.ClientName, r.Task.ContactName, r.Task.ContactPhone, r.Task.ContactEmail,
            r.Task.OpenedAt, r.Task.DueAt, r.Task.DoneAt, r.Task.Outcome, r.Task.Notes, r.Task.DoneBy,
            ContactDeadline.IsOverdue(r.Task.DueAt, r.Task.DoneAt, now),
            r.Task.Attempts.OrderBy(a => a.At).ThenBy(a => a.Id).ToList())).ToList();
    }

    internal static OffenseDetail ToDetail(OffenseRecord o) => new(
        o.Id, o.At, o.ClientId, o.DomainId, o.MailboxId, o.MailboxAddress, o.Step, o.Score, o.Source, o.Reason,
        JsonSerializer.Deserialize<List<Signal>>(o.SignalsJson, EvidenceJson) ?? [],
        ParseEvidence(o.EvidenceJson));

    private static List<EvidenceMessage> ParseEvidence(string json) =>
        JsonSerializer.Deserialize<List<EvidenceMessage>>(json, EvidenceJson) ?? [];

    private static async Task<StatusTarget> FindTargetAsync(FloodgateDbContext db, AccountScope scope, int id, CancellationToken cancellationToken)
    {
        try
        {
            return await AccountStore.FindStatusTargetAsync(db, scope, id, cancellationToken);
        }
        catch (AccountException ex)
        {
            throw new EnforcementException((EnforcementError)(int)ex.Error, ex.Message, ex.Details);
        }
    }

    private static void Audit(FloodgateDbContext db, DateTimeOffset now, string actor, string action, string kind, long id, object details) =>
        db.AuditEntries.Add(AccountStore.NewAuditEntry(now, actor, action, kind, checked((int)id), details));

    private static string RequireReason(string? reason, string what)
    {
        if (string.IsNullOrWhiteSpace(reason))
            throw new EnforcementException(EnforcementError.Invalid, $"A reason is required to {what}.");
        reason = reason.Trim();
        return reason.Length <= AccountColumns.Reason
            ? reason
            : throw new EnforcementException(EnforcementError.Invalid, $"The reason must be at most {AccountColumns.Reason} characters.");
    }

    private static string RequireNote(string? note, string what) =>
        OptionalNote(note) ?? throw new EnforcementException(EnforcementError.Invalid, $"A note is required to {what}.");

    private static string? OptionalNote(string? note)
    {
        if (string.IsNullOrWhiteSpace(note))
            return null;
        note = note.Trim();
        return note.Length <= EnforcementColumns.Note
            ? note
            : throw new EnforcementException(EnforcementError.Invalid, $"The note must be at most {EnforcementColumns.Note} characters.");
    }

    private static EnforcementException NotFound(string kind, long id) =>
        new(EnforcementError.NotFound, $"There is no {kind} {id.ToString(CultureInfo.InvariantCulture)}.");
}
