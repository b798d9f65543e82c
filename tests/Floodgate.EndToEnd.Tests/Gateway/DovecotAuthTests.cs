using System.Net;
using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Gateway;

/// <summary>
/// `floodgate serve --dovecot-auth` against a real Dovecot: Dovecot's passwords decide (not Floodgate's),
/// PLAIN and LOGIN alike; the client's address reaches Dovecot (allow_nets); a login Dovecot vouches
/// for, of a domain Floodgate polices, becomes a mailbox once, under its domain's plan. Failing logins
/// come from their own loopback address each, so Dovecot's penalty (per address) slows no other test.
/// </summary>
public sealed class DovecotAuthTests(DovecotGatewayFixture fixture) : IClassFixture<DovecotGatewayFixture>
{
    [Fact]
    public async Task PlainSucceedsWithDovecotsPasswordAndFailsWithFloodgatesOwn()
    {
        Assert.StartsWith("235", await AuthPlainAsync("ann@acme.test", DovecotGatewayFixture.DovecotPassword));
        Assert.StartsWith("535 5.7.8", await AuthPlainAsync("ann@acme.test", "correct horse", IPAddress.Parse("127.0.0.2")));
    }

    [Fact]
    public async Task LoginMechanismGoesToDovecotAsPlain()
    {
        Assert.StartsWith("235", await AuthLoginAsync("ann@acme.test", DovecotGatewayFixture.DovecotPassword));
        Assert.StartsWith("535 5.7.8", await AuthLoginAsync("ann@acme.test", "wrong", IPAddress.Parse("127.0.0.3")));
    }

    [Fact]
    public async Task ClientAddressReachesDovecot()
    {
        // near@acme.test has allow_nets=127.0.0.1/32 in Dovecot's passwd-file: the right password from 127.0.0.4 fails there.
        Assert.StartsWith("235", await AuthPlainAsync("near@acme.test", DovecotGatewayFixture.DovecotPassword));
        Assert.StartsWith("535 5.7.8", await AuthPlainAsync("near@acme.test", DovecotGatewayFixture.DovecotPassword, IPAddress.Parse("127.0.0.4")));
        Assert.Contains("allow_nets check failed: IP 127.0.0.4 not in allowed networks", fixture.Dovecot.Log);
    }

    [Fact]
    public async Task FirstLoginOfANewMailboxCreatesItUnderItsDomainsPlanFromItsFirstMessage()
    {
        const string login = "fresh@tiny.test";
        await using (var smtp = await LoggedInAsync(login))
        {
            await smtp.SendAsync($"MAIL FROM:<{login}>\r\n");
            Assert.StartsWith("250", await smtp.ReadReplyAsync());
            var replies = new List<string>();
            for (var i = 1; i <= 3; i++)
            {
                await smtp.SendAsync($"RCPT TO:<reader{i}@example.net>\r\n");
                replies.Add(await smtp.ReadReplyAsync());
            }

            // The plan "Two" caps a message at 2 recipients: the third is refused from the very first message.
            Assert.StartsWith("250", replies[0]);
            Assert.StartsWith("250", replies[1]);
            Assert.StartsWith("452 4.5.3", replies[2]);
        }

        // A second login finds it: created once.
        await using (await LoggedInAsync(login))
        {
        }

        Assert.Equal(1, await fixture.AutoCreatedCountAsync(login));
        using var http = new HttpClient();
        Assert.Contains("floodgate_mailboxes_auto_created_total{door=\"gateway\"}", await http.GetStringAsync(new Uri(fixture.Floodgate.Web, "/metrics")));
    }

    [Fact]
    public async Task ParallelFirstLoginsCreateTheMailboxOnce()
    {
        const string login = "crowd@tiny.test";
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => AuthPlainAsync(login, DovecotGatewayFixture.DovecotPassword)));

        Assert.All(replies, r => Assert.StartsWith("235", r));
        Assert.Equal(1, await fixture.AutoCreatedCountAsync(login));
    }

    [Fact]
    public async Task LoginOfADomainFloodgateDoesNotPoliceIsRefusedAndCreatesNothing()
    {
        Assert.StartsWith("535 5.7.8", await AuthPlainAsync("stranger@elsewhere.test", DovecotGatewayFixture.DovecotPassword, IPAddress.Parse("127.0.0.6")));
        Assert.Equal(0, await fixture.AutoCreatedCountAsync("stranger@elsewhere.test"));
    }

    [Fact]
    public async Task DomainWithAutomaticMailboxesOffRefusesTheLoginAndCreatesNothing()
    {
        // closed.test is Tiny's too, with `domain auto-mailboxes closed.test off`.
        Assert.StartsWith("535 5.7.8", await AuthPlainAsync("shut@closed.test", DovecotGatewayFixture.DovecotPassword, IPAddress.Parse("127.0.0.7")));
        Assert.Equal(0, await fixture.AutoCreatedCountAsync("shut@closed.test"));
    }

    private async Task<RawSmtpClient> LoggedInAsync(string login)
    {
        var smtp = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp);
        await smtp.LoginAsync(login, DovecotGatewayFixture.DovecotPassword);
        return smtp;
    }

    private Task<string> AuthPlainAsync(string login, string password, IPAddress? from = null) =>
        DovecotGatewayFixture.AuthPlainAsync(fixture.Floodgate.Smtp, login, password, from);

    private async Task<string> AuthLoginAsync(string login, string password, IPAddress? from = null)
    {
        await using var smtp = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp, from);
        Assert.StartsWith("220", await smtp.ReadReplyAsync());
        await smtp.SendAsync("EHLO client.test\r\n");
        Assert.Contains("LOGIN", await smtp.ReadReplyAsync());
        await smtp.SendAsync("AUTH LOGIN\r\n");
        Assert.StartsWith("334", await smtp.ReadReplyAsync());
        await smtp.SendAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(login)) + "\r\n");
        Assert.StartsWith("334", await smtp.ReadReplyAsync());
        await smtp.SendAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)) + "\r\n");
        return await smtp.ReadReplyAsync();
    }
}

/// <summary>A Dovecot stopped mid-run: AUTH answers 454 4.7.0, whatever the password, and recovers when it is back.</summary>
public sealed class DovecotUnavailableTests
{
    [Fact]
    public async Task DovecotStoppedMidRunGives454NeverAPassAndComingBackHeals()
    {
        await using var dovecot = await PrivateDovecot.StartAsync([("ann@acme.test", DovecotGatewayFixture.DovecotPassword, null)]);
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();

        // HOST:PORT here; the class fixture uses the unix socket.
        await fg.StartAsync("--dovecot-auth", dovecot.TcpEndPoint);
        Assert.StartsWith("235", await DovecotGatewayFixture.AuthPlainAsync(fg.Smtp, "ann@acme.test", DovecotGatewayFixture.DovecotPassword));

        await dovecot.StopAsync();
        var right = await DovecotGatewayFixture.AuthPlainAsync(fg.Smtp, "ann@acme.test", DovecotGatewayFixture.DovecotPassword);
        var floodgates = await DovecotGatewayFixture.AuthPlainAsync(fg.Smtp, "ann@acme.test", "correct horse");
        Assert.StartsWith("454 4.7.0", right);
        Assert.StartsWith("454 4.7.0", floodgates);

        // A mail client retrying through the outage: past the throttle's 5 failures, still "unavailable", and
        // not held against it afterwards (Dovecot never saw those passwords).
        for (var i = 0; i < 6; i++)
        {
            Assert.StartsWith("454 4.7.0 Temporary authentication failure", await DovecotGatewayFixture.AuthPlainAsync(fg.Smtp, "ann@acme.test", DovecotGatewayFixture.DovecotPassword));
        }

        await dovecot.StartAsync();
        Assert.StartsWith("235", await DovecotGatewayFixture.AuthPlainAsync(fg.Smtp, "ann@acme.test", DovecotGatewayFixture.DovecotPassword));
    }

    [Fact]
    public async Task DovecotDyingWhileALoginIsInItGives454()
    {
        await using var dovecot = await PrivateDovecot.StartAsync([("ann@acme.test", DovecotGatewayFixture.DovecotPassword, null)]);
        await using var fg = new FloodgateProcess();
        await fg.SeedAsync();
        await fg.StartAsync("--dovecot-auth", dovecot.SocketPath);

        // Dovecot holds a failure for auth_failure_delay (2 s by default) before it answers: kill it in between. (A
        // SIGTERM would not do: Dovecot flushes the delayed FAIL as it stops, and 535 is then the right answer.)
        var pending = DovecotGatewayFixture.AuthPlainAsync(fg.Smtp, "ann@acme.test", "wrong", IPAddress.Parse("127.0.0.8"));
        await Task.Delay(700);
        Assert.False(pending.IsCompleted, "Dovecot answered the wrong password before its failure delay");
        await dovecot.KillAsync();

        Assert.StartsWith("454 4.7.0", await pending);
    }
}

public sealed class DovecotGatewayFixture : IAsyncLifetime
{
    public const string DovecotPassword = "dovecot horse";

    public PrivateDovecot Dovecot { get; private set; } = null!;

    public FloodgateProcess Floodgate { get; } = new();

    public UpstreamSink Sink { get; private set; } = null!;

    public static async Task<string> AuthPlainAsync(IPEndPoint smtp, string login, string password, IPAddress? from = null)
    {
        await using var client = await RawSmtpClient.ConnectAsync(smtp, from);
        Assert.StartsWith("220", await client.ReadReplyAsync());
        await client.SendAsync("EHLO client.test\r\n");
        Assert.StartsWith("250", await client.ReadReplyAsync());
        await client.SendAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{login}\0{password}")) + "\r\n");
        return await client.ReadReplyAsync();
    }

    /// <summary>How many mailbox.auto_created entries the audit log has for the address.</summary>
    public Task<int> AutoCreatedCountAsync(string address) => Floodgate.AutoCreatedCountAsync(address);

    public async Task InitializeAsync()
    {
        Dovecot = await PrivateDovecot.StartAsync(
        [
            ("ann@acme.test", DovecotPassword, null),
            ("near@acme.test", DovecotPassword, "allow_nets=127.0.0.1/32"),
            ("fresh@tiny.test", DovecotPassword, null),
            ("crowd@tiny.test", DovecotPassword, null),
            ("stranger@elsewhere.test", DovecotPassword, null),
            ("shut@closed.test", DovecotPassword, null),
        ]);
        Sink = await UpstreamSink.StartAsync();
        await Floodgate.SeedAsync("near@acme.test");
        await Floodgate.CliOkAsync("plan", "add", "Two", "--max-recipients", "2");
        await Floodgate.CliOkAsync("client", "add", "Tiny", "--contact-name", "Ty Ng", "--contact-phone", "+1 555 0102", "--contact-email", "ty@tiny.test", "--plan", "Two");
        await Floodgate.CliOkAsync("domain", "add", "tiny.test", "closed.test", "--client", "Tiny");
        await Floodgate.CliOkAsync("domain", "auto-mailboxes", "closed.test", "off");
        await Floodgate.StartAsync("--upstream", Sink.Url, "--dovecot-auth", Dovecot.SocketPath);
    }

    public async Task DisposeAsync()
    {
        await Floodgate.DisposeAsync();
        await Sink.DisposeAsync();
        await Dovecot.DisposeAsync();
    }
}
