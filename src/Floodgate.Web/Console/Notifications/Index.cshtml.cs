using Floodgate.Storage.Notifications;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Notifications;

/// <summary>
/// What was told to whom: the events newest first with their deliveries, the deliveries that failed for
/// good (retried here by hand), and the webhook endpoints. Endpoints need ManageAccounts, as in the API:
/// their URLs may carry a receiver's token.
/// </summary>
public sealed class IndexModel(NotificationStore store) : ConsolePage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)]
    public string? Type { get; set; }

    [BindProperty(SupportsGet = true)]
    public long? Before { get; set; }

    public Storage.Page<EventView> Events { get; private set; } = null!;

    public IReadOnlyList<DeliveryView> Failed { get; private set; } = [];

    public IReadOnlyList<DeliveryView> Pending { get; private set; } = [];

    public IReadOnlyList<WebhookEndpointView>? Endpoints { get; private set; }

    public bool CanManage => Caller.Can(AccessPolicies.ManageAccounts);

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var type = string.IsNullOrWhiteSpace(Type) ? null : Type.Trim();
        Events = await store.ListEventsAsync(new EventQuery(Type: type, Before: Before, Limit: PageSize), cancellationToken);
        Failed = (await store.ListDeliveriesAsync(new DeliveryQuery(State: DeliveryState.Failed, Limit: 20), cancellationToken)).Items;
        Pending = (await store.ListDeliveriesAsync(new DeliveryQuery(State: DeliveryState.Pending, Limit: 20), cancellationToken)).Items;
        if (CanManage)
            Endpoints = await store.ListEndpointsAsync(cancellationToken);
    }

    public Task<IActionResult> OnPostRetryAsync(long delivery, CancellationToken cancellationToken) =>
        ChangeAsync(AccessPolicies.ManageAccounts, () => store.RetryAsync(delivery, Caller.Actor, cancellationToken),
            $"Delivery {delivery} is sent again now.", "/Notifications");

    public string? NextUrl => Events.Next is { } next
        ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/Notifications", new Dictionary<string, string?> { ["type"] = Type, ["before"] = next.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        : null;
}
