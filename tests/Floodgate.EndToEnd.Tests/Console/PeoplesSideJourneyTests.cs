using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Floodgate.EndToEnd.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Playwright;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Console;

/// <summary>
/// The people's side of one compromised mailbox, against the real `floodgate serve` process and in
/// a real browser: the blast and the suspension, the e-mail to the primary contact and the signed
/// webhook, the operator's dashboard and evidence, the support desk's call, the client's report in
/// its portal, the review and the reinstatement with a new password, and the mailbox sending again.
/// Screenshots of every screen go to artifacts/e2e/<see cref="ACompromisedMailboxIsSuspendedWorkedByEveryoneAndReinstated"/>/.
/// </summary>
public sealed class PeoplesSideJourneyTests
{
    private const string OldPassword = "correct horse";
    private const string NewPassword = "a brand new passphrase 42";
    private const string Subject = "Winner: claim your prize today";

    [Fact]
    public async Task ACompromisedMailboxIsSuspendedWorkedByEveryoneAndReinstated()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var receiver = new WebhookReceiver(failFirst: 2);
        await using var fg = new FloodgateProcess();

        await fg.CliOkAsync("client", "add", "Acme", "--contact-name", "Ann Smith", "--contact-phone", "+1 555 0100", "--contact-email", "it-desk@acme.test");
        await fg.CliOkAsync("domain", "add", "acme.test", "--client", "Acme");
        await fg.CliOkAsync("mailbox", "add", "ann@acme.test", "--password", OldPassword);
        await fg.CliOkAsync("client", "add", "Beta", "--contact-name", "Bo Beta", "--contact-phone", "+1 555 0199", "--contact-email", "bo@beta.test");
        await fg.CliOkAsync("domain", "add", "beta.test", "--client", "Beta");
        await fg.CliOkAsync("mailbox", "add", "bo@beta.test", "--password", OldPassword);
        await fg.CliOkWithInputAsync("desk passphrase 1", "user", "add", "desk", "--role", "abuse-desk", "--name", "Dana Desk", "--password-stdin");
        await fg.CliOkWithInputAsync("phone passphrase 1", "user", "add", "phones", "--role", "support", "--name", "Sam Support", "--password-stdin");
        await fg.CliOkWithInputAsync("client passphrase 1", "user", "add", "admin@acme.test", "--role", "client-administrator", "--client", "Acme", "--password-stdin");
        var keyOutput = await fg.CliOkWithInputAsync("", "apikey", "add", "ticketing", "--role", "administrator");
        var token = keyOutput.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("fgk_", StringComparison.Ordinal));

        fg.Environment["FLOODGATE_Notifications__PollInterval"] = "00:00:00.200";
        fg.Environment["FLOODGATE_Notifications__RetryInitialDelay"] = "00:00:00.300";
        fg.Environment["FLOODGATE_Notifications__RetryMaxDelay"] = "00:00:01";
        fg.Environment["FLOODGATE_Notifications__Support"] = "+1 555 0000 (abuse desk, 24/7)";
        await fg.StartAsync("--upstream", sink.Url);

        // The ticketing system subscribes.
        using var api = new HttpClient { BaseAddress = fg.Web };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var subscribed = await api.PostAsJsonAsync("/api/v1/notifications/webhooks", new { url = receiver.Url, description = "ticketing" });
        Assert.True(subscribed.IsSuccessStatusCode, await subscribed.Content.ReadAsStringAsync());
        var secret = (await subscribed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

        // A stolen password: the same 200-recipient e-mail again and again until it is refused.
        var refusal = await BlastUntilRefusedAsync(fg);
        Assert.Contains("mailbox ann@acme.test is suspended", refusal, StringComparison.Ordinal);
        var incidentId = await SingleIncidentAsync(fg);

        // The primary contact is told, through the upstream, with what was sent and where to act.
        var mail = await WaitForMailToAsync(sink, "it-desk@acme.test", "mailbox.suspended", TimeSpan.FromSeconds(60));
        var text = mail.TextBody ?? mail.HtmlBody ?? "";
        Assert.Contains("ann@acme.test", mail.Subject + text, StringComparison.Ordinal);
        Assert.Contains(Subject, text, StringComparison.Ordinal);
        Assert.Contains("victims.example", text, StringComparison.Ordinal);
        Assert.Contains("/Portal/Incidents/" + incidentId, text, StringComparison.Ordinal);
        Assert.Contains("+1 555 0000", text, StringComparison.Ordinal);

        // The ticketing system gets the signed event, after its own two failures.
        var hook = await receiver.WaitForAsync(r => r.Headers.GetValueOrDefault("Floodgate-Event-Type") == "mailbox.suspended", TimeSpan.FromSeconds(60));
        var timestamp = hook.Headers["Floodgate-Timestamp"];
        var expected = "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.UTF8.GetBytes(timestamp + "."), .. hook.Body]));
        Assert.Contains(expected, hook.Headers["Floodgate-Signature"].Split(','));
        Assert.InRange(long.Parse(timestamp, CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        using (var payload = JsonDocument.Parse(hook.Body))
        {
            Assert.Contains("ann@acme.test", payload.RootElement.GetRawText(), StringComparison.Ordinal);
        }

        // The same event, by its id, twice refused and then delivered: retried, not re-made.
        var sameEvent = receiver.Requests.Where(r => r.Headers.GetValueOrDefault("Floodgate-Event-Id") == hook.Headers["Floodgate-Event-Id"]).ToList();
        Assert.Equal([503, 503, 200], sameEvent.Select(r => r.Answered));

        await using var chromium = await Chromium.LaunchAsync(nameof(ACompromisedMailboxIsSuspendedWorkedByEveryoneAndReinstated));

        // The abuse desk sees it on the dashboard and opens the evidence.
        var desk = await SignInAsync(chromium, fg.Web, "desk", "desk passphrase 1");
        Assert.Contains("Dashboard", await desk.TitleAsync(), StringComparison.Ordinal);
        var dashboard = await desk.InnerTextAsync("main");
        Assert.Contains("ann@acme.test", dashboard, StringComparison.Ordinal);
        Assert.True(await desk.Locator("svg").CountAsync() > 0, "the dashboard draws its charts");
        await chromium.ScreenshotAsync(desk, "1-dashboard");
        await desk.GotoAsync("/Incidents/" + incidentId);
        var evidence = await desk.InnerTextAsync("main");
        Assert.Contains(Subject, evidence, StringComparison.Ordinal);
        Assert.Contains("200", evidence, StringComparison.Ordinal);
        Assert.Contains("repeat", evidence, StringComparison.OrdinalIgnoreCase);
        await chromium.ScreenshotAsync(desk, "2-incident-evidence");

        // Support calls the primary contact from the queue and records it.
        var support = await SignInAsync(chromium, fg.Web, "phones", "phone passphrase 1");
        await support.GotoAsync("/Calls");
        Assert.Contains("Ann Smith", await support.InnerTextAsync("main"), StringComparison.Ordinal);
        await chromium.ScreenshotAsync(support, "3-call-queue");
        await support.Locator("tr", new() { HasTextString = "Ann Smith" }).Locator("a", new() { HasTextString = "Record the call" }).ClickAsync();
        await support.SelectOptionAsync("#outcome", "Reached");
        await support.FillAsync("#notes", "Spoke to Ann: a laptop was infected; report promised today");
        await support.ClickAsync("form:has(#outcome) button[type=submit]");
        await support.WaitForLoadStateAsync();
        Assert.Contains("Reached", await support.InnerTextAsync("main"), StringComparison.Ordinal);
        await chromium.ScreenshotAsync(support, "4-call-recorded");

        // The client's administrator sees only its client and files the three-part report.
        var client = await SignInAsync(chromium, fg.Web, "admin@acme.test", "client passphrase 1");
        Assert.Contains("/Portal", client.Url, StringComparison.Ordinal);
        var portal = await client.InnerTextAsync("main");
        Assert.Contains("ann@acme.test", portal, StringComparison.Ordinal);
        Assert.DoesNotContain("beta.test", portal, StringComparison.Ordinal);
        Assert.DoesNotContain("Beta", portal, StringComparison.Ordinal);
        await chromium.ScreenshotAsync(client, "5-portal");
        await client.GotoAsync("/Clients");
        Assert.Contains("/Portal", client.Url, StringComparison.Ordinal);
        await client.GotoAsync("/Portal/Incidents/" + incidentId);
        await client.FillAsync("#mechanism", "A password-stealing trojan on the sales laptop sent through Ann's account");
        await client.FillAsync("#steps", "Laptop wiped, every password reset, MFA turned on for all staff");
        await client.FillAsync("#policy", "Bulk mail only through our opt-in list service; staff trained every year");
        await client.ClickAsync("form:has(#mechanism) button[type=submit]");
        await client.WaitForLoadStateAsync();
        Assert.Contains("password-stealing trojan", await client.InnerTextAsync("main"), StringComparison.Ordinal);
        await chromium.ScreenshotAsync(client, "6-report-filed");

        // The abuse desk accepts the report and reinstates with a new password.
        await desk.GotoAsync("/Incidents/" + incidentId);
        Assert.Contains("password-stealing trojan", await desk.InnerTextAsync("main"), StringComparison.Ordinal);
        await desk.FillAsync("#accept-note", "Complete: mechanism, steps and policy");
        await desk.ClickAsync("form:has(#accept-note) button[type=submit]");
        await desk.WaitForSelectorAsync("input.new-password");
        desk.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        Assert.Equal(1, await desk.Locator("input.new-password").CountAsync());
        await desk.FillAsync("input.new-password", NewPassword);
        await desk.ClickAsync("form:has(input.new-password) button[type=submit]");
        await desk.WaitForLoadStateAsync();
        await chromium.ScreenshotAsync(desk, "7-reinstated");
        var (code, show) = await fg.CliAsync("incident", "show", incidentId, "--json");
        Assert.True(code == 0, show);
        using (var shown = JsonDocument.Parse(show))
        {
            Assert.Equal("reinstated", shown.RootElement.GetProperty("incident").GetProperty("state").GetString()!.ToLowerInvariant());
        }

        // The stolen password is dead; the new one sends again.
        await Assert.ThrowsAsync<AuthenticationException>(() => SendAsync(fg, OldPassword, "after", 1));
        await SendAsync(fg, NewPassword, "after", 1);
        Assert.Contains(sink.Messages, m => m.Recipients.Contains("after-0@victims.example"));
    }

    private static async Task<IPage> SignInAsync(Chromium chromium, Uri web, string login, string password)
    {
        var page = await chromium.NewPersonAsync(web);
        await page.GotoAsync("/login");
        await page.FillAsync("#login", login);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(u => !u.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    private static async Task<string> BlastUntilRefusedAsync(FloodgateProcess fg)
    {
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await SendAsync(fg, OldPassword, "run" + i, 200);
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

        throw new Xunit.Sdk.XunitException($"ann@acme.test was never refused:\n{fg.Output}");
    }

    private static async Task SendAsync(FloodgateProcess fg, string password, string tag, int recipients)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.To.Add(MailboxAddress.Parse("ann@acme.test"));
        message.Subject = Subject;
        message.Body = new TextPart("plain") { Text = "Claim your prize now: confirm your bank details at https://prize.example/claim today. Offer ends soon, act fast, limited winners only." };
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync("127.0.0.1", fg.Smtp.Port, SecureSocketOptions.None);
        await smtp.AuthenticateAsync("ann@acme.test", password);
        await smtp.SendAsync(message, MailboxAddress.Parse("ann@acme.test"), Enumerable.Range(0, recipients).Select(i => MailboxAddress.Parse($"{tag}-{i}@victims.example")));
        await smtp.DisconnectAsync(true);
    }

    private static async Task<string> SingleIncidentAsync(FloodgateProcess fg)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var (code, output) = await fg.CliAsync("incident", "list", "--json");
            Assert.True(code == 0, output);
            using var doc = JsonDocument.Parse(output);
            if (doc.RootElement.GetArrayLength() == 1)
                return doc.RootElement[0].GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
            Assert.True(DateTime.UtcNow < deadline, $"no incident:\n{fg.Output}");
            await Task.Delay(200);
        }
    }

    private static async Task<MimeMessage> WaitForMailToAsync(UpstreamSink sink, string recipient, string eventType, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var m in sink.Messages.Where(m => m.Recipients.Contains(recipient, StringComparer.OrdinalIgnoreCase)))
            {
                var message = MimeMessage.Load(new MemoryStream(m.Data));
                if (message.Headers["X-Floodgate-Event-Type"] == eventType)
                    return message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no {eventType} mail to {recipient} at the upstream within {timeout}");
    }
}
