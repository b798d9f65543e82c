using Floodgate.Storage;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Floodgate.Storage.Access;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Notifications;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Notifications;

/// <summary>Webhooks against a real HTTP receiver: signatures, retries with back-off, idempotency, the delivery log, a restart.</summary>
public sealed class WebhookDeliveryTests
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task TheSuspensionArrivesAsAnEventSignedWithTheEndpointsSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var endpoint = await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);

        await NotificationKit.OffenseAsync(serve, seeded);

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.StartsWith("whsec_", endpoint.Secret, StringComparison.Ordinal);
        Assert.True(WebhookSignature.Verify(endpoint.Secret, request.Signature!, request.Timestamp!, request.Body, DateTimeOffset.UtcNow, Tolerance));
        Assert.False(WebhookSignature.Verify("whsec_another", request.Signature!, request.Timestamp!, request.Body, DateTimeOffset.UtcNow, Tolerance));

        // The documented recipe computed here, not by WebhookSignature: v1=hex(HMAC-SHA256(secret, timestamp + "." + body)).
        var signed = Encoding.UTF8.GetBytes(request.Timestamp + ".").Concat(request.Body).ToArray();
        Assert.Equal("v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(endpoint.Secret), signed)), request.Signature);
        Assert.InRange(long.Parse(request.Timestamp!, CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        using var body = JsonDocument.Parse(request.Body);
        var root = body.RootElement;
        Assert.Equal(request.EventId, root.GetProperty("id").GetString());
        Assert.Equal("mailbox.suspended", root.GetProperty("type").GetString());
        var data = root.GetProperty("data");
        Assert.Equal(seeded.Address, data.GetProperty("targets")[0].GetProperty("name").GetString());
        Assert.Equal("+1 555 0100", data.GetProperty("client").GetProperty("contact").GetProperty("phone").GetString());
        var messages = data.GetProperty("messages");
        Assert.Equal(600, messages.GetProperty("recipients").GetInt32());
        Assert.Equal("Winner: claim your prize", messages.GetProperty("subjects")[1].GetString());
        Assert.Equal(["victims.example", "mail.example", "post.example"], messages.GetProperty("destinationDomains").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("victims.example,post.example", messages.GetProperty("sample")[0].GetProperty("destinationDomains").GetString());
        Assert.Equal(NotificationKit.Support, data.GetProperty("support").GetString());
        Assert.StartsWith(NotificationKit.PublicUrl + "/Portal/Incidents/", data.GetProperty("portalUrl").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReceiverThatFailsTwiceGetsTheSameEventAgainAfterGrowingWaits()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n <= 2 ? 500 : 200);
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var endpoint = await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);

        await NotificationKit.OffenseAsync(serve, seeded);

        var requests = await receiver.WaitForAsync(3);
        Assert.Equal([500, 500, 200], requests.Select(r => r.Answer));

        // Idempotency: every copy carries the one event id, in the header and the body.
        Assert.Single(requests.Select(r => r.EventId).Distinct());
        Assert.All(requests, r => Assert.Equal(r.EventId, JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetString()));
        Assert.All(requests, r => Assert.True(WebhookSignature.Verify(endpoint.Secret, r.Signature!, r.Timestamp!, r.Body, DateTimeOffset.UtcNow, Tolerance)));

        // Back-off without jitter: 300 ms after the first failure, 600 ms after the second.
        var slack = TimeSpan.FromMilliseconds(30);
        Assert.True(requests[1].At - requests[0].At >= NotificationKit.RetryInitial - slack, $"first wait {requests[1].At - requests[0].At}");
        Assert.True(requests[2].At - requests[1].At >= (2 * NotificationKit.RetryInitial) - slack, $"second wait {requests[2].At - requests[1].At}");

        var delivered = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.State == DeliveryState.Delivered);
        Assert.Equal(3, delivered.Attempts);
    }

    [Fact]
    public async Task TheEndpointsDeliveryLogShowsEachAttempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n <= 2 ? 503 : 204);
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var endpoint = await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);
        await NotificationKit.OffenseAsync(serve, seeded);
        await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.State == DeliveryState.Delivered);

        using var reader = await serve.ApiClientAsync(WebRole.ReadOnly);
        var log = await (await reader.GetAsync($"/api/v1/notifications/webhooks/{endpoint.Endpoint.Id}/attempts")).ReadAsync<Page<AttemptView>>();

        // Newest first.
        Assert.Equal([204, 503, 503], log.Items.Select(a => a.StatusCode));
        Assert.Equal([3, 2, 1], log.Items.Select(a => a.Number));
        Assert.Equal([DeliveryState.Delivered, DeliveryState.Pending, DeliveryState.Pending], log.Items.Select(a => a.Result));
        Assert.All(log.Items.Skip(1), a => Assert.Contains("503", a.Error, StringComparison.Ordinal));
        Assert.Null(log.Items[0].Reply);
        Assert.Equal("answer 503", log.Items[1].Reply);
        Assert.All(log.Items, a => Assert.Equal("mailbox.suspended", a.Type));
    }

    [Fact]
    public async Task AClientErrorFailsTheDeliveryForGoodAndItIsNotSentAgain()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 400);
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);

        await NotificationKit.OffenseAsync(serve, seeded);

        var failed = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.State == DeliveryState.Failed);
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("400", failed.LastError, StringComparison.Ordinal);
        await Task.Delay(4 * NotificationKit.RetryInitial);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task AFailedDeliveryRetriedByHandIsSentAgainWithTheSameEventId()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n == 1 ? 410 : 200);
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);
        await NotificationKit.OffenseAsync(serve, seeded);
        var failed = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.State == DeliveryState.Failed);

        var retried = await (await admin.PostAsync($"/api/v1/notifications/deliveries/{failed.Id}/retry", null)).ReadAsync<DeliveryView>();

        Assert.Equal(DeliveryState.Pending, retried.State);
        var requests = await receiver.WaitForAsync(2);
        Assert.Equal(requests[0].EventId, requests[1].EventId);
        var delivered = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Id == failed.Id && d.State == DeliveryState.Delivered);
        Assert.Equal(1, delivered.Attempts);
    }

    [Fact]
    public async Task AfterItsLastAttemptADeliveryIsFailedAndStillListed()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 500);
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:MaxAttempts", "2")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);

        await NotificationKit.OffenseAsync(serve, seeded);

        var failed = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.State == DeliveryState.Failed);
        Assert.Equal(2, failed.Attempts);
        Assert.Contains("gave up after 2 attempts", failed.LastError, StringComparison.Ordinal);
        using var reader = await serve.ApiClientAsync(WebRole.Support);
        var listed = await (await reader.GetAsync("/api/v1/notifications/deliveries?state=Failed")).ReadAsync<Page<DeliveryView>>();
        Assert.Equal(failed.Id, Assert.Single(listed.Items).Id);
    }

    [Fact]
    public async Task ANotificationPendingWhenFloodgateStopsIsDeliveredAfterTheRestart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await receiver.StopAsync();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "floodgate-web-" + Guid.NewGuid().ToString("N")[..12]);

        // The first run: the event is made while nothing listens at the endpoint.
        var first = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:MaxAttempts", "1000")), dataDirectory);
        var seeded = await NotificationKit.SeedAsync(first);
        using (var admin = await first.ApiClientAsync(WebRole.Administrator))
            await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);
        await NotificationKit.OffenseAsync(first, seeded);
        var pending = await NotificationKit.WaitForDeliveryAsync(first, d => d.Channel == DeliveryChannel.Webhook && d.Attempts >= 1);
        Assert.Equal(DeliveryState.Pending, pending.State);
        Assert.Contains("refused", pending.LastError, StringComparison.OrdinalIgnoreCase);

        // Stop the serve, keeping its data folder.
        await first.Serve.DisposeAsync();

        await receiver.RestartAsync();
        await using var second = await TestServe.StartAsync(NotificationKit.Fast(), dataDirectory);
        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("mailbox.suspended", request.Type);
        var delivered = await NotificationKit.WaitForDeliveryAsync(second, d => d.Id == pending.Id && d.State == DeliveryState.Delivered);
        Assert.True(delivered.Attempts >= 2);
    }

    [Fact]
    public async Task AnEndpointGetsOnlyTheEventTypesItAskedFor()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        await NotificationKit.AddWebhookAsync(admin, receiver.Url, "incident.*");

        await NotificationKit.OffenseAsync(serve, seeded);

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("incident.opened", request.Type);
        await Task.Delay(300);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task AfterARotationBothSecretsSign()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var endpoint = await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);

        var rotated = await (await admin.PostAsync($"/api/v1/notifications/webhooks/{endpoint.Endpoint.Id}/rotate-secret", null)).ReadAsync<WebhookEndpointWithSecret>();
        await NotificationKit.OffenseAsync(serve, seeded);

        Assert.NotEqual(endpoint.Secret, rotated.Secret);
        Assert.NotNull(rotated.Endpoint.PreviousSecretUntil);
        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal(2, request.Signature!.Split(',').Length);
        Assert.True(WebhookSignature.Verify(rotated.Secret, request.Signature, request.Timestamp!, request.Body, DateTimeOffset.UtcNow, Tolerance));
        Assert.True(WebhookSignature.Verify(endpoint.Secret, request.Signature, request.Timestamp!, request.Body, DateTimeOffset.UtcNow, Tolerance));
    }

    [Fact]
    public void ASignatureOutsideTheReplayWindowDoesNotVerify()
    {
        var body = "{\"id\":\"x\"}"u8.ToArray();
        var old = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        var header = WebhookSignature.Sign("whsec_k", old, body);

        Assert.True(WebhookSignature.Verify("whsec_k", header, old.ToString(System.Globalization.CultureInfo.InvariantCulture), body, DateTimeOffset.FromUnixTimeSeconds(old), Tolerance));
        Assert.False(WebhookSignature.Verify("whsec_k", header, old.ToString(System.Globalization.CultureInfo.InvariantCulture), body, DateTimeOffset.UtcNow, Tolerance));
    }

    [Fact]
    public async Task ADisabledEndpointGetsNoNewEvents()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var endpoint = await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxSuspended);
        await NotificationKit.OffenseAsync(serve, seeded);
        await receiver.WaitForAsync(1);

        var change = new Api.WebhookEndpointRequest(receiver.Url, [NotificationTypes.MailboxSuspended], "ticketing", false);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/notifications/webhooks/{endpoint.Endpoint.Id}", change)).StatusCode);
        await serve.Get<Storage.Enforcement.EnforcementStore>().LiftAsync(Core.Accounts.AccountScope.Mailbox, seeded.MailboxId, "test", "test");
        await NotificationKit.OffenseAsync(serve, seeded);
        await Task.Delay(500);

        Assert.Single(receiver.Received);
    }
}
