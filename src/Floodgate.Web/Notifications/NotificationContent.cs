using System.Globalization;
using Floodgate.Core.Policy;
using Floodgate.Storage.Notifications;

namespace Floodgate.Web.Notifications;

/// <summary>How a send ended: delivered, worth retrying (a 5xx, a timeout, nobody listening), or refused for good.</summary>
internal enum SendKind
{
    Delivered,
    Retry,
    Permanent,
}

/// <param name="StatusCode">The HTTP status or SMTP reply code, when something answered.</param>
/// <param name="RetryAfter">The receiver asked to wait this long (HTTP Retry-After).</param>
internal readonly record struct SendResult(SendKind Kind, int? StatusCode, string? Reply, string? Error, TimeSpan? RetryAfter = null);

/// <summary>The webhook's body: the event id receivers deduplicate by, its type and time, and the data.</summary>
public sealed record WebhookEnvelope(Guid Id, string Type, DateTimeOffset OccurredAt, NotificationData Data);

/// <summary>An event's data as sent: the stored facts plus, from the settings at send time, the portal link and the support contact.</summary>
internal sealed class NotificationContent(NotificationOptions options, WebOptions web, PolicyOptions policy)
{
    public NotificationData Data(DeliveryWork work)
    {
        var data = NotificationData.Parse(work.PayloadJson);
        var path = data.Incident is { } incident
            ? options.PortalIncidentPath.Replace("{incident}", incident.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            : options.PortalPath;
        // An event of no client (a blocklist listing) is for the provider's own people: no portal to point at.
        return data with { PortalUrl = data.Client is null ? null : web.PublicBase + path, Support = options.Support ?? policy.SupportContact };
    }
}
