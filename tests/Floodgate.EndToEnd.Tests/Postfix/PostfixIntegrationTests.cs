using System.Text;
using System.Text.Json;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// Authenticated submission to a real Postfix, so that sasl_username and {auth_authen} reach
/// Floodgate the way they do in production.
/// </summary>
public sealed partial class PostfixIntegrationTests(PostfixFixture fixture) : IClassFixture<PostfixFixture>
{
    // A newsletter: the same content every time, so the detector sees copies.
    private const string Body = """
        Spring sale at Acme: every garden tool is 40 percent off this week only.
        Our lawn mowers, hedge trimmers, watering cans and seed trays are all reduced.
        Order online before Sunday midnight and delivery is free to any address in the country.
        Members of the Acme garden club get an extra voucher worth ten dollars at checkout.
        Visit our stores in Springfield, Shelbyville and Capital City for demonstrations.
        """;

    [Fact]
    public async Task RecipientBeyondAPlanCapBelowPostfixsLimitGetsThePolicyDoors452()
    {
        // Recipients in the sender's own domain: internal, so the detector (which would see the other tests'
        // newsletter from a second client as a campaign) stays out of it.
        const string mailbox = PostfixFixture.SmallPlanMailbox;
        await using var smtp = await LoginAsync(mailbox);
        await smtp.SendAsync($"MAIL FROM:<{mailbox}>\r\n");
        Assert.StartsWith("250", await smtp.ReadReplyAsync());
        var replies = new List<string>();
        for (var i = 1; i <= PostfixFixture.SmallPlanCap + 1; i++)
        {
            await smtp.SendAsync($"RCPT TO:<r{i}@bravo.test>\r\n");
            replies.Add(await smtp.ReadReplyAsync());
        }

        Assert.All(replies.Take(PostfixFixture.SmallPlanCap), r => Assert.StartsWith("250", r));
        Assert.StartsWith("452 4.5.3", replies[^1]);
        Assert.Contains($"Too many recipients: at most {PostfixFixture.SmallPlanCap} per message", replies[^1]);

        Assert.StartsWith("250", await SendDataAsync(smtp, mailbox, "Cap test"));
        var delivered = await WaitForSinkAsync(mailbox);
        Assert.Equal(PostfixFixture.SmallPlanCap, delivered.Recipients.Count);
        Assert.Contains("X-Floodgate-Verdict: pass", Encoding.UTF8.GetString(delivered.Data));
    }

    [Fact]
    public async Task LoginFloodgateDoesNotKnowIsDeferredWith451AtRcptAndNothingIsRelayed()
    {
        const string login = PostfixFixture.UnknownLogin;
        await using var smtp = await LoginAsync(login);
        await smtp.SendAsync($"MAIL FROM:<{login}>\r\nRCPT TO:<someone@example.net>\r\n");
        var mail = await smtp.ReadReplyAsync();
        var rcpt = await smtp.ReadReplyAsync();
        var data = await SendDataAsync(smtp, login, "From a login nobody provisioned");

        Assert.StartsWith("250", mail);
        Assert.StartsWith("451 4.7.1 <someone@example.net>: Recipient address rejected: ", rcpt);
        // Postfix queues nothing without an accepted recipient: 554 5.5.1 Error: no valid recipients.
        Assert.StartsWith("554", data);
        Assert.DoesNotContain(fixture.Sink.Messages, m => m.Sender == login);
    }

    [Fact]
    public async Task MailWithoutALoginGetsDunnoSoPostfixsOwnRulesDecide()
    {
        // The envelope names a mailbox Floodgate knows; without a login (and from a client the policy door
        // does not trust) that decides nothing.
        await using var smtp = await RawSmtpClient.ConnectAsync(fixture.Postfix.EndPoint);
        Assert.StartsWith("220", await smtp.ReadReplyAsync());
        await smtp.SendAsync("EHLO client.test\r\n");
        Assert.StartsWith("250", await smtp.ReadReplyAsync());
        await smtp.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<someone@example.net>\r\n");
        Assert.StartsWith("250", await smtp.ReadReplyAsync());

        // Loopback passes the relay check, so this is the README's recipient restrictions: Floodgate's
        // DUNNO, then permit_sasl_authenticated (no login), then Postfix's own reject.
        Assert.StartsWith("554 5.7.1 <someone@example.net>: Recipient address rejected: Access denied", await smtp.ReadReplyAsync());
    }

    [Fact]
    public async Task SuspendedMailboxIsRefused550()
    {
        await fixture.Floodgate.CliOkAsync("mailbox", "status", "sue@acme.test", "Suspended", "--reason", "test suspension");

        // The running server picks the change up from the database within its refresh interval (1 s).
        var refusal = string.Empty;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            refusal = await FirstRefusalAsync("sue@acme.test");
            if (!refusal.StartsWith("250", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.StartsWith("550 5.7.1", refusal);
        Assert.Contains("suspended", refusal);
    }

    [Fact]
    public async Task HeldMessageSitsInPostfixHoldQueue()
    {
        // The same near-cap message twice: the second is held (detector), quarantined by the milter. The
        // first has no List-Unsubscribe and is refused by the bulk opt-out rule, which the detector
        // remembers. (With one, the second copy to the same people would be a list's batch, not a run.)
        var replies = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            replies.Add(await SendBulkAsync("hal@acme.test", 200));
        }

        Assert.StartsWith(OptOut.BulkRefusal, replies[0]);
        Assert.StartsWith("250", replies[1]);
        var held = await WaitForQueueAsync("hal@acme.test", "hold");
        Assert.Equal("hold", held.GetProperty("queue_name").GetString());
    }

    [Fact]
    public async Task MassMailRunThroughPostfixRaisesOffenseAndSuspendsMailbox()
    {
        var replies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            replies.Add(await SendBulkAsync("max@acme.test", 200));
        }

        Assert.StartsWith("550 5.7.1", replies[2]);
        var (code, shown) = await fixture.Floodgate.CliAsync("mailbox", "show", "max@acme.test");
        Assert.True(code == 0, shown);
        Assert.Contains("Suspended", shown);

        // Suspended at once in every door: the next transaction is refused.
        Assert.StartsWith("550 5.7.1", await FirstRefusalAsync("max@acme.test"));
    }

    /// <summary>MAIL then one RCPT; the first reply that is not 250 (the milter answers at MAIL, the policy at RCPT).</summary>
    private async Task<string> FirstRefusalAsync(string mailbox)
    {
        await using var smtp = await LoginAsync(mailbox);
        await smtp.SendAsync($"MAIL FROM:<{mailbox}>\r\n");
        var reply = await smtp.ReadReplyAsync();
        if (reply.StartsWith("250", StringComparison.Ordinal))
        {
            await smtp.SendAsync("RCPT TO:<someone@example.net>\r\n");
            reply = await smtp.ReadReplyAsync();
        }

        return reply;
    }

    private async Task<RawSmtpClient> LoginAsync(string mailbox)
    {
        var smtp = await RawSmtpClient.ConnectAsync(fixture.Postfix.EndPoint);
        await smtp.LoginAsync(mailbox, "correct horse");
        return smtp;
    }

    /// <returns>The reply to the end of DATA, or the first refusal before it.</returns>
    private async Task<string> SendBulkAsync(string mailbox, int recipients)
    {
        await using var smtp = await LoginAsync(mailbox);
        await smtp.SendAsync($"MAIL FROM:<{mailbox}>\r\n");
        var reply = await smtp.ReadReplyAsync();
        if (!reply.StartsWith("250", StringComparison.Ordinal))
        {
            return reply;
        }

        for (var i = 1; i <= recipients; i++)
        {
            await smtp.SendAsync($"RCPT TO:<reader{i}@example.net>\r\n");
            reply = await smtp.ReadReplyAsync();
            if (!reply.StartsWith("250", StringComparison.Ordinal))
            {
                return reply;
            }
        }

        return await SendDataAsync(smtp, mailbox, "Spring sale: 40% off garden tools");
    }

    private static async Task<string> SendDataAsync(RawSmtpClient smtp, string from, string subject, string? messageId = null)
    {
        await smtp.SendAsync("DATA\r\n");
        var reply = await smtp.ReadReplyAsync();
        if (!reply.StartsWith("354", StringComparison.Ordinal))
        {
            return reply;
        }

        var message = $"From: <{from}>\r\nTo: <undisclosed-recipients:;>\r\nSubject: {subject}\r\nMessage-ID: <{messageId ?? Guid.NewGuid().ToString("N")}@acme.test>\r\nDate: {DateTimeOffset.UtcNow:r}\r\n\r\n{Body.ReplaceLineEndings("\r\n")}\r\n.\r\n";
        await smtp.SendAsync(message);
        return await smtp.ReadReplyAsync();
    }

    private async Task<SinkMessage> WaitForSinkAsync(string sender)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var m in fixture.Sink.Messages)
            {
                if (m.Sender == sender)
                {
                    return m;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Postfix delivered nothing from {sender} to the upstream:\n{Tail(fixture.Postfix.ReadMailLog())}");
    }

    private async Task<JsonElement> WaitForQueueAsync(string sender, string queue)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var last = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            last = await fixture.Postfix.QueueJsonAsync();
            foreach (var line in last.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("sender").GetString() == sender && doc.RootElement.GetProperty("queue_name").GetString() == queue)
                {
                    return doc.RootElement.Clone();
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no message from {sender} in Postfix's {queue} queue; postqueue -j:\n{last}\n{Tail(fixture.Postfix.ReadMailLog())}");
    }

    private static string Tail(string log) => log.Length > 4000 ? log[^4000..] : log;
}
