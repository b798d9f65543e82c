using Floodgate.Core.Blocklists;
using Floodgate.Storage.Blocklists;
using Floodgate.Storage.Notifications;

namespace Floodgate.Storage.Tests.Notifications;

/// <summary>The blocklist events in the outbox: no client, e-mailed to the abuse desk only, and their default e-mails.</summary>
public sealed class BlocklistNotificationTests : IAsyncLifetime
{
    private const string Zone = "zen.example.test";
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    private static BlocklistResult Listing(string reason = "Listed by SBL") =>
        new("198.51.100.7", Zone, BlocklistState.Listed, "127.0.0.2", reason, "https://check.example.test/?q=198.51.100.7");

    [Fact]
    public async Task AListingIsAnEventOfNoClientEmailedToTheAbuseDeskWhenOneIsSet()
    {
        var store = new NotificationStore(_db.Factory, _db.Time);
        await store.AddEndpointAsync(new WebhookEndpointChange("https://tickets.example/hook", ["blocklist.*"], null), TestDatabase.Actor);
        await new BlocklistStore(_db.Factory).ApplyRoundAsync([Listing()], _db.Time.GetUtcNow(), TimeSpan.FromHours(24));

        await store.FanOutAsync(email: true, limit: 10, abuseDesk: "abuse@provider.example");

        var e = Assert.Single((await store.ListEventsAsync(new EventQuery())).Items);
        Assert.Equal((NotificationTypes.BlocklistListed, (int?)null), (e.Type, e.ClientId));
        var deliveries = (await store.ListDeliveriesAsync(new DeliveryQuery())).Items.OrderBy(d => d.Id).ToList();
        Assert.Equal([(DeliveryChannel.Email, "abuse@provider.example"), (DeliveryChannel.Webhook, null)], deliveries.Select(d => (d.Channel, d.Recipient)));
    }

    [Fact]
    public async Task WithoutAnAbuseDeskAListingGoesToWebhooksOnly()
    {
        var store = new NotificationStore(_db.Factory, _db.Time);
        await store.AddEndpointAsync(new WebhookEndpointChange("https://tickets.example/hook", null, null), TestDatabase.Actor);
        await new BlocklistStore(_db.Factory).ApplyRoundAsync([Listing()], _db.Time.GetUtcNow(), TimeSpan.FromHours(24));

        await store.FanOutAsync(email: true, limit: 10);

        Assert.Equal([DeliveryChannel.Webhook], (await store.ListDeliveriesAsync(new DeliveryQuery())).Items.Select(d => d.Channel));
    }

    [Fact]
    public void TheDefaultBlocklistEmailsAreValidTemplates()
    {
        foreach (var type in new[] { NotificationTypes.BlocklistListed, NotificationTypes.BlocklistDelisted })
        {
            var (subject, body) = EmailTemplates.Defaults[type];
            Assert.Empty(EmailTemplates.Validate(subject, body));
        }
    }

    [Fact]
    public void AZonesReasonIsRenderedOnOneLine()
    {
        var data = new NotificationData
        {
            Blocklist = new BlocklistInfo("198.51.100.7", Zone, "listed", null, "127.0.0.2", "Listed\r\nBcc: x@evil.example", null, null),
        };
        var model = EmailTemplates.Model(Guid.NewGuid(), NotificationTypes.BlocklistListed, _db.Time.GetUtcNow(), data);

        var body = EmailTemplates.Render(EmailTemplates.Defaults[NotificationTypes.BlocklistListed].Body, model);

        Assert.Contains("The zone says: Listed Bcc: x@evil.example", body, StringComparison.Ordinal);
        Assert.Contains("198.51.100.7 was found listed on zen.example.test (answer 127.0.0.2).", body, StringComparison.Ordinal);
        Assert.DoesNotContain("removal", body, StringComparison.Ordinal);
    }
}
