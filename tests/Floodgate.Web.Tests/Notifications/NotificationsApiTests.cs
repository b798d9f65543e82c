using Floodgate.Storage;
using System.Net;
using System.Net.Http.Json;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Notifications;

/// <summary>The notifications API: who may do what, what is refused, what is audited, and that secrets never come back.</summary>
public sealed class NotificationsApiTests
{
    private const string Hook = "https://tickets.provider.test/floodgate";

    [Fact]
    public async Task EachRoleReachesOnlyWhatItsPolicyAdmits()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var endpoint = await NotificationKit.AddWebhookAsync(admin, Hook);

        // (method, path, body, policy): every endpoint of the API once.
        (HttpMethod Method, string Path, object? Body, string[] Allowed)[] table =
        [
            (HttpMethod.Get, "/api/v1/notifications/types", null, Operators),
            (HttpMethod.Get, "/api/v1/notifications/events", null, Operators),
            (HttpMethod.Get, $"/api/v1/notifications/events/{Guid.NewGuid()}", null, Operators),
            (HttpMethod.Get, "/api/v1/notifications/deliveries", null, Operators),
            (HttpMethod.Get, "/api/v1/notifications/deliveries/999999", null, Operators),
            (HttpMethod.Post, "/api/v1/notifications/deliveries/999999/retry", null, Administrators),
            (HttpMethod.Get, "/api/v1/notifications/webhooks", null, Administrators),
            (HttpMethod.Post, "/api/v1/notifications/webhooks", new WebhookEndpointRequest(Hook, null, null, true), Administrators),
            (HttpMethod.Get, $"/api/v1/notifications/webhooks/{endpoint.Endpoint.Id}", null, Administrators),
            (HttpMethod.Put, $"/api/v1/notifications/webhooks/{endpoint.Endpoint.Id}", new WebhookEndpointRequest(Hook, null, "x", true), Administrators),
            (HttpMethod.Post, "/api/v1/notifications/webhooks/999999/rotate-secret", null, Administrators),
            (HttpMethod.Delete, "/api/v1/notifications/webhooks/999999", null, Administrators),
            (HttpMethod.Get, $"/api/v1/notifications/webhooks/{endpoint.Endpoint.Id}/attempts", null, Operators),
            (HttpMethod.Get, "/api/v1/notifications/templates", null, Administrators),
            (HttpMethod.Get, "/api/v1/notifications/templates/mailbox.suspended", null, Administrators),
            (HttpMethod.Put, "/api/v1/notifications/templates/mailbox.suspended", new EmailTemplateRequest("s {{target.name}}", "b"), Administrators),
            (HttpMethod.Delete, "/api/v1/notifications/templates/mailbox.suspended", null, Administrators),
        ];

        foreach (var role in Enum.GetValues<WebRole>())
        {
            using var http = await serve.ApiClientAsync(role, role == WebRole.ClientAdministrator ? seeded.ClientId : null);
            foreach (var (method, path, body, allowed) in table)
            {
                using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
                var status = (await http.SendAsync(request)).StatusCode;
                if (allowed.Contains(role.ToString()))
                    Assert.True(status is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized), $"{role} {method} {path}: {status}");
                else
                    Assert.True(status == HttpStatusCode.Forbidden, $"{role} {method} {path}: {status}, expected 403");
            }
        }
    }

    private static readonly string[] Operators = [nameof(WebRole.Administrator), nameof(WebRole.AbuseDesk), nameof(WebRole.Support), nameof(WebRole.ReadOnly)];

    private static readonly string[] Administrators = [nameof(WebRole.Administrator)];

    [Theory]
    [InlineData("ftp://tickets.provider.test/hook", "must be an absolute http:// or https:// URL")]
    [InlineData("javascript:alert(1)", "must be an absolute http:// or https:// URL")]
    [InlineData("/relative/hook", "must be an absolute http:// or https:// URL")]
    [InlineData("https://user:pass@tickets.provider.test/hook", "must not carry a user name or password")]
    [InlineData("", "url: required")]
    public async Task AnEndpointUrlThatIsNotPlainHttpIsRefusedAndNothingIsAdded(string url, string says)
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);

        var response = await admin.PostAsJsonAsync("/api/v1/notifications/webhooks", new WebhookEndpointRequest(url, null, null, true));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(says, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await serve.Get<NotificationStore>().ListEndpointsAsync());
    }

    [Theory]
    [InlineData("{\"url\": ", "the body is cut off")]
    [InlineData("{\"url\": 42}", "the URL is a number")]
    [InlineData("{\"url\": \"https://tickets.provider.test/x\", \"eventTypes\": \"incident.*\"}", "the types are a string, not a list")]
    [InlineData("{\"url\": \"https://tickets.provider.test/x\", \"enabled\": \"yes\"}", "enabled is not a boolean")]
    public async Task ABodyThatIsNotTheRequestIsRefusedAndNothingIsAdded(string json, string why)
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);

        var response = await admin.PostAsync("/api/v1/notifications/webhooks", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {response.StatusCode}");
        Assert.Empty(await serve.Get<NotificationStore>().ListEndpointsAsync());
    }

    [Fact]
    public async Task MarkupInADescriptionIsStoredAsGivenAndAnsweredAsJson()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);

        var created = await admin.PostAsJsonAsync("/api/v1/notifications/webhooks", new WebhookEndpointRequest(Hook, null, "<script>alert(1)</script>", true));
        using var read = await admin.GetAsync("/api/v1/notifications/webhooks");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("application/json", read.Content.Headers.ContentType?.MediaType);
        var listed = Assert.Single(await (await admin.GetAsync("/api/v1/notifications/webhooks")).ReadAsync<List<WebhookEndpointView>>());
        Assert.Equal("<script>alert(1)</script>", listed.Description);
    }

    [Fact]
    public async Task AnEndpointDisabledByPutIsListedDisabled()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var created = await NotificationKit.AddWebhookAsync(admin, Hook, "incident.*");

        var put = await admin.PutAsJsonAsync($"/api/v1/notifications/webhooks/{created.Endpoint.Id}", new WebhookEndpointRequest(Hook, ["incident.*"], "ticketing", false));

        Assert.False((await put.ReadAsync<WebhookEndpointView>()).Enabled);
        Assert.False(Assert.Single(await (await admin.GetAsync("/api/v1/notifications/webhooks")).ReadAsync<List<WebhookEndpointView>>()).Enabled);
    }

    [Fact]
    public async Task AnUnknownEventTypeInTheFilterIsRefusedNamingTheKnownOnes()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);

        var response = await admin.PostAsJsonAsync("/api/v1/notifications/webhooks", new WebhookEndpointRequest(Hook, ["mailbox.exploded"], null, true));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("unknown event type 'mailbox.exploded'", text, StringComparison.Ordinal);
        Assert.Contains("contact_task.overdue", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSecretIsShownOnceAndNeverAgain()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var created = await NotificationKit.AddWebhookAsync(admin, Hook);

        var list = await (await admin.GetAsync("/api/v1/notifications/webhooks")).Content.ReadAsStringAsync();
        var one = await (await admin.GetAsync($"/api/v1/notifications/webhooks/{created.Endpoint.Id}")).Content.ReadAsStringAsync();
        var audit = await serve.Get<AuditLog>().QueryAsync("webhook");

        Assert.Contains(Hook, list, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Secret, list, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Secret, one, StringComparison.Ordinal);
        Assert.DoesNotContain("secret\"", one, StringComparison.OrdinalIgnoreCase);
        Assert.All(audit, a => Assert.DoesNotContain(created.Secret, a.Details ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryChangeIsAuditedWithTheCaller()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var me = await (await admin.GetAsync("/api/v1/me")).ReadAsync<Me>();
        var created = await NotificationKit.AddWebhookAsync(admin, Hook);
        var id = created.Endpoint.Id;
        await serve.Get<EnforcementStore>().SuspendAsync(AccountScope.Mailbox, seeded.MailboxId, "test", "test");
        await serve.Get<NotificationStore>().FanOutAsync(email: true, limit: 10);
        var delivery = (await serve.Get<NotificationStore>().ListDeliveriesAsync(new DeliveryQuery(Channel: DeliveryChannel.Webhook))).Items[0];

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/notifications/webhooks/{id}", new WebhookEndpointRequest(Hook + "/v2", ["incident.*"], null, true))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/notifications/webhooks/{id}/rotate-secret", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/notifications/deliveries/{delivery.Id}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/notifications/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/v1/notifications/templates/incident.closed", new EmailTemplateRequest("Closed {{incident.id}}", "Closed."))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync("/api/v1/notifications/templates/incident.closed")).StatusCode);

        var rows = (await serve.Get<AuditLog>().QueryAsync()).Where(a => a.Actor == me.Actor).Select(a => a.Action).Reverse().ToList();
        Assert.Equal(["webhook.add", "webhook.update", "webhook.rotate-secret", "notification.retry", "webhook.delete", "email-template.update", "email-template.reset"], rows);
    }

    [Fact]
    public async Task ADeletedEndpointIsHiddenItsWaitingDeliveriesFailAndItsLogStaysReadable()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var created = await NotificationKit.AddWebhookAsync(admin, Hook);
        await serve.Get<EnforcementStore>().SuspendAsync(AccountScope.Mailbox, seeded.MailboxId, "test", "test");
        await serve.Get<NotificationStore>().FanOutAsync(email: false, limit: 10);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/notifications/webhooks/{created.Endpoint.Id}")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/notifications/webhooks/{created.Endpoint.Id}")).StatusCode);
        var delivery = Assert.Single((await (await admin.GetAsync("/api/v1/notifications/deliveries")).ReadAsync<Page<DeliveryView>>()).Items);
        Assert.Equal((DeliveryState.Failed, "the webhook endpoint was deleted"), (delivery.State, delivery.LastError));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/notifications/webhooks/{created.Endpoint.Id}/attempts")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/v1/notifications/deliveries/{delivery.Id}/retry", null)).StatusCode);
    }

    [Fact]
    public async Task EventsArePagedNewestFirstAndFilteredByTypeAndClient()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        var acme = await NotificationKit.SeedAsync(serve);
        var other = await NotificationKit.SeedAsync(serve, "Other", "other.test");
        var enforcement = serve.Get<EnforcementStore>();
        await enforcement.SuspendAsync(AccountScope.Mailbox, acme.MailboxId, "one", "test");
        await enforcement.LiftAsync(AccountScope.Mailbox, acme.MailboxId, "two", "test");
        await enforcement.SuspendAsync(AccountScope.Mailbox, other.MailboxId, "three", "test");
        using var reader = await serve.ApiClientAsync(WebRole.ReadOnly);

        var first = await (await reader.GetAsync("/api/v1/notifications/events?limit=2")).ReadAsync<Page<EventView>>();
        var second = await (await reader.GetAsync($"/api/v1/notifications/events?limit=2&cursor={first.Next}")).ReadAsync<Page<EventView>>();
        var suspended = await (await reader.GetAsync("/api/v1/notifications/events?type=mailbox.suspended")).ReadAsync<Page<EventView>>();
        var ofAcme = await (await reader.GetAsync($"/api/v1/notifications/events?clientId={acme.ClientId}")).ReadAsync<Page<EventView>>();

        Assert.Equal(["mailbox.suspended", "mailbox.lifted"], first.Items.Select(e => e.Type));
        Assert.Equal("Other", first.Items[0].ClientName);
        Assert.NotNull(first.Next);
        Assert.Equal(["mailbox.suspended"], second.Items.Select(e => e.Type));
        Assert.Null(second.Next);
        Assert.Equal(2, suspended.Items.Count);
        Assert.Equal(["mailbox.lifted", "mailbox.suspended"], ofAcme.Items.Select(e => e.Type));
    }

    [Fact]
    public async Task AnEventShowsItsDataAndEachDelivery()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        await NotificationKit.AddWebhookAsync(admin, Hook);
        await serve.Get<EnforcementStore>().SuspendAsync(AccountScope.Mailbox, seeded.MailboxId, "spam <b>run</b>", "test");
        await serve.Get<NotificationStore>().FanOutAsync(email: true, limit: 10);
        var listed = Assert.Single((await (await admin.GetAsync("/api/v1/notifications/events")).ReadAsync<Page<EventView>>()).Items);

        var detail = await (await admin.GetAsync($"/api/v1/notifications/events/{listed.EventId}")).ReadAsync<EventDetail>();

        Assert.Equal(new DeliveryCounts(2, 0, 0), listed.Deliveries);
        Assert.Equal("spam <b>run</b>", detail.Data.GetProperty("reason").GetString());
        Assert.Equal([DeliveryChannel.Email, DeliveryChannel.Webhook], detail.Deliveries.Select(d => d.Channel));
    }

    [Theory]
    [InlineData("/api/v1/notifications/events?limit=0", "limit")]
    [InlineData("/api/v1/notifications/events?limit=201", "limit")]
    [InlineData("/api/v1/notifications/deliveries?type=mailbox.exploded", "unknown event type")]
    [InlineData("/api/v1/notifications/deliveries?state=Lost", "state")]
    public async Task BadQueryParametersAreRefused(string path, string says)
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var reader = await serve.ApiClientAsync(WebRole.ReadOnly);

        var response = await reader.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(says, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/notifications/deliveries/424242")]
    [InlineData("/api/v1/notifications/webhooks/424242")]
    [InlineData("/api/v1/notifications/webhooks/424242/attempts")]
    [InlineData("/api/v1/notifications/templates/mailbox.held")]
    [InlineData("/api/v1/notifications/events/6e0e5b3c-61c5-4d53-9d0e-7d5c1d0d6f11")]
    public async Task UnknownIdsAnswer404(string path)
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheNotificationsEndpoints()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Enabled", "false")));
        using var anonymous = new HttpClient { BaseAddress = serve.Web };

        var document = await anonymous.GetStringAsync("/openapi/v1.json");

        Assert.Contains("/api/v1/notifications/webhooks/{id}/rotate-secret", document, StringComparison.Ordinal);
        Assert.Contains("/api/v1/notifications/deliveries/{id}/retry", document, StringComparison.Ordinal);
        Assert.Contains("WebhookEndpointWithSecret", document, StringComparison.Ordinal);
    }
}
