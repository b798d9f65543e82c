using Floodgate.Storage;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <param name="EventTypes">Names of event types, prefixes such as "incident.*", or empty for every type.</param>
/// <param name="Enabled">Default true.</param>
public sealed record WebhookEndpointRequest(string? Url, List<string>? EventTypes, string? Description, bool? Enabled);

public sealed record EmailTemplateRequest(string? Subject, string? Body);

/// <summary>
/// The notifications: events and their deliveries (read by every operator), webhook endpoints, the
/// e-mail templates and retrying a delivery by hand (administrators). Only operators reach these;
/// client administrators have no policy that admits them.
/// </summary>
public static class NotificationsApi
{
    public static RouteGroupBuilder MapNotificationsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/notifications").WithTags("Notifications");

        group.MapGet("/types", ListTypes).RequireAuthorization(AccessPolicies.Read);
        group.MapGet("/events", ListEventsAsync).RequireAuthorization(AccessPolicies.Read);
        group.MapGet("/events/{eventId:guid}", GetEventAsync).RequireAuthorization(AccessPolicies.Read);
        group.MapGet("/deliveries", ListDeliveriesAsync).RequireAuthorization(AccessPolicies.Read);
        group.MapGet("/deliveries/{id:long}", GetDeliveryAsync).RequireAuthorization(AccessPolicies.Read);
        group.MapPost("/deliveries/{id:long}/retry", RetryAsync).RequireAuthorization(AccessPolicies.ManageAccounts);

        group.MapGet("/webhooks", ListWebhooksAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapPost("/webhooks", AddWebhookAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapGet("/webhooks/{id:int}", GetWebhookAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapPut("/webhooks/{id:int}", UpdateWebhookAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapDelete("/webhooks/{id:int}", DeleteWebhookAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapPost("/webhooks/{id:int}/rotate-secret", RotateSecretAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapGet("/webhooks/{id:int}/attempts", ListAttemptsAsync).RequireAuthorization(AccessPolicies.Read);

        group.MapGet("/templates", ListTemplatesAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapGet("/templates/{type}", GetTemplateAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapPut("/templates/{type}", SetTemplateAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        group.MapDelete("/templates/{type}", ResetTemplateAsync).RequireAuthorization(AccessPolicies.ManageAccounts);
        return api;
    }

    private static Ok<IReadOnlyList<NotificationType>> ListTypes() => TypedResults.Ok(NotificationTypes.All);

    private static async Task<Results<Ok<Page<EventView>>, ValidationProblem>> ListEventsAsync(
        NotificationStore store, string? type, int? clientId, long? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (CheckPaging(limit) is { } badLimit)
            return badLimit;
        if (CheckType(type) is { } badType)
            return badType;
        return TypedResults.Ok(await store.ListEventsAsync(new EventQuery(type, clientId, cursor, limit ?? 50), cancellationToken));
    }

    private static async Task<Ok<EventDetail>> GetEventAsync(NotificationStore store, Guid eventId, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetEventAsync(eventId, cancellationToken));

    /// <param name="state">Pending, Delivered or Failed.</param>
    /// <param name="channel">Email or Webhook.</param>
    private static async Task<Results<Ok<Page<DeliveryView>>, ValidationProblem>> ListDeliveriesAsync(
        NotificationStore store, string? state, string? type, int? clientId, string? channel, int? endpointId, long? cursor, int? limit,
        CancellationToken cancellationToken)
    {
        if (CheckPaging(limit) is { } badLimit)
            return badLimit;
        if (CheckType(type) is { } badType)
            return badType;

        // Parsed here rather than bound, so a wrong value is answered with the values that are allowed.
        if (!TryParse<DeliveryState>(state, out var s))
            return ApiGroup.Invalid("state", $"'{state}' is not one of {string.Join(", ", Enum.GetNames<DeliveryState>())}");
        if (!TryParse<DeliveryChannel>(channel, out var c))
            return ApiGroup.Invalid("channel", $"'{channel}' is not one of {string.Join(", ", Enum.GetNames<DeliveryChannel>())}");
        return TypedResults.Ok(await store.ListDeliveriesAsync(new DeliveryQuery(s, type, clientId, c, endpointId, cursor, limit ?? 50), cancellationToken));
    }

    private static bool TryParse<T>(string? text, out T? value) where T : struct, Enum
    {
        value = null;
        if (text is null)
            return true;
        if (!Enum.TryParse<T>(text, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(text[0]))
            return false;
        value = parsed;
        return true;
    }

    private static async Task<Ok<DeliveryDetail>> GetDeliveryAsync(NotificationStore store, long id, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetDeliveryAsync(id, cancellationToken));

    private static async Task<Ok<DeliveryView>> RetryAsync(NotificationStore store, Caller caller, long id, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.RetryAsync(id, caller.Actor, cancellationToken));

    private static async Task<Ok<IReadOnlyList<WebhookEndpointView>>> ListWebhooksAsync(NotificationStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListEndpointsAsync(cancellationToken));

    private static async Task<Ok<WebhookEndpointView>> GetWebhookAsync(NotificationStore store, int id, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetEndpointAsync(id, cancellationToken));

    /// <summary>The answer carries the secret: it is shown this once.</summary>
    private static async Task<Created<WebhookEndpointWithSecret>> AddWebhookAsync(
        NotificationStore store, Caller caller, WebhookEndpointRequest request, CancellationToken cancellationToken)
    {
        var created = await store.AddEndpointAsync(Change(request), caller.Actor, cancellationToken);
        return TypedResults.Created($"{ApiGroup.Prefix}/notifications/webhooks/{created.Endpoint.Id}", created);
    }

    private static async Task<Ok<WebhookEndpointView>> UpdateWebhookAsync(
        NotificationStore store, Caller caller, int id, WebhookEndpointRequest request, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.UpdateEndpointAsync(id, Change(request), caller.Actor, cancellationToken));

    private static async Task<NoContent> DeleteWebhookAsync(NotificationStore store, Caller caller, int id, CancellationToken cancellationToken)
    {
        await store.DeleteEndpointAsync(id, caller.Actor, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<WebhookEndpointWithSecret>> RotateSecretAsync(NotificationStore store, Caller caller, int id, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.RotateSecretAsync(id, caller.Actor, cancellationToken));

    private static async Task<Results<Ok<Page<AttemptView>>, ValidationProblem>> ListAttemptsAsync(
        NotificationStore store, int id, long? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (CheckPaging(limit) is { } badLimit)
            return badLimit;
        return TypedResults.Ok(await store.ListEndpointAttemptsAsync(id, cursor, limit ?? 50, cancellationToken));
    }

    private static async Task<Ok<IReadOnlyList<EmailTemplate>>> ListTemplatesAsync(NotificationStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListTemplatesAsync(cancellationToken));

    private static async Task<Ok<EmailTemplate>> GetTemplateAsync(NotificationStore store, string type, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetTemplateAsync(type, cancellationToken));

    private static async Task<Ok<EmailTemplate>> SetTemplateAsync(
        NotificationStore store, Caller caller, string type, EmailTemplateRequest request, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.SetTemplateAsync(type, request.Subject ?? string.Empty, request.Body ?? string.Empty, caller.Actor, cancellationToken));

    private static async Task<Ok<EmailTemplate>> ResetTemplateAsync(NotificationStore store, Caller caller, string type, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ResetTemplateAsync(type, caller.Actor, cancellationToken));

    private static WebhookEndpointChange Change(WebhookEndpointRequest request) =>
        new(request.Url ?? string.Empty, request.EventTypes, request.Description, request.Enabled ?? true);

    private static ValidationProblem? CheckPaging(int? limit) =>
        limit is < 1 or > NotificationStore.MaxLimit ? ApiGroup.Invalid("limit", $"must be between 1 and {NotificationStore.MaxLimit}") : null;

    private static ValidationProblem? CheckType(string? type) =>
        type is null || NotificationTypes.TryGet(type, out _)
            ? null
            : ApiGroup.Invalid("type", $"unknown event type '{type}'; the types are {string.Join(", ", NotificationTypes.All.Select(t => t.Name))}");
}
