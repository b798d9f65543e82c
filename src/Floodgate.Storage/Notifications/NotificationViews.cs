using System.Text.Json;

namespace Floodgate.Storage.Notifications;

public sealed record EventQuery(string? Type = null, int? ClientId = null, long? Before = null, int Limit = 50);

public sealed record DeliveryQuery(
    DeliveryState? State = null, string? Type = null, int? ClientId = null, DeliveryChannel? Channel = null, int? EndpointId = null, long? Before = null, int Limit = 50);

/// <summary>Deliveries of an event by state.</summary>
public sealed record DeliveryCounts(int Pending, int Delivered, int Failed);

public sealed record EventView(long Id, Guid EventId, string Type, DateTimeOffset OccurredAt, int? ClientId, string? ClientName, DeliveryCounts Deliveries);

/// <summary>An event with its payload (the webhook's <c>data</c>) and every delivery.</summary>
public sealed record EventDetail(EventView Event, JsonElement Data, IReadOnlyList<DeliveryView> Deliveries);

public sealed record DeliveryView(
    long Id,
    Guid EventId,
    string Type,
    int? ClientId,
    DeliveryChannel Channel,
    int? EndpointId,
    string? Recipient,
    DeliveryState State,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt,
    string? LastError,
    DateTimeOffset? DeliveredAt);

public sealed record DeliveryDetail(DeliveryView Delivery, IReadOnlyList<AttemptView> Attempts);

public sealed record AttemptView(
    long Id, long DeliveryId, Guid EventId, string Type, int? EndpointId, int Number, DateTimeOffset At, int? StatusCode, string? Reply, string? Error, int DurationMs, DeliveryState Result);

/// <summary>An endpoint as shown: never its secret.</summary>
public sealed record WebhookEndpointView(
    int Id,
    string Url,
    string? Description,
    IReadOnlyList<string>? EventTypes,
    bool Enabled,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? PreviousSecretUntil,
    int Pending,
    int Failed);

/// <summary>An endpoint just made or whose secret was just rotated: <see cref="Secret"/> is shown this once.</summary>
public sealed record WebhookEndpointWithSecret(WebhookEndpointView Endpoint, string Secret);

/// <param name="EventTypes">Names of <see cref="NotificationTypes"/>, a prefix like "incident.*", or null for every type.</param>
public sealed record WebhookEndpointChange(string Url, IReadOnlyList<string>? EventTypes, string? Description, bool Enabled = true);

/// <summary>What the dispatcher took to send: the delivery, its event, and for a webhook the endpoint's URL and secrets.</summary>
public sealed record DeliveryWork(
    long DeliveryId,
    DeliveryChannel Channel,
    int Attempt,
    string? Recipient,
    Guid EventId,
    string Type,
    DateTimeOffset OccurredAt,
    string PayloadJson,
    WebhookTarget? Endpoint);

/// <param name="PreviousSecret">Still signing after a rotation, or null.</param>
public sealed record WebhookTarget(int Id, string Url, string Secret, string? PreviousSecret);

/// <summary>How one attempt ended, as the dispatcher decided; <see cref="NextAttemptAt"/> when <see cref="Result"/> is Pending.</summary>
public sealed record AttemptOutcome(DateTimeOffset At, DeliveryState Result, int? StatusCode, string? Reply, string? Error, int DurationMs, DateTimeOffset? NextAttemptAt);
