namespace Floodgate.Storage.Notifications;

public enum DeliveryChannel
{
    /// <summary>To the client's primary contact, through the upstream relay.</summary>
    Email = 0,

    /// <summary>A signed POST to a webhook endpoint.</summary>
    Webhook = 1,
}

public enum DeliveryState
{
    /// <summary>Not delivered yet: due at <see cref="NotificationDelivery.NextAttemptAt"/>.</summary>
    Pending = 0,

    Delivered = 1,

    /// <summary>Refused for good or out of attempts; kept, and retried only by hand.</summary>
    Failed = 2,
}

/// <summary>
/// One thing that happened that people or systems are told about (the outbox): written in the same
/// database transaction as the change that caused it, so a committed change always has its event
/// and a rolled-back one never does. <see cref="EventId"/> is what receivers deduplicate by.
/// </summary>
public sealed class NotificationEvent
{
    /// <summary>The order events were written in: paging and fan-out follow it.</summary>
    public long Id { get; set; }

    public Guid EventId { get; set; }

    /// <summary>A name of <see cref="NotificationTypes"/>: "mailbox.suspended".</summary>
    public required string Type { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public int? ClientId { get; set; }

    /// <summary>A <see cref="NotificationData"/> as JSON: the facts at the time of the event.</summary>
    public required string PayloadJson { get; set; }

    /// <summary>Unique when set: an event that must exist once ("contact_task.overdue:7") is written once, whichever node scans.</summary>
    public string? DedupeKey { get; set; }

    /// <summary>When its deliveries were made; null: waiting for the dispatcher.</summary>
    public DateTimeOffset? FannedOutAt { get; set; }
}

/// <summary>One event to one target: the primary contact's address or a webhook endpoint.</summary>
public sealed class NotificationDelivery
{
    public long Id { get; set; }

    public long NotificationEventId { get; set; }

    public DeliveryChannel Channel { get; set; }

    /// <summary>The webhook endpoint; null for e-mail.</summary>
    public int? EndpointId { get; set; }

    /// <summary>The e-mail address (copied at fan-out); null for a webhook.</summary>
    public string? Recipient { get; set; }

    public DeliveryState State { get; set; }

    /// <summary>Attempts since the delivery was made or last retried by hand.</summary>
    public int Attempts { get; set; }

    /// <summary>
    /// When it is due. A dispatcher that takes it moves this forward by a lease before sending, so a
    /// crash mid-send makes it due again once the lease ends: at least once, never lost.
    /// </summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }
}

/// <summary>One try of a delivery, kept for the delivery log.</summary>
public sealed class DeliveryAttempt
{
    public long Id { get; set; }

    public long DeliveryId { get; set; }

    /// <summary>Copied from the delivery so an endpoint's log is one indexed read.</summary>
    public int? EndpointId { get; set; }

    /// <summary>1 for the first attempt after the delivery was made or retried by hand.</summary>
    public int Number { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The HTTP status, or the SMTP reply code; null when nothing answered.</summary>
    public int? StatusCode { get; set; }

    /// <summary>The SMTP reply text, or the first bytes of the HTTP response body.</summary>
    public string? Reply { get; set; }

    /// <summary>Why it did not count as delivered; null when delivered.</summary>
    public string? Error { get; set; }

    public int DurationMs { get; set; }

    /// <summary>What the attempt left the delivery as: Delivered, Pending (retried later) or Failed.</summary>
    public DeliveryState Result { get; set; }
}

/// <summary>
/// A URL of the provider's ticketing or phone system that receives signed events. The secret is
/// kept as is: signing needs it (HMAC), so unlike an API key it cannot be stored as a hash.
/// </summary>
public sealed class WebhookEndpoint
{
    public int Id { get; set; }

    public required string Url { get; set; }

    public string? Description { get; set; }

    public required string Secret { get; set; }

    /// <summary>After a rotation the old secret signs too, until <see cref="PreviousSecretUntil"/>, so receivers can switch without losing events.</summary>
    public string? PreviousSecret { get; set; }

    public DateTimeOffset? PreviousSecretUntil { get; set; }

    /// <summary>Comma-separated event types this endpoint wants; null: all of them.</summary>
    public string? EventTypes { get; set; }

    public bool Enabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }

    /// <summary>Deleted endpoints are kept (hidden) so their delivery log stays readable.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>A provider's own wording of one event type's e-mail; without a row the embedded default applies.</summary>
public sealed class EmailTemplateRecord
{
    public required string EventType { get; set; }

    public required string Subject { get; set; }

    public required string Body { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public required string UpdatedBy { get; set; }
}
