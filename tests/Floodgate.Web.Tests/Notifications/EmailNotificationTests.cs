using System.Net;
using System.Net.Http.Json;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Access;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;
using MimeKit;

namespace Floodgate.Web.Tests.Notifications;

/// <summary>The e-mail to the client's primary contact, as it reaches the upstream (data/outbox with no upstream set).</summary>
public sealed class EmailNotificationTests
{
    [Fact]
    public async Task TheSuspensionEmailReachesThePrimaryContactWithWhatWasSentAndWhatToDo()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);

        var offense = await NotificationKit.OffenseAsync(serve, seeded);

        var message = await NotificationKit.WaitForEmailAsync(serve, NotificationTypes.MailboxSuspended);
        var to = Assert.IsType<MailboxAddress>(Assert.Single(message.To));
        Assert.Equal("contact@acme.test", to.Address);
        Assert.Equal("Ann Acme", to.Name);
        Assert.Equal("Suspended: the mailbox bob@acme.test can no longer send mail", message.Subject);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);
        var text = message.TextBody;
        Assert.Contains("Dear Ann Acme,", text, StringComparison.Ordinal);
        Assert.Contains("mass mailing: the same message to 200 recipients, 3 times", text, StringComparison.Ordinal);
        Assert.Contains("3 messages to 600 recipients (590 outside your organisation)", text, StringComparison.Ordinal);
        Assert.Contains("2 of them, to 400 recipients, left our network", text, StringComparison.Ordinal);
        Assert.Contains("200 recipients (190 external)  relayed  run-2@acme.test", text, StringComparison.Ordinal);
        Assert.Contains("run-3@acme.test", text, StringComparison.Ordinal);
        Assert.Contains("1st offense: mailbox suspended", text, StringComparison.Ordinal);
        Assert.Contains("the steps taken to stop it", text, StringComparison.Ordinal);
        Assert.Contains("your own mass-mailing policy", text, StringComparison.Ordinal);
        Assert.Contains($"{NotificationKit.PublicUrl}/Portal/Incidents/{offense.IncidentId}", text, StringComparison.Ordinal);
        Assert.Contains(NotificationKit.Support, text, StringComparison.Ordinal);
        Assert.Contains("+1 555 0100", text, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);

        var delivery = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Email && d.State == DeliveryState.Delivered);
        Assert.Equal("contact@acme.test", delivery.Recipient);
        Assert.Equal(message.Headers["X-Floodgate-Event-Id"], delivery.EventId.ToString());
    }

    [Fact]
    public async Task TheEmailReachesTheUpstreamOverSmtpWithTheSubjectsAndDomainsThatWereSent()
    {
        await using var upstream = await SmtpSink.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Upstream:Url", upstream.Url), ("Notifications:From", "Abuse desk <abuse@provider.test>")));
        var seeded = await NotificationKit.SeedAsync(serve);

        await NotificationKit.OffenseAsync(serve, seeded);

        var sunk = (await upstream.WaitForAcceptedAsync(1)).Single(m => m.Parse().Headers["X-Floodgate-Event-Type"] == NotificationTypes.MailboxSuspended);
        Assert.Equal("abuse@provider.test", sunk.Sender);
        Assert.Equal(["contact@acme.test"], sunk.Recipients);
        var text = sunk.Parse().TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains("Subjects:\n  - \"Last chance Bcc: x@evil.example\"\n  - \"Winner: claim your prize\"\n", text, StringComparison.Ordinal);
        Assert.Contains("Sent to the domains: victims.example, mail.example, post.example", text, StringComparison.Ordinal);
        Assert.Contains("relayed  run-1@acme.test  \"Winner: claim your prize\"  to victims.example, mail.example", text, StringComparison.Ordinal);

        // The sender's subject stays inside the body: it adds no header.
        Assert.DoesNotContain(sunk.Parse().Headers, h => h.Field.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
        var delivery = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Email && d.Type == NotificationTypes.MailboxSuspended && d.State == DeliveryState.Delivered);
        Assert.Equal(1, delivery.Attempts);
    }

    [Fact]
    public async Task AnUpstreamThatDefersTheEmailGetsItAgainUntilItAcceptsIt()
    {
        await using var upstream = await SmtpSink.StartAsync(n => n <= 2 ? 451 : 250);
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Upstream:Url", upstream.Url), ("Notifications:Email", "true")));
        var seeded = await NotificationKit.SeedAsync(serve);

        await serve.Get<EnforcementStore>().SuspendAsync(Core.Accounts.AccountScope.Mailbox, seeded.MailboxId, "by hand", "test");

        var accepted = Assert.Single(await upstream.WaitForAcceptedAsync(1));
        Assert.Equal([451, 451, 250], upstream.Received.Select(m => m.Answer));
        Assert.Single(upstream.Received.Select(m => m.Parse().MessageId).Distinct());
        Assert.Equal("Suspended: the mailbox bob@acme.test can no longer send mail", accepted.Parse().Subject);
        var delivery = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Email && d.State == DeliveryState.Delivered);
        Assert.Equal(3, delivery.Attempts);
    }

    [Fact]
    public async Task AnUpstreamThatRefusesTheEmailFailsItForGoodWithTheReply()
    {
        await using var upstream = await SmtpSink.StartAsync(_ => 550);
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Upstream:Url", upstream.Url)));
        var seeded = await NotificationKit.SeedAsync(serve);

        await serve.Get<EnforcementStore>().SuspendAsync(Core.Accounts.AccountScope.Mailbox, seeded.MailboxId, "by hand", "test");

        var failed = await NotificationKit.WaitForDeliveryAsync(serve, d => d.Channel == DeliveryChannel.Email && d.State == DeliveryState.Failed);
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("550", failed.LastError, StringComparison.Ordinal);
        await Task.Delay(4 * NotificationKit.RetryInitial);
        Assert.Single(upstream.Received);
    }

    [Fact]
    public async Task TheEmailIsTheProvidersOwnMailAndNotAClientTransaction()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);

        await NotificationKit.OffenseAsync(serve, seeded);
        await NotificationKit.WaitForEmailAsync(serve, NotificationTypes.MailboxSuspended);

        // The engine never saw it: the transaction log has no row for it.
        await Task.Delay(300);
        var log = await serve.Get<Storage.Transactions.TransactionLog>().QueryAsync(new Storage.Transactions.TransactionQuery());
        Assert.Empty(log);
    }

    [Fact]
    public async Task AnEditedTemplateWordsTheNextEmail()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var put = await admin.PutAsJsonAsync("/api/v1/notifications/templates/mailbox.suspended",
            new EmailTemplateRequest("{{client.name}}: {{target.name}} stopped", "Hello {{client.contact.name}}.\n{{#incident.id}}Incident {{incident.id}}.\n{{/incident.id}}{{#held.at}}never shown{{/held.at}}Call {{support}}."));
        var saved = await put.ReadAsync<EmailTemplate>();
        Assert.False(saved.IsDefault);

        var offense = await NotificationKit.OffenseAsync(serve, seeded);

        var message = await NotificationKit.WaitForEmailAsync(serve, NotificationTypes.MailboxSuspended);
        Assert.Equal("Acme: bob@acme.test stopped", message.Subject);
        Assert.Equal($"Hello Ann Acme.\nIncident {offense.IncidentId}.\nCall {NotificationKit.Support}.", message.TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd());
    }

    [Fact]
    public async Task ATemplateWithAnUnknownPlaceholderIsRefusedAndTheDefaultStays()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);

        var put = await admin.PutAsJsonAsync("/api/v1/notifications/templates/mailbox.suspended",
            new EmailTemplateRequest("Suspended {{mailbox.address}}", "{{#reason}}unclosed"));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        var problem = await put.Content.ReadAsStringAsync();
        Assert.Contains("unknown placeholder {{mailbox.address}}", problem, StringComparison.Ordinal);
        Assert.Contains("{{#reason}} is not closed", problem, StringComparison.Ordinal);
        var current = await (await admin.GetAsync("/api/v1/notifications/templates/mailbox.suspended")).ReadAsync<EmailTemplate>();
        Assert.True(current.IsDefault);
    }

    [Fact]
    public async Task AReturnedReportTellsTheContactWhatIsMissing()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        var offense = await NotificationKit.OffenseAsync(serve, seeded);
        var store = serve.Get<EnforcementStore>();
        await store.SubmitReportAsync(offense.IncidentId, new IncidentReport(
            "A phished password was used from a botnet.", "We reset the password and enabled two-factor sign-in.", "Bulk mail only through our list service, opt-in."), "portal:ann");

        await store.ReturnReportAsync(offense.IncidentId, "Say which computers were cleaned and how.", "operator:alice");

        var message = await NotificationKit.WaitForEmailAsync(serve, NotificationTypes.IncidentReturned);
        Assert.Equal($"More is needed: the report of incident {offense.IncidentId}", message.Subject);
        Assert.Contains("What is missing: Say which computers were cleaned and how.", message.TextBody, StringComparison.Ordinal);
        var received = await NotificationKit.WaitForEmailAsync(serve, NotificationTypes.IncidentReported);
        Assert.Contains("Mechanism: A phished password was used from a botnet.", received.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithEmailOffOnlyTheWebhooksAreSent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:Email", "false")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        await NotificationKit.AddWebhookAsync(admin, receiver.Url);

        await NotificationKit.OffenseAsync(serve, seeded);

        await receiver.WaitForAsync(2);
        var deliveries = await serve.Get<NotificationStore>().ListDeliveriesAsync(new DeliveryQuery());
        Assert.All(deliveries.Items, d => Assert.Equal(DeliveryChannel.Webhook, d.Channel));
    }
}
