using System.Text.Json;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Notifications;
using Microsoft.AspNetCore.Mvc;

namespace Floodgate.Web.Console.Notifications;

/// <summary>One event: its payload as the webhooks receive it, and each delivery with every attempt.</summary>
public sealed class EventModel(NotificationStore store) : ConsolePage
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public EventDetail Detail { get; private set; } = null!;

    public IReadOnlyList<DeliveryDetail> Deliveries { get; private set; } = [];

    public string Payload { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(Guid eventId, CancellationToken cancellationToken)
    {
        try
        {
            Detail = await store.GetEventAsync(eventId, cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return NotFound();
        }

        Payload = JsonSerializer.Serialize(Detail.Data, Indented);
        var deliveries = new List<DeliveryDetail>(Detail.Deliveries.Count);
        foreach (var d in Detail.Deliveries)
            deliveries.Add(await store.GetDeliveryAsync(d.Id, cancellationToken));
        Deliveries = deliveries;
        return Page();
    }
}
