using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Gateway;

/// <summary>Tests that change accounts or restart the server: each has its own process and data folder.</summary>
public sealed partial class GatewayStateTests
{
    private const string Password = "correct horse";

    [Fact]
    public async Task ARateLimitDefersWith451AndSaysWhenToRetry()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.CliOkAsync("plan", "add", "tight", "--limit", "mailbox.external-per-hour=5");
        await fg.CliOkAsync("plan", "assign", "Acme", "tight");
        await fg.StartAsync("--upstream", sink.Url);

        await using var c = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await c.LoginAsync("ann@acme.test", Password);
        Assert.Equal(4, await SendAsync(c, 4));
        await c.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\n");
        var replies = await c.ReadRepliesAsync(3);
        Assert.StartsWith("250", replies[1]);
        Assert.StartsWith("451 4.7.1", replies[2]);
        Assert.Matches("try again after \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC", replies[2]);
    }

    [Fact]
    public async Task ARestartKeepsTheWindows()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.CliOkAsync("plan", "add", "tight", "--limit", "mailbox.external-per-hour=5");
        await fg.CliOkAsync("plan", "assign", "Acme", "tight");
        await fg.StartAsync("--upstream", sink.Url);
        await using (var c = await RawSmtpClient.ConnectAsync(fg.Smtp))
        {
            await c.LoginAsync("ann@acme.test", Password);
            Assert.Equal(5, await SendAsync(c, 5));
        }

        await fg.StopAsync();
        await fg.StartAsync("--upstream", sink.Url);
        Assert.Contains("windows rebuilt from 5 transactions", fg.Output);
        await using (var c = await RawSmtpClient.ConnectAsync(fg.Smtp))
        {
            await c.LoginAsync("ann@acme.test", Password);
            await c.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<after-restart@example.net>\r\n");
            var replies = await c.ReadRepliesAsync(2);
            Assert.StartsWith("451 4.7.1", replies[1]);
        }
    }

    [Fact]
    public async Task ASuspendedMailboxIsRefusedWith550AndSoIsAnOpenSessionAtItsNextCommand()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync("bob@acme.test");
        await fg.StartAsync("--upstream", sink.Url);

        await using var open = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await open.LoginAsync("ann@acme.test", Password);
        await open.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<first@example.net>\r\n");
        Assert.All(await open.ReadRepliesAsync(2), r => Assert.StartsWith("250", r));

        var before = await StateVersionAsync(fg);
        await fg.CliOkAsync("mailbox", "status", "ann@acme.test", "Suspended", "--reason", "mass mailing reported by abuse desk");
        await WaitForStateVersionAsync(fg, before + 1);

        await open.SendAsync("RCPT TO:<second@example.net>\r\n");
        var refused = await open.ReadReplyAsync();
        Assert.StartsWith("550 5.7.1", refused);
        Assert.Contains("mass mailing reported by abuse desk", refused);

        await using var fresh = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await fresh.LoginAsync("ann@acme.test", Password);
        await fresh.SendAsync("MAIL FROM:<ann@acme.test>\r\n");
        Assert.StartsWith("550 5.7.1", await fresh.ReadReplyAsync());

        // Other mailboxes of the domain still send.
        await using var bob = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await bob.LoginAsync("bob@acme.test", Password);
        Assert.Equal(1, await SendAsync(bob, 1, "bob@acme.test"));
    }

    [Fact]
    public async Task UpstreamDownGives451AndTheTransactionIsNotLoggedAsRelayed()
    {
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        // A port nobody listens on.
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await fg.StartAsync("--upstream", $"smtp://127.0.0.1:{port}");

        await using var c = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await c.LoginAsync("ann@acme.test", Password);
        await c.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n");
        await c.ReadRepliesAsync(3);
        await c.SendAsync("Subject: t\r\nMessage-ID: <down-1@acme.test>\r\n\r\nbody\r\n.\r\n");
        var reply = await c.ReadReplyAsync();
        Assert.StartsWith("451 4.4.", reply);

        var log = await LogJsonAsync(fg);
        var row = Assert.Single(log.RootElement.EnumerateArray(), r => r.GetProperty("messageId").GetString() == "down-1@acme.test");
        Assert.Equal("deferred", row.GetProperty("verdict").GetString());
        Assert.Equal("upstream-deferred", row.GetProperty("verdictReason").GetString());
    }

    [Fact]
    public async Task APermanentUpstreamRejectionIsPassedBack()
    {
        await using var sink = await UpstreamSink.StartAsync();
        sink.MessageReply = Protocols.Smtp.SmtpReply.Create(554, "5.6.0", "Content rejected by upstream");
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.StartAsync("--upstream", sink.Url);
        await using var c = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await c.LoginAsync("ann@acme.test", Password);
        await c.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n");
        await c.ReadRepliesAsync(3);
        await c.SendAsync("Subject: t\r\n\r\nbody\r\n.\r\n");
        var reply = await c.ReadReplyAsync();
        Assert.StartsWith("554 5.6.0", reply);
        Assert.Contains("Content rejected by upstream", reply);
    }

    [Fact]
    public async Task WithNoUpstreamMailGoesToTheOutboxAndTheLogSaysSo()
    {
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.StartAsync();
        // The console logger writes from its own queue: the line may follow serve.json by a moment.
        Assert.True(SpinWait.SpinUntil(() => fg.Output.Contains("NO UPSTREAM MTA CONFIGURED", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), fg.Output);
        await using var c = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await c.LoginAsync("ann@acme.test", Password);
        Assert.Equal(1, await SendAsync(c, 1));
        var eml = Assert.Single(Directory.GetFiles(Path.Combine(fg.DataDirectory, "outbox"), "*.eml"));
        Assert.Contains("Subject: message 0", await File.ReadAllTextAsync(eml));
        var envelope = await File.ReadAllTextAsync(Path.ChangeExtension(eml, null) + ".envelope.json");
        Assert.Contains("r0@example.net", envelope);
    }

    [Fact]
    public async Task InvalidConfigurationStopsWithAMessageNamingTheSetting()
    {
        await using var fg = new FloodgateProcess();
        var (code, output) = await fg.CliAsync("serve", "--smtp", "not-an-endpoint", "--trusted", "10.0.0.0/99");
        Assert.Equal(2, code);
        Assert.Contains("Smtp:Listen:0", output);
        Assert.Contains("Smtp:TrustedNetworks:0", output);
    }

    [Fact]
    public async Task ATrustedNetworkSubmitsWithoutAuthButPolicyStillApplies()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.CliOkAsync("plan", "add", "tight", "--limit", "max-recipients=3");
        await fg.CliOkAsync("plan", "assign", "Acme", "tight");
        await fg.StartAsync("--upstream", sink.Url, "--trusted", "127.0.0.1/32");
        await using var c = await RawSmtpClient.ConnectAsync(fg.Smtp);
        await c.ReadReplyAsync();
        await c.SendAsync("EHLO mta.acme.test\r\nMAIL FROM:<nobody@elsewhere.example>\r\nMAIL FROM:<ann@acme.test>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nRCPT TO:<d@example.net>\r\n");
        var replies = await c.ReadRepliesAsync(7);
        Assert.StartsWith("550 5.7.1", replies[1]); // not a mailbox of the provider
        Assert.StartsWith("250", replies[2]);
        Assert.StartsWith("452 4.5.3", replies[6]);
    }

    /// <summary>Sends <paramref name="count"/> one-recipient messages; returns how many got 250.</summary>
    private static async Task<int> SendAsync(RawSmtpClient c, int count, string sender = "ann@acme.test")
    {
        var ok = 0;
        for (var i = 0; i < count; i++)
        {
            await c.SendAsync(FormattableString.Invariant($"MAIL FROM:<{sender}>\r\nRCPT TO:<r{i}@example.net>\r\nDATA\r\n"));
            var replies = await c.ReadRepliesAsync(3);
            if (!replies[2].StartsWith("354", StringComparison.Ordinal))
            {
                await c.SendAsync("RSET\r\n");
                await c.ReadReplyAsync();
                continue;
            }

            await c.SendAsync(FormattableString.Invariant($"Subject: message {i}\r\n\r\nbody {i}\r\n.\r\n"));
            if ((await c.ReadReplyAsync()).StartsWith("250", StringComparison.Ordinal))
            {
                ok++;
            }
        }

        return ok;
    }

    private static async Task<long> StateVersionAsync(FloodgateProcess fg)
    {
        using var http = new HttpClient { BaseAddress = fg.Web };
        var health = await http.GetStringAsync("/healthz");
        return long.Parse(StateVersion().Match(health).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitForStateVersionAsync(FloodgateProcess fg, long atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await StateVersionAsync(fg) < atLeast)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server did not see the change");
            await Task.Delay(50);
        }
    }

    private static async Task<JsonDocument> LogJsonAsync(FloodgateProcess fg)
    {
        // The transaction log is written in batches (up to 200 ms).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var (code, output) = await fg.CliAsync("log", "--json");
            Assert.True(code == 0, output);
            var doc = JsonDocument.Parse(output);
            if (doc.RootElement.GetArrayLength() > 0 || DateTime.UtcNow > deadline)
            {
                return doc;
            }

            await Task.Delay(200);
        }
    }

    [GeneratedRegex("state version (\\d+)")]
    private static partial Regex StateVersion();
}
