using System.Net.Http.Json;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;
using MimeKit;

namespace Floodgate.Web.Tests.Notifications;

/// <summary>A seeded client: Acme with acme.test and bob@acme.test; its primary contact is contact@acme.test.</summary>
public sealed record Seeded(int ClientId, int DomainId, int MailboxId, string Address);

/// <summary>Settings that make the dispatcher fast (waits of a few hundred ms), and shortcuts shared by the notification tests.</summary>
internal static class NotificationKit
{
    public const string Support = "the Example abuse desk, +1 555 0199";
    public const string PublicUrl = "https://console.provider.test";

    public static readonly TimeSpan RetryInitial = TimeSpan.FromMilliseconds(300);

    public static Dictionary<string, string?> Fast(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:PollInterval"] = "00:00:00.050",
            ["Notifications:RetryInitialDelay"] = RetryInitial.ToString(),
            ["Notifications:RetryMaxDelay"] = "00:00:03",
            ["Notifications:RetryJitter"] = "0",
            ["Notifications:WebhookTimeout"] = "00:00:03",
            ["Notifications:ClaimLease"] = "00:00:05",
            ["Notifications:OverdueScanInterval"] = "00:00:00.100",
            ["Notifications:Support"] = Support,
            ["Web:PublicUrl"] = PublicUrl,
        };
        foreach (var (key, value) in extra)
            settings[key] = value;
        return settings;
    }

    public static async Task<Seeded> SeedAsync(TestServe serve, string name = "Acme", string domain = "acme.test")
    {
        var (client, d, mailbox) = await serve.SeedClientAsync(name, domain, "bob");
        return new Seeded(client, d, mailbox, "bob@" + domain);
    }

    /// <summary>Three copies of 200 recipients each: two relayed, the last one held and deciding; two subjects, three destination domains.</summary>
    public static IReadOnlyList<EvidenceMessage> Evidence(DateTimeOffset at, int mailboxId) =>
    [
        new(at.AddMinutes(-10), "run-1@acme.test", 200, 200, 0.97, Outcome.Accepted, mailboxId) { Subject = "Winner: claim your prize", DestinationDomains = "victims.example,mail.example" },
        new(at.AddMinutes(-5), "run-2@acme.test", 200, 190, 0.98, Outcome.Accepted, mailboxId) { Subject = "Winner: claim your prize", DestinationDomains = "victims.example" },
        new(at, "run-3@acme.test", 200, 200, 1.0, Outcome.Held, mailboxId) { Subject = "Last chance\r\nBcc: x@evil.example", DestinationDomains = "victims.example,post.example" },
    ];

    public static Task<RecordedOffense> OffenseAsync(TestServe serve, Seeded seeded, LadderStep step = LadderStep.SuspendMailbox)
    {
        var at = DateTimeOffset.UtcNow;
        return serve.Get<EnforcementStore>().RecordOffenseAsync(new NewOffense(
            at, seeded.ClientId, seeded.DomainId, seeded.MailboxId, seeded.Address, step, 0.95, NewOffense.Detector,
            [new Signal("repeat", 0.7, RuleMode.Enforce, "the same content 3 times in 10 minutes, each near the 200-recipient cap")],
            Evidence(at, seeded.MailboxId),
            "mass mailing: the same message to 200 recipients, 3 times"), "detector");
    }

    public static async Task<WebhookEndpointWithSecret> AddWebhookAsync(HttpClient admin, string url, params string[] types)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/notifications/webhooks", new WebhookEndpointRequest(url, types.Length == 0 ? null : [.. types], "ticketing", true));
        return await response.ReadAsync<WebhookEndpointWithSecret>();
    }

    /// <summary>Waits until a delivery matches (read from the store, as the console would).</summary>
    public static async Task<DeliveryView> WaitForDeliveryAsync(TestServe serve, Func<DeliveryView, bool> match, TimeSpan? timeout = null)
    {
        var store = serve.Get<NotificationStore>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var page = await store.ListDeliveriesAsync(new DeliveryQuery(Limit: 200));
            if (page.Items.FirstOrDefault(match) is { } found)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException("No delivery matched: " + string.Join("; ", page.Items.Select(d => $"{d.Type} {d.Channel} {d.State} {d.Attempts} {d.LastError}")));
            await Task.Delay(25);
        }
    }

    /// <summary>Waits for the notification e-mail of the type in data/outbox (where the relay writes with no upstream).</summary>
    public static async Task<MimeMessage> WaitForEmailAsync(TestServe serve, string type, TimeSpan? timeout = null)
    {
        var outbox = Path.Combine(serve.DataDirectory, "outbox");
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            foreach (var file in Directory.Exists(outbox) ? Directory.GetFiles(outbox, "*.eml") : [])
            {
                var message = await MimeMessage.LoadAsync(file);
                if (message.Headers["X-Floodgate-Event-Type"] == type)
                    return message;
            }

            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"No {type} e-mail reached {outbox}.");
            await Task.Delay(25);
        }
    }
}
