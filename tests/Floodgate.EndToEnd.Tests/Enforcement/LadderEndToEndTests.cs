using System.Text.Json;
using Floodgate.EndToEnd.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Enforcement;

/// <summary>The escalation ladder, incidents and damages, through the real gateway and CLI.</summary>
public sealed class LadderEndToEndTests
{
    private const string Password = "correct horse";
    private const string NewPassword = "a fresh passphrase after the trojan";

    [Fact]
    public async Task OffensesClimbTheLadderAndEachIncidentKeepsItsEvidence()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync("bob@acme.test");
        await fg.CliOkAsync("domain", "add", "acme-shop.test", "--client", "Acme");
        await fg.CliOkAsync("mailbox", "add", "carol@acme-shop.test", "--password", Password);
        await fg.StartAsync("--upstream", sink.Url);

        // 1st offense: the mailbox.
        var first = await BlastUntilRefusedAsync(fg, "ann@acme.test", "first");
        Assert.Contains("mailbox ann@acme.test is suspended", first);
        Assert.Contains("1st offense", first);

        // 2nd offense of the same client: the whole domain.
        var second = await BlastUntilRefusedAsync(fg, "bob@acme.test", "second");
        Assert.Contains("domain acme.test is suspended", second);

        // 3rd: the client is terminated from the network, all its domains with it.
        var third = await BlastUntilRefusedAsync(fg, "carol@acme-shop.test", "third");
        Assert.Contains("terminated from the network", third);

        var incidents = await WaitForIncidentsAsync(fg, 3);
        var steps = incidents.RootElement.EnumerateArray().Select(i => i.GetProperty("step").GetString()!).Order().ToArray();
        Assert.Equal(["suspendDomain", "suspendMailbox", "terminateClient"], steps);

        foreach (var incident in incidents.RootElement.EnumerateArray())
        {
            var id = incident.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (code, show) = await fg.CliAsync("incident", "show", id, "--json");
            Assert.True(code == 0, show);
            using var detail = JsonDocument.Parse(show);
            var offense = detail.RootElement.GetProperty("offense");
            var evidence = offense.GetProperty("evidence").EnumerateArray().ToList();
            // The copy refused for its missing opt-out, the held copy, the refused copy: the whole run.
            Assert.Equal(3, evidence.Count);
            Assert.Equal(["refused", "held", "refused"], evidence.Select(e => e.GetProperty("outcome").GetString()!.ToLowerInvariant()));
            Assert.All(evidence, e => Assert.Equal(200, e.GetProperty("recipients").GetInt32()));
            Assert.Contains(offense.GetProperty("signals").EnumerateArray(), s => s.GetProperty("rule").GetString() == "repeat");
            Assert.NotEmpty(detail.RootElement.GetProperty("contactTasks").EnumerateArray());
            Assert.NotEmpty(detail.RootElement.GetProperty("timeline").EnumerateArray());

            // Damages count relayed pieces only: no copy of the run was relayed, so 0 pieces, 0.00.
            var (dcode, csv) = await fg.CliAsync("incident", "damages", id, "--csv");
            Assert.True(dcode == 0, csv);
            Assert.Contains(",total,,,,,0,0.00,USD", csv);
        }

        var (_, client) = await fg.CliAsync("client", "show", "Acme");
        Assert.Contains("Terminated", client);
    }

    [Fact]
    public async Task AnIncidentIsWorkedFromTheCallToReinstatement()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.StartAsync("--upstream", sink.Url);
        await BlastUntilRefusedAsync(fg, "ann@acme.test", "run");
        var incidents = await WaitForIncidentsAsync(fg, 1);
        var id = incidents.RootElement[0].GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (_, tasks) = await fg.CliAsync("task", "list", "--json");
        using var taskDoc = JsonDocument.Parse(tasks);
        var task = taskDoc.RootElement[0];
        Assert.Equal("Ann Smith", task.GetProperty("contactName").GetString());
        Assert.Equal("+1 555 0100", task.GetProperty("contactPhone").GetString());
        Assert.False(task.GetProperty("isOverdue").GetBoolean());

        // Reinstatement is refused until a complete report is accepted.
        Assert.NotEqual(0, (await fg.CliAsync("incident", "reinstate", id)).ExitCode);
        await fg.CliOkAsync("task", "call", task.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--outcome", "reached", "--notes", "Spoke to Ann; a laptop was infected");
        var missing = await fg.CliAsync("incident", "report", id, "--mechanism", "A password-stealing trojan on a laptop", "--steps", "Wiped the laptop and reset all passwords");
        Assert.NotEqual(0, missing.ExitCode);
        await fg.CliOkAsync("incident", "report", id,
            "--mechanism", "A password-stealing trojan on the sales laptop",
            "--steps", "Wiped the laptop, reset all passwords, enabled MFA",
            "--policy", "Bulk mail only through the opt-in list service; staff trained yearly");
        await fg.CliOkAsync("incident", "accept", id, "--note", "complete");
        // A reinstatement needs a new password: whoever sent the run may hold the old one.
        Assert.NotEqual(0, (await fg.CliAsync("incident", "reinstate", id)).ExitCode);
        await fg.CliOkAsync("incident", "reinstate", id, "--new-password", NewPassword);

        // The mailbox sends again, with the new password; the old one is refused.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => SendAsync(fg, "ann@acme.test", "with the old password", 1, "stale"));
        while (true)
        {
            try
            {
                await SendAsync(fg, "ann@acme.test", "after reinstatement", 1, "fresh", NewPassword);
                break;
            }
            catch (Exception ex) when (ex is SmtpCommandException or MailKit.Security.AuthenticationException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }

        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => SendAsync(fg, "ann@acme.test", "with the old password", 1, "stale"));
    }

    /// <summary>Sends the same 200-recipient e-mail until the detector refuses it; returns that refusal.</summary>
    private static async Task<string> BlastUntilRefusedAsync(FloodgateProcess fg, string sender, string tag)
    {
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await SendAsync(fg, sender, "Claim your prize now: confirm your bank details at https://prize.example/claim today. Offer ends soon, act fast, limited winners only, reply with your details.", 200, $"{tag}{i}");
            }
            catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 500 && ex.Message.StartsWith(OptOut.BulkRefusalText, StringComparison.Ordinal))
            {
                // No List-Unsubscribe: the first copy is refused by the bulk opt-out rule, and the detector
                // remembers it; the second is held, the third is the offense.
                Assert.True(i == 0, $"copy {i + 1} was refused for its missing opt-out, not judged by the detector: {ex.Message}");
            }
            catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 500)
            {
                return ex.Message;
            }
            catch (SmtpCommandException ex) when ((int)ex.StatusCode == 451)
            {
                Assert.Contains("held", ex.Message, StringComparison.OrdinalIgnoreCase);
            }
        }

        throw new Xunit.Sdk.XunitException($"{sender} was never refused:\n{fg.Output}");
    }

    private static async Task SendAsync(FloodgateProcess fg, string sender, string body, int recipients, string tag, string password = Password)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(sender));
        message.To.Add(MailboxAddress.Parse(sender));
        message.Subject = "Winner";
        message.Body = new TextPart("plain") { Text = body };
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", fg.Smtp.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(sender, password);
        await client.SendAsync(message, MailboxAddress.Parse(sender), Enumerable.Range(0, recipients).Select(i => MailboxAddress.Parse($"{tag}-{i}@victims.example")));
        await client.DisconnectAsync(true);
    }

    private static async Task<JsonDocument> WaitForIncidentsAsync(FloodgateProcess fg, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var (code, output) = await fg.CliAsync("incident", "list", "--json");
            Assert.True(code == 0, output);
            var doc = JsonDocument.Parse(output);
            if (doc.RootElement.GetArrayLength() >= count)
            {
                return doc;
            }

            Assert.True(DateTime.UtcNow < deadline, $"expected {count} incidents, got {doc.RootElement.GetArrayLength()}:\n{fg.Output}");
            await Task.Delay(200);
        }
    }
}

public sealed class DetectorRestartTests
{
    [Fact]
    public async Task TheDetectorRemembersARunAcrossARestart()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.StartAsync("--upstream", sink.Url);
        const string text = "Limited offer: refinance your loan today at https://loans.example/apply and save thousands. Reply now, only a few places left, act before Friday.";
        await Send(fg, text, "one");
        await sink.WaitForMessageAsync();

        await fg.StopAsync();
        await fg.StartAsync("--upstream", sink.Url);

        // Without its memory the detector would let the second copy through.
        var ex = await Assert.ThrowsAsync<SmtpCommandException>(() => Send(fg, text, "two"));
        Assert.Equal(451, (int)ex.StatusCode);
        Assert.Contains("held", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task Send(FloodgateProcess fg, string body, string tag)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.To.Add(MailboxAddress.Parse("ann@acme.test"));
        message.Subject = "Offer " + tag;
        // A working List-Unsubscribe gets the 200-recipient copy past the bulk opt-out rule: the first
        // copy is relayed, so only the detector's memory can stop the second.
        message.Headers.Add("List-Unsubscribe", OptOut.Value);
        message.Body = new TextPart("plain") { Text = body };
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", fg.Smtp.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("ann@acme.test", "correct horse");
        await client.SendAsync(message, MailboxAddress.Parse("ann@acme.test"), Enumerable.Range(0, 200).Select(i => MailboxAddress.Parse($"{tag}{i}@prospects.example")));
        await client.DisconnectAsync(true);
    }
}
