using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Storage.Access;
using Floodgate.Storage.Notifications;
using Floodgate.Web.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.Web.Tests.Notifications;

/// <summary>Notifications raised by the engine itself: a held run, the suspension it ends in, an overdue call.</summary>
public sealed class EngineNotificationTests
{
    [Fact]
    public async Task AMailboxBlastingOverSmtpIsAnnouncedHeldThenSuspended()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        using (var admin = await serve.ApiClientAsync(WebRole.Administrator))
            await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.MailboxHeld, NotificationTypes.MailboxSuspended);
        await WaitForMailboxAsync(serve, seeded.Address);

        var replies = await BlastUntilRefusedAsync(serve, seeded.Address);

        Assert.Contains(replies, r => r.StartsWith("451", StringComparison.Ordinal));
        // The held event is written by its own background writer, so it may reach the outbox (and the
        // receiver) after the suspension; its occurredAt, the held message's time, still comes first.
        var requests = (await receiver.WaitForAsync(2)).OrderBy(OccurredAt).ToList();
        Assert.Equal(["mailbox.held", "mailbox.suspended"], requests.Select(r => r.Type));
        using var held = JsonDocument.Parse(requests[0].Body);
        var data = held.RootElement.GetProperty("data");
        Assert.Equal(seeded.Address, data.GetProperty("held").GetProperty("mailbox").GetString());
        Assert.Equal(200, data.GetProperty("held").GetProperty("recipients").GetInt32());
        using var suspended = JsonDocument.Parse(requests[1].Body);
        var messages = suspended.RootElement.GetProperty("data").GetProperty("messages");
        Assert.True(messages.GetProperty("count").GetInt32() >= 2);
        Assert.Equal(200, messages.GetProperty("sample")[0].GetProperty("recipients").GetInt32());

        var email = await NotificationKit.WaitForEmailAsync(serve, NotificationTypes.MailboxSuspended);
        Assert.Equal("contact@acme.test", ((MailboxAddress)email.To[0]).Address);
        Assert.Contains("200 recipients", email.TextBody, StringComparison.Ordinal);
    }

    private static DateTimeOffset OccurredAt(ReceivedWebhook request)
    {
        using var body = JsonDocument.Parse(request.Body);
        return body.RootElement.GetProperty("occurredAt").GetDateTimeOffset();
    }

    [Fact]
    public async Task AHeldRunIsOneEventPerMailboxPerHourEvenAcrossARestart()
    {
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast());
        var seeded = await NotificationKit.SeedAsync(serve);
        var mailbox = await WaitForMailboxAsync(serve, seeded.Address);
        var now = DateTimeOffset.UtcNow;

        var notifier = serve.Get<HeldNotifier>();
        for (var i = 0; i < 5; i++)
            notifier.Completed(Held(mailbox, now.AddSeconds(i)));
        notifier.Completed(Held(mailbox, now, Outcome.Accepted));

        // Another process in the same clock hour (a restart, or a second node) knows nothing of the first's memory.
        await using (var restarted = new HeldNotifier(serve.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Storage.FloodgateDbContext>>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<HeldNotifier>.Instance))
        {
            restarted.Completed(Held(mailbox, now.AddSeconds(10)));
        }

        await Task.Delay(500);
        var events = await serve.Get<NotificationStore>().ListEventsAsync(new EventQuery(Type: NotificationTypes.MailboxHeld));
        var e = Assert.Single(events.Items);
        Assert.Equal(seeded.ClientId, e.ClientId);
    }

    [Fact]
    public async Task ACallPastItsDueTimeIsAnnouncedOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var serve = await TestServe.StartAsync(NotificationKit.Fast(("ContactTasks:Sla", "00:00:00.300")));
        var seeded = await NotificationKit.SeedAsync(serve);
        using (var admin = await serve.ApiClientAsync(WebRole.Administrator))
            await NotificationKit.AddWebhookAsync(admin, receiver.Url, NotificationTypes.ContactTaskOverdue);

        var offense = await NotificationKit.OffenseAsync(serve, seeded);

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("contact_task.overdue", request.Type);
        using var body = JsonDocument.Parse(request.Body);
        var task = body.RootElement.GetProperty("data").GetProperty("contactTask");
        Assert.Equal(offense.ContactTaskId, task.GetProperty("id").GetInt64());
        Assert.Equal("+1 555 0100", task.GetProperty("contactPhone").GetString());
        await Task.Delay(600);
        Assert.Single(receiver.Received);
    }

    private static CompletedTransaction Held(MailboxState mailbox, DateTimeOffset at, Outcome outcome = Outcome.Held) => new()
    {
        At = at,
        Door = Door.Gateway,
        Mailbox = mailbox,
        EnvelopeSender = mailbox.Address,
        Recipients = 200,
        External = 200,
        Outcome = outcome,
        ReplyCode = "451 4.7.1",
        Reason = PolicyReasons.Held,
        Counted = true,
    };

    private static async Task<MailboxState> WaitForMailboxAsync(TestServe serve, string address)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (serve.Get<AccountDirectory>().TryGetMailbox(address, out var mailbox))
                return mailbox;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"{address} never reached the account directory.");
            await Task.Delay(50);
        }
    }

    /// <summary>The same 200-recipient message until the gateway refuses it for good; the replies, in order.</summary>
    private static async Task<List<string>> BlastUntilRefusedAsync(TestServe serve, string sender)
    {
        var replies = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse(sender));
            message.To.Add(MailboxAddress.Parse(sender));
            message.Subject = "Winner";
            message.Body = new TextPart("plain")
            {
                Text = "Claim your prize now: confirm your bank details at https://prize.example/claim today. Offer ends soon, act fast, limited winners only, reply with your details.",
            };
            using var client = new SmtpClient();
            await client.ConnectAsync(serve.Smtp.Address.ToString(), serve.Smtp.Port, SecureSocketOptions.None);
            await client.AuthenticateAsync(sender, TestServe.Password);
            try
            {
                await client.SendAsync(message, MailboxAddress.Parse(sender), Enumerable.Range(0, 200).Select(n => MailboxAddress.Parse($"run{i}-{n}@victims.example")));
                replies.Add("250");
            }
            catch (SmtpCommandException ex)
            {
                replies.Add($"{(int)ex.StatusCode} {ex.Message}");
                // The first copy, with no opt-out, is refused by the bulk rule; the detector's refusal ends the run.
                if ((int)ex.StatusCode >= 500 && !ex.Message.Contains("looks like bulk mail", StringComparison.Ordinal))
                    return replies;
            }
        }

        throw new Xunit.Sdk.XunitException("The blast was never refused: " + string.Join(" | ", replies));
    }
}
