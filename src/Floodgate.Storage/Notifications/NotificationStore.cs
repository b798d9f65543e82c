using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Notifications;

/// <summary>
/// The outbox's durable side: fan-out of events into deliveries, the dispatcher's claim and its
/// attempts, the lists the console and the API read, webhook endpoints and e-mail templates.
/// Every change a person makes is audited in its own transaction. Refusals throw
/// <see cref="AccountException"/> (invalid 400, not found 404, conflict 409).
/// </summary>
public sealed class NotificationStore(IDbContextFactory<FloodgateDbContext> dbFactory, TimeProvider time)
{
    public const string SecretPrefix = "whsec_";
    public const int MaxLimit = 200;

    /// <summary>How long the old secret keeps signing after a rotation.</summary>
    public static readonly TimeSpan SecretOverlap = TimeSpan.FromHours(24);

    // ---- the dispatcher

    /// <summary>
    /// Makes the deliveries of events not fanned out yet, oldest first: an e-mail to the client's
    /// primary contact for the types that e-mail (when <paramref name="email"/>), and one per enabled
    /// endpoint that wants the type. Each event in its own transaction, taken by a conditional update
    /// so two dispatchers never fan one event out twice. Events of the provider's own (a blocklist
    /// listing: no client) are e-mailed to <paramref name="abuseDesk"/> instead, when it is set.
    /// </summary>
    public async Task<int> FanOutAsync(bool email, int limit, string? abuseDesk = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var events = await db.NotificationEvents.AsNoTracking().Where(e => e.FannedOutAt == null).OrderBy(e => e.Id)
            .Select(e => new { e.Id, e.Type, e.ClientId }).Take(limit).ToListAsync(cancellationToken);
        if (events.Count == 0)
            return 0;

        var endpoints = await db.WebhookEndpoints.AsNoTracking().Where(w => w.Enabled && w.DeletedAt == null)
            .Select(w => new { w.Id, w.EventTypes }).ToListAsync(cancellationToken);
        var done = 0;
        foreach (var e in events)
        {
            var now = time.GetUtcNow();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var taken = await db.NotificationEvents.Where(x => x.Id == e.Id && x.FannedOutAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.FannedOutAt, now), cancellationToken);
            if (taken == 0)
                continue;

            if (email && NotificationTypes.IsEmailed(e.Type) && e.ClientId is { } clientId
                && await db.Clients.Where(c => c.Id == clientId).Select(c => c.ContactEmail).FirstOrDefaultAsync(cancellationToken) is { Length: > 0 } address)
            {
                db.NotificationDeliveries.Add(NewDelivery(e.Id, DeliveryChannel.Email, null, address, now));
            }
            else if (email && NotificationTypes.IsForAbuseDesk(e.Type) && !string.IsNullOrWhiteSpace(abuseDesk))
            {
                db.NotificationDeliveries.Add(NewDelivery(e.Id, DeliveryChannel.Email, null, abuseDesk, now));
            }

            foreach (var w in endpoints.Where(w => Wants(w.EventTypes, e.Type)))
                db.NotificationDeliveries.Add(NewDelivery(e.Id, DeliveryChannel.Webhook, w.Id, null, now));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            db.ChangeTracker.Clear();
            done++;
        }

        return done;
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries: each is moved <paramref name="lease"/> into
    /// the future by a conditional update before it is handed out, so no other poll (of this node or
    /// another) takes it while it is sent, and a crash mid-send makes it due again when the lease ends.
    /// Webhooks of disabled or deleted endpoints wait.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryWork>> ClaimDueAsync(TimeSpan lease, int limit, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var due = await (
            from d in db.NotificationDeliveries.AsNoTracking()
            where d.State == DeliveryState.Pending && d.NextAttemptAt <= now
            join e in db.NotificationEvents on d.NotificationEventId equals e.Id
            from w in db.WebhookEndpoints.Where(w => w.Id == d.EndpointId).DefaultIfEmpty()
            where d.Channel == DeliveryChannel.Email || (w != null && w.Enabled && w.DeletedAt == null)
            orderby d.NextAttemptAt, d.Id
            select new { Delivery = d, Event = e, Endpoint = w })
            .Take(limit)
            .ToListAsync(cancellationToken);

        var claimed = new List<DeliveryWork>(due.Count);
        var until = now + lease;
        foreach (var row in due)
        {
            var d = row.Delivery;
            var seen = d.NextAttemptAt;
            var taken = await db.NotificationDeliveries
                .Where(x => x.Id == d.Id && x.State == DeliveryState.Pending && x.NextAttemptAt == seen)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextAttemptAt, until), cancellationToken);
            if (taken == 0)
                continue;

            var w = row.Endpoint;
            var target = w is null ? null : new WebhookTarget(w.Id, w.Url, w.Secret, w.PreviousSecretUntil > now ? w.PreviousSecret : null);
            claimed.Add(new DeliveryWork(d.Id, d.Channel, d.Attempts + 1, d.Recipient, row.Event.EventId, row.Event.Type, row.Event.OccurredAt, row.Event.PayloadJson, target));
        }

        return claimed;
    }

    /// <summary>Writes one attempt to the delivery log and moves the delivery on (delivered, due again, or failed for good).</summary>
    public async Task RecordAttemptAsync(long deliveryId, AttemptOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var d = await db.NotificationDeliveries.FirstOrDefaultAsync(x => x.Id == deliveryId, cancellationToken);
        if (d is null)
            return;

        d.Attempts++;
        d.LastAttemptAt = outcome.At;
        d.LastError = Cut(outcome.Error, NotificationColumns.Error);
        d.State = outcome.Result;
        if (outcome.Result == DeliveryState.Delivered)
            d.DeliveredAt = outcome.At;
        if (outcome.Result == DeliveryState.Pending)
            d.NextAttemptAt = outcome.NextAttemptAt ?? outcome.At;
        db.DeliveryAttempts.Add(new DeliveryAttempt
        {
            DeliveryId = d.Id,
            EndpointId = d.EndpointId,
            Number = d.Attempts,
            At = outcome.At,
            StatusCode = outcome.StatusCode,
            Reply = Cut(outcome.Reply, NotificationColumns.Reply),
            Error = Cut(outcome.Error, NotificationColumns.Error),
            DurationMs = outcome.DurationMs,
            Result = outcome.Result,
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    // ---- events and deliveries

    public async Task<Page<EventView>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Limit(query.Limit);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var events = db.NotificationEvents.AsNoTracking();
        if (query.Type is { } type)
            events = events.Where(e => e.Type == type);
        if (query.ClientId is { } clientId)
            events = events.Where(e => e.ClientId == clientId);
        if (query.Before is { } before)
            events = events.Where(e => e.Id < before);
        var rows = await EventViews(db, events.OrderByDescending(e => e.Id).Take(limit + 1)).ToListAsync(cancellationToken);
        return Paged(rows, limit, r => r.Id);
    }

    public async Task<EventDetail> GetEventAsync(Guid eventId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var view = await EventViews(db, db.NotificationEvents.AsNoTracking().Where(e => e.EventId == eventId)).FirstOrDefaultAsync(cancellationToken)
            ?? throw NotFound($"event {eventId}");
        var json = await db.NotificationEvents.Where(e => e.Id == view.Id).Select(e => e.PayloadJson).FirstAsync(cancellationToken);
        var deliveries = await DeliveryViews(db, db.NotificationDeliveries.AsNoTracking().Where(d => d.NotificationEventId == view.Id).OrderBy(d => d.Id))
            .ToListAsync(cancellationToken);
        using var document = JsonDocument.Parse(json);
        return new EventDetail(view, document.RootElement.Clone(), deliveries);
    }

    public async Task<Page<DeliveryView>> ListDeliveriesAsync(DeliveryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Limit(query.Limit);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var deliveries = db.NotificationDeliveries.AsNoTracking();
        if (query.State is { } state)
            deliveries = deliveries.Where(d => d.State == state);
        if (query.Channel is { } channel)
            deliveries = deliveries.Where(d => d.Channel == channel);
        if (query.EndpointId is { } endpointId)
            deliveries = deliveries.Where(d => d.EndpointId == endpointId);
        if (query.Type is { } type)
            deliveries = deliveries.Where(d => db.NotificationEvents.Any(e => e.Id == d.NotificationEventId && e.Type == type));
        if (query.ClientId is { } clientId)
            deliveries = deliveries.Where(d => db.NotificationEvents.Any(e => e.Id == d.NotificationEventId && e.ClientId == clientId));
        if (query.Before is { } before)
            deliveries = deliveries.Where(d => d.Id < before);
        var rows = await DeliveryViews(db, deliveries.OrderByDescending(d => d.Id).Take(limit + 1)).ToListAsync(cancellationToken);
        return Paged(rows, limit, r => r.Id);
    }

    public async Task<DeliveryDetail> GetDeliveryAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var view = await DeliveryViews(db, db.NotificationDeliveries.AsNoTracking().Where(d => d.Id == id)).FirstOrDefaultAsync(cancellationToken)
            ?? throw NotFound($"delivery {id}");
        var attempts = await AttemptViews(db, db.DeliveryAttempts.AsNoTracking().Where(a => a.DeliveryId == id).OrderBy(a => a.Id)).ToListAsync(cancellationToken);
        return new DeliveryDetail(view, attempts);
    }

    /// <summary>
    /// Sends a delivery again now, by hand: a failed one (out of attempts or refused for good) or a
    /// pending one that should not wait for its back-off. It gets a fresh budget of attempts; the log keeps the old ones.
    /// </summary>
    public async Task<DeliveryView> RetryAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var d = await db.NotificationDeliveries.FirstOrDefaultAsync(x => x.Id == id, cancellationToken) ?? throw NotFound($"delivery {id}");
        if (d.State == DeliveryState.Delivered)
            throw new AccountException(AccountError.Conflict, $"The delivery {id} was delivered at {d.DeliveredAt:u}; there is nothing to retry.");
        if (d.EndpointId is { } endpointId && await db.WebhookEndpoints.AnyAsync(w => w.Id == endpointId && w.DeletedAt != null, cancellationToken))
            throw new AccountException(AccountError.Conflict, $"The delivery {id} is for webhook endpoint {endpointId}, which was deleted.");

        var from = d.State;
        (d.State, d.Attempts, d.NextAttemptAt) = (DeliveryState.Pending, 0, now);
        Audit(db, now, actor, "notification.retry", "notification-delivery", d.Id, new { from = from.ToString(), channel = d.Channel.ToString(), endpoint = d.EndpointId, lastError = d.LastError });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await DeliveryViews(db, db.NotificationDeliveries.AsNoTracking().Where(x => x.Id == id)).FirstAsync(cancellationToken);
    }

    // ---- webhook endpoints

    public async Task<IReadOnlyList<WebhookEndpointView>> ListEndpointsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await EndpointViews(db, db.WebhookEndpoints.AsNoTracking().Where(w => w.DeletedAt == null).OrderBy(w => w.Id)).ToListAsync(cancellationToken);
    }

    public async Task<WebhookEndpointView> GetEndpointAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await EndpointViews(db, db.WebhookEndpoints.AsNoTracking().Where(w => w.Id == id && w.DeletedAt == null)).FirstOrDefaultAsync(cancellationToken)
            ?? throw NotFound($"webhook endpoint {id}");
    }

    /// <summary>A new endpoint with a new secret, shown once in the answer.</summary>
    public async Task<WebhookEndpointWithSecret> AddEndpointAsync(WebhookEndpointChange change, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var (url, types, description) = Check(change, "The webhook endpoint was not added");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var secret = NewSecret();
        var entity = new WebhookEndpoint
        {
            Url = url,
            Description = description,
            Secret = secret,
            EventTypes = types,
            Enabled = change.Enabled,
            CreatedAt = now,
            CreatedBy = actor,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.WebhookEndpoints.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        Audit(db, now, actor, "webhook.add", "webhook", entity.Id, new { url, eventTypes = types, description, enabled = change.Enabled });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WebhookEndpointWithSecret(await GetEndpointAsync(entity.Id, cancellationToken), secret);
    }

    /// <summary>Changes the URL, the types, the description or whether it is enabled. Deliveries already made keep going to the endpoint.</summary>
    public async Task<WebhookEndpointView> UpdateEndpointAsync(int id, WebhookEndpointChange change, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var (url, types, description) = Check(change, "The webhook endpoint was not changed");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var w = await db.WebhookEndpoints.FirstOrDefaultAsync(x => x.Id == id && x.DeletedAt == null, cancellationToken) ?? throw NotFound($"webhook endpoint {id}");
        var before = new { url = w.Url, eventTypes = w.EventTypes, description = w.Description, enabled = w.Enabled };
        (w.Url, w.EventTypes, w.Description, w.Enabled) = (url, types, description, change.Enabled);
        Audit(db, now, actor, "webhook.update", "webhook", id, new { before, after = new { url, eventTypes = types, description, enabled = change.Enabled } });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await GetEndpointAsync(id, cancellationToken);
    }

    /// <summary>Hides the endpoint and fails what still waits for it; its delivery log stays readable.</summary>
    public async Task DeleteEndpointAsync(int id, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var w = await db.WebhookEndpoints.FirstOrDefaultAsync(x => x.Id == id && x.DeletedAt == null, cancellationToken) ?? throw NotFound($"webhook endpoint {id}");
        (w.DeletedAt, w.Enabled) = (now, false);
        var failed = await db.NotificationDeliveries.Where(d => d.EndpointId == id && d.State == DeliveryState.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Failed).SetProperty(d => d.LastError, "the webhook endpoint was deleted"), cancellationToken);
        Audit(db, now, actor, "webhook.delete", "webhook", id, new { url = w.Url, pendingFailed = failed });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A new secret, shown once; the old one keeps signing for <see cref="SecretOverlap"/> so receivers can switch.</summary>
    public async Task<WebhookEndpointWithSecret> RotateSecretAsync(int id, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var secret = NewSecret();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var w = await db.WebhookEndpoints.FirstOrDefaultAsync(x => x.Id == id && x.DeletedAt == null, cancellationToken) ?? throw NotFound($"webhook endpoint {id}");
        (w.PreviousSecret, w.PreviousSecretUntil, w.Secret) = (w.Secret, now + SecretOverlap, secret);
        Audit(db, now, actor, "webhook.rotate-secret", "webhook", id, new { url = w.Url, previousSecretUntil = w.PreviousSecretUntil });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WebhookEndpointWithSecret(await GetEndpointAsync(id, cancellationToken), secret);
    }

    /// <summary>The endpoint's delivery log: every attempt to it, newest first (deleted endpoints too).</summary>
    public async Task<Page<AttemptView>> ListEndpointAttemptsAsync(int endpointId, long? before, int limit, CancellationToken cancellationToken = default)
    {
        limit = Limit(limit);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.WebhookEndpoints.AnyAsync(w => w.Id == endpointId, cancellationToken))
            throw NotFound($"webhook endpoint {endpointId}");
        var attempts = db.DeliveryAttempts.AsNoTracking().Where(a => a.EndpointId == endpointId);
        if (before is { } b)
            attempts = attempts.Where(a => a.Id < b);
        var rows = await AttemptViews(db, attempts.OrderByDescending(a => a.Id).Take(limit + 1)).ToListAsync(cancellationToken);
        return Paged(rows, limit, r => r.Id);
    }

    // ---- e-mail templates

    public async Task<IReadOnlyList<EmailTemplate>> ListTemplatesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.EmailTemplates.AsNoTracking().ToDictionaryAsync(t => t.EventType, cancellationToken);
        return EmailTemplates.Defaults.Keys.Order(StringComparer.Ordinal).Select(type => Effective(type, stored.GetValueOrDefault(type))).ToList();
    }

    /// <summary>The template the next e-mail of the type is rendered from.</summary>
    public async Task<EmailTemplate> GetTemplateAsync(string type, CancellationToken cancellationToken = default)
    {
        RequireEmailType(type);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return Effective(type, await db.EmailTemplates.AsNoTracking().FirstOrDefaultAsync(t => t.EventType == type, cancellationToken));
    }

    public async Task<EmailTemplate> SetTemplateAsync(string type, string subject, string body, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        RequireEmailType(type);
        var errors = EmailTemplates.Validate(subject, body);
        if (errors.Count > 0)
            throw new AccountException(AccountError.Invalid, $"The template of {type} was not saved: {string.Join("; ", errors)}.", errors);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await db.EmailTemplates.FirstOrDefaultAsync(t => t.EventType == type, cancellationToken);
        if (row is null)
        {
            row = new EmailTemplateRecord { EventType = type, Subject = subject, Body = body, UpdatedBy = actor };
            db.EmailTemplates.Add(row);
        }

        (row.Subject, row.Body, row.UpdatedAt, row.UpdatedBy) = (subject, body, now, actor);
        Audit(db, now, actor, "email-template.update", "email-template", null, new { type, subject, body });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Effective(type, row);
    }

    /// <summary>Back to the embedded default.</summary>
    public async Task<EmailTemplate> ResetTemplateAsync(string type, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        RequireEmailType(type);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.EmailTemplates.FirstOrDefaultAsync(t => t.EventType == type, cancellationToken) is { } row)
        {
            db.EmailTemplates.Remove(row);
            Audit(db, now, actor, "email-template.reset", "email-template", null, new { type });
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return Effective(type, null);
    }

    // ---- shared

    /// <summary>Whether an endpoint's filter (null: all; names; "incident.*" prefixes; "*") takes the type.</summary>
    public static bool Wants(string? filter, string type)
    {
        if (string.IsNullOrEmpty(filter))
            return true;
        foreach (var f in filter.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (f == "*" || f == type || (f.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(f[..^1], StringComparison.Ordinal)))
                return true;
        }

        return false;
    }

    private static (string Url, string? Types, string? Description) Check(WebhookEndpointChange change, string what)
    {
        ArgumentNullException.ThrowIfNull(change);
        var errors = new List<string>();
        var url = change.Url?.Trim() ?? string.Empty;
        if (url.Length == 0)
            errors.Add("url: required");
        else if (url.Length > NotificationColumns.Url)
            errors.Add($"url: at most {NotificationColumns.Url} characters");
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            errors.Add($"url: '{url}' must be an absolute http:// or https:// URL");
        else if (uri.UserInfo.Length > 0)
            errors.Add("url: must not carry a user name or password (they would be logged); authenticate the receiver by the signature");
        else if (uri.Fragment.Length > 0)
            errors.Add("url: must not have a #fragment (it is never sent)");

        string? types = null;
        if (change.EventTypes is { Count: > 0 } list)
        {
            foreach (var t in list)
            {
                var name = t?.Trim() ?? string.Empty;
                var known = name == "*" || NotificationTypes.TryGet(name, out _)
                    || (name.EndsWith(".*", StringComparison.Ordinal) && NotificationTypes.All.Any(n => n.Name.StartsWith(name[..^1], StringComparison.Ordinal)));
                if (!known)
                    errors.Add($"eventTypes: unknown event type '{name}'; use one of {string.Join(", ", NotificationTypes.All.Select(n => n.Name))}, a prefix such as incident.*, or leave it empty for all");
            }

            types = string.Join(",", list.Select(t => t?.Trim()).Distinct());
            if (types.Length > NotificationColumns.EventTypes)
                errors.Add($"eventTypes: at most {NotificationColumns.EventTypes} characters together");
        }

        var description = string.IsNullOrWhiteSpace(change.Description) ? null : change.Description.Trim();
        if (description is { Length: > NotificationColumns.Description })
            errors.Add($"description: at most {NotificationColumns.Description} characters");
        if (errors.Count > 0)
            throw new AccountException(AccountError.Invalid, $"{what}: {string.Join("; ", errors)}.", errors);
        return (url, types, description);
    }

    private static void RequireEmailType(string type)
    {
        if (!EmailTemplates.Defaults.ContainsKey(type))
            throw NotFound($"e-mail template for '{type}' (the types that e-mail are {string.Join(", ", EmailTemplates.Defaults.Keys)})");
    }

    private static EmailTemplate Effective(string type, EmailTemplateRecord? row)
    {
        if (row is not null)
            return new EmailTemplate(type, row.Subject, row.Body, false, row.UpdatedAt, row.UpdatedBy);
        var (subject, body) = EmailTemplates.Defaults[type];
        return new EmailTemplate(type, subject, body, true, null, null);
    }

    private static NotificationDelivery NewDelivery(long eventId, DeliveryChannel channel, int? endpointId, string? recipient, DateTimeOffset now) => new()
    {
        NotificationEventId = eventId,
        Channel = channel,
        EndpointId = endpointId,
        Recipient = recipient,
        State = DeliveryState.Pending,
        NextAttemptAt = now,
        CreatedAt = now,
    };

    private static string NewSecret() => SecretPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static IQueryable<EventView> EventViews(FloodgateDbContext db, IQueryable<NotificationEvent> events) =>
        from e in events
        from c in db.Clients.Where(c => c.Id == e.ClientId).DefaultIfEmpty()
        select new EventView(e.Id, e.EventId, e.Type, e.OccurredAt, e.ClientId, c == null ? null : c.Name, new DeliveryCounts(
            db.NotificationDeliveries.Count(d => d.NotificationEventId == e.Id && d.State == DeliveryState.Pending),
            db.NotificationDeliveries.Count(d => d.NotificationEventId == e.Id && d.State == DeliveryState.Delivered),
            db.NotificationDeliveries.Count(d => d.NotificationEventId == e.Id && d.State == DeliveryState.Failed)));

    private static IQueryable<DeliveryView> DeliveryViews(FloodgateDbContext db, IQueryable<NotificationDelivery> deliveries) =>
        from d in deliveries
        join e in db.NotificationEvents on d.NotificationEventId equals e.Id
        select new DeliveryView(d.Id, e.EventId, e.Type, e.ClientId, d.Channel, d.EndpointId, d.Recipient, d.State, d.Attempts,
            d.NextAttemptAt, d.CreatedAt, d.LastAttemptAt, d.LastError, d.DeliveredAt);

    private static IQueryable<AttemptView> AttemptViews(FloodgateDbContext db, IQueryable<DeliveryAttempt> attempts) =>
        from a in attempts
        join d in db.NotificationDeliveries on a.DeliveryId equals d.Id
        join e in db.NotificationEvents on d.NotificationEventId equals e.Id
        select new AttemptView(a.Id, a.DeliveryId, e.EventId, e.Type, a.EndpointId, a.Number, a.At, a.StatusCode, a.Reply, a.Error, a.DurationMs, a.Result);

    private static IQueryable<WebhookEndpointView> EndpointViews(FloodgateDbContext db, IQueryable<WebhookEndpoint> endpoints) =>
        from w in endpoints
        select new WebhookEndpointView(w.Id, w.Url, w.Description, SplitTypes(w.EventTypes), w.Enabled, w.CreatedAt, w.CreatedBy, w.PreviousSecretUntil,
            db.NotificationDeliveries.Count(d => d.EndpointId == w.Id && d.State == DeliveryState.Pending),
            db.NotificationDeliveries.Count(d => d.EndpointId == w.Id && d.State == DeliveryState.Failed));

    private static List<string>? SplitTypes(string? types) =>
        string.IsNullOrEmpty(types) ? null : [.. types.Split(',', StringSplitOptions.RemoveEmptyEntries)];

    private static Page<T> Paged<T>(List<T> rows, int limit, Func<T, long> id) =>
        rows.Count > limit ? new Page<T>(rows.Take(limit).ToList(), id(rows[limit - 1])) : new Page<T>(rows, null);

    private static int Limit(int limit) => Math.Clamp(limit, 1, MaxLimit);

    private static string? Cut(string? text, int max) => text is null || text.Length <= max ? text : text[..max];

    private static void Audit(FloodgateDbContext db, DateTimeOffset now, string actor, string action, string kind, long? id, object details) =>
        db.AuditEntries.Add(AccountStore.NewAuditEntry(now, actor, action, kind, id is { } i ? checked((int)i) : null, details));

    private static AccountException NotFound(string what) =>
        new(AccountError.NotFound, string.Create(CultureInfo.InvariantCulture, $"There is no {what}."));
}
