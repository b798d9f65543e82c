using System.Net;
using Floodgate.Storage.Access;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Tests.Infrastructure;
using Floodgate.Web.Tests.Notifications;

namespace Floodgate.Web.Tests.Console;

/// <summary>The console's notifications: what was told to whom, every attempt, and the by-hand retry.</summary>
public sealed class NotificationsPageTests
{
    [Fact]
    public async Task ASuspensionsEventsAndTheirFailedWebhookAttemptsAreShown()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:MaxAttempts", "1")));
        var seeded = await NotificationKit.SeedAsync(serve, name: "Acme <b>bold</b>");
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var hook = await NotificationKit.AddWebhookAsync(admin, "http://127.0.0.1:9/closed-port");
        await NotificationKit.OffenseAsync(serve, seeded);
        var failed = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.Type == "mailbox.suspended" && d.State == DeliveryState.Failed);

        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Administrator);
        var index = await session.Http.GetStringAsync("/Notifications");
        Assert.Contains("mailbox.suspended", index, StringComparison.Ordinal);
        Assert.Contains("Failed for good (", index, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:9/closed-port", index, StringComparison.Ordinal);
        Assert.Contains("Acme &lt;b&gt;bold&lt;/b&gt;", index, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>bold</b>", index, StringComparison.Ordinal);

        var detail = await session.Http.GetStringAsync($"/Notifications/Events/{failed.EventId}");
        Assert.Contains("failed for good", detail, StringComparison.Ordinal);
        Assert.Contains(seeded.Address, detail, StringComparison.Ordinal);
        Assert.Contains("Winner: claim your prize", detail, StringComparison.Ordinal);

        var log = await session.Http.GetStringAsync($"/Notifications/Webhooks/{hook.Endpoint.Id}");
        Assert.Contains("mailbox.suspended", log, StringComparison.Ordinal);
        Assert.Contains("failed for good", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdministratorSendsAFailedDeliveryAgainAndTheAuditSaysWho()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:MaxAttempts", "1")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        await NotificationKit.AddWebhookAsync(admin, "http://127.0.0.1:9/closed-port");
        await NotificationKit.OffenseAsync(serve, seeded);
        var failed = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.State == DeliveryState.Failed);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Administrator, login: "olga");

        var forged = await session.Http.PostAsync("/Notifications?handler=Retry", new FormUrlEncodedContent(new Dictionary<string, string> { ["delivery"] = failed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        var retried = await session.PostFormAsync("/Notifications", "/Notifications?handler=Retry", new Dictionary<string, string> { ["delivery"] = failed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(HttpStatusCode.Redirect, retried.StatusCode);
        var audit = await serve.Get<AuditLog>().QueryAsync(limit: 100);
        Assert.Contains(audit, e => e.Action == "notification.retry" && e.Actor == "operator:olga" && e.TargetId == failed.Id);
    }

    [Fact]
    public async Task SupportSeesTheEventsButNeitherTheEndpointsNorTheRetry()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:MaxAttempts", "1")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var hook = await NotificationKit.AddWebhookAsync(admin, "http://127.0.0.1:9/secret-token-in-url");
        await NotificationKit.OffenseAsync(serve, seeded);
        var failed = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Webhook && d.State == DeliveryState.Failed);
        using var support = await BrowserSession.SignedInAsync(serve, WebRole.Support);

        var index = await support.Http.GetStringAsync("/Notifications");
        Assert.Contains("mailbox.suspended", index, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token-in-url", index, StringComparison.Ordinal);
        Assert.DoesNotContain("Send now", index, StringComparison.Ordinal);
        var log = await support.Http.GetAsync($"/Notifications/Webhooks/{hook.Endpoint.Id}");
        Assert.Equal(HttpStatusCode.Redirect, log.StatusCode);
        Assert.Contains("/denied", log.Headers.Location!.OriginalString, StringComparison.OrdinalIgnoreCase);

        var retried = await support.PostFormAsync("/Notifications", "/Notifications?handler=Retry", new Dictionary<string, string> { ["delivery"] = failed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.NotEqual(HttpStatusCode.OK, retried.StatusCode);
        var after = await serve.Get<NotificationStore>().GetDeliveryAsync(failed.Id);
        Assert.Equal(DeliveryState.Failed, after.Delivery.State);
    }

    [Theory]
    [InlineData("/Notifications/Events/00000000-0000-0000-0000-000000000001")]
    [InlineData("/Notifications/Webhooks/999999")]
    public async Task AnUnknownEventOrEndpointAnswers404(string url)
    {
        await using var serve = await TestServe.StartAsync();
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Administrator);
        Assert.Equal(HttpStatusCode.NotFound, (await session.Http.GetAsync(url)).StatusCode);
    }
}
