using System.Net;
using System.Net.Sockets;
using System.Text;
using Floodgate.Core.Detection;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Complaints;
using Floodgate.Web.Tests.Infrastructure;
using Floodgate.Web.Tests.Notifications;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.Web.Tests.Detection;

/// <summary>
/// The signs of a stolen password through the real doors of `serve`: the gateway relaying to an upstream
/// that refuses unknown users, a bounce through the bounce door, logins through policy delegation; read
/// back from the mailbox's API and console page, and kept across a restart.
/// </summary>
public sealed class CompromiseSignalsTests
{
    private static Dictionary<string, string?> Settings(SmtpSink? upstream = null, int invalidPerHour = 5, int networksPerDay = 10)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Complaints:Address"] = ArfKit.ComplaintAddress,
            ["Detection:InvalidRecipientsPerHour"] = invalidPerHour.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Detection:LoginNetworksPerDay"] = networksPerDay.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (upstream is not null)
            settings["Upstream:Url"] = upstream.Url;
        return settings;
    }

    [Fact]
    public async Task UnknownUsersRefusedByTheUpstreamHoldTheNextMessageAndShowOnTheMailbox()
    {
        await using var upstream = await SmtpSink.StartAsync();
        upstream.UnknownUser = address => address.StartsWith("nobody", StringComparison.Ordinal);
        await using var serve = await TestServe.StartAsync(Settings(upstream));
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);

        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(serve.Smtp.Address.ToString(), serve.Smtp.Port, SecureSocketOptions.None);
        await smtp.AuthenticateAsync("editor@sender.example", TestServe.Password);
        // Four unknown users, the first of them twice (one address, counted once), then a fifth: the threshold.
        string[] guesses = ["nobody0@harvested.example", "nobody1@harvested.example", "nobody2@harvested.example", "nobody3@harvested.example", "nobody0@harvested.example", "nobody4@harvested.example"];
        foreach (var to in guesses)
        {
            var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(Message("editor@sender.example", to)));
            Assert.True(refused.StatusCode == SmtpStatusCode.MailboxUnavailable, $"{to}: {(int)refused.StatusCode} {refused.Message}");
        }

        var held = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(Message("editor@sender.example", "friend@real.example")));
        Assert.Equal(451, (int)held.StatusCode);
        Assert.Contains("signs of being used by someone else (invalid-recipients)", held.Message, StringComparison.Ordinal);
        Assert.Empty(await upstream.WaitForAcceptedAsync(0));

        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);
        using var response = await desk.GetAsync($"/api/v1/mailboxes/{sender.MailboxId}/compromise");
        var view = await response.ReadAsync<MailboxCompromiseView>();
        Assert.Equal(5, view.InvalidRecipientsLastHour);
        Assert.Equal(5, view.InvalidRecipientsAtUpstream);
        Assert.Equal(5, view.InvalidRecipientsPerHour);
        Assert.Contains("nobody4@harvested.example", view.RecentInvalidRecipients);

        using var session = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk);
        var page = await session.Http.GetStringAsync($"/Mailboxes/{sender.MailboxId}");
        Assert.Contains("5 recipient(s) refused as unknown users in the last hour (5 by the upstream, 0 in bounces)", page, StringComparison.Ordinal);

        // The thief goes on after the hold: an offense, the mailbox suspended, the signal in the evidence.
        var refusedAgain = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(Message("editor@sender.example", "other@real.example")));
        Assert.Equal(550, (int)refusedAgain.StatusCode);
        using var list = await desk.GetAsync($"/api/v1/offenses?mailboxId={sender.MailboxId}");
        var offense = Assert.Single((await list.ReadAsync<Page<OffenseListItem>>()).Items);
        using var one = await desk.GetAsync($"/api/v1/offenses/{offense.Id}");
        var evidence = await one.ReadAsync<OffenseEvidence>();
        var signal = Assert.Single(evidence.Signals, s => s.Rule == CompromiseWatch.InvalidRecipientsRule);
        Assert.Contains("5 distinct recipients refused as unknown users", signal.Explanation, StringComparison.Ordinal);
        Assert.Contains(evidence.Signals, s => s.Rule == "persistence");
    }

    [Fact]
    public async Task AnUnknownUserBounceOfARelayedMessageCountsForItsSender()
    {
        await using var upstream = await SmtpSink.StartAsync();
        await using var serve = await TestServe.StartAsync(Settings(upstream));
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        await ArfKit.SendAsync(serve, "editor@sender.example", to: "gone@far.example");
        var relayed = Assert.Single(await upstream.WaitForAcceptedAsync(1));

        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);
        using (var posted = await desk.PostAsync("/api/v1/bounces", new StringContent(Dsn(Encoding.ASCII.GetString(relayed.Data), "gone@far.example", "5.1.1", "smtp; 550 5.1.1 <gone@far.example>: user unknown"), Encoding.ASCII, "message/rfc822")))
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());

        // A full mailbox bounces too, and is no sign of a harvested list.
        await ArfKit.SendAsync(serve, "editor@sender.example", to: "full@far.example");
        var second = (await upstream.WaitForAcceptedAsync(2))[1];
        using (var posted = await desk.PostAsync("/api/v1/bounces", new StringContent(Dsn(Encoding.ASCII.GetString(second.Data), "full@far.example", "5.2.2", "smtp; 552 5.2.2 mailbox full"), Encoding.ASCII, "message/rfc822")))
            Assert.True(posted.IsSuccessStatusCode);

        using var response = await desk.GetAsync($"/api/v1/mailboxes/{sender.MailboxId}/compromise");
        var view = await response.ReadAsync<MailboxCompromiseView>();
        Assert.Equal(1, view.InvalidRecipientsInBounces);
        Assert.Equal(["gone@far.example"], view.RecentInvalidRecipients);
    }

    [Fact]
    public async Task LoginsFromManyNetworksThroughPolicyDelegationHoldTheMailboxAtTheGateway()
    {
        await using var upstream = await SmtpSink.StartAsync();
        await using var serve = await TestServe.StartAsync(Settings(upstream, networksPerDay: 10));
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);

        // Postfix authenticated the login from 12 networks (IPv4 and IPv6), and the office NAT many times.
        var policy = serve.Get<Floodgate.Hosting.PostfixDoorsHost>().PolicyEndPoints[0];
        using (var wire = await PolicyClient.ConnectAsync(policy))
        {
            for (var i = 0; i < 12; i++)
            {
                var address = i % 2 == 0 ? $"198.51.{100 + i}.7" : $"2001:db8:{i:x}::7";
                Assert.Equal("DUNNO", await wire.AskAsync("editor@sender.example", address, $"q{i}"));
                Assert.Equal("DUNNO", await wire.AskAsync("editor@sender.example", "203.0.113.200", $"n{i}"));
            }
        }

        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);
        using (var response = await desk.GetAsync($"/api/v1/mailboxes/{sender.MailboxId}/compromise"))
        {
            var view = await response.ReadAsync<MailboxCompromiseView>();
            Assert.Equal(13, view.LoginNetworksLastDay.Count);
            Assert.Contains(view.LoginNetworksLastDay, n => n.Network == "2001:db8:b::/48");
        }

        var held = await Assert.ThrowsAsync<SmtpCommandException>(() => ArfKit.SendAsync(serve, "editor@sender.example"));
        Assert.Equal(451, (int)held.StatusCode);
        Assert.Contains("login-networks", held.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLoginNetworksSurviveARestart()
    {
        var settings = Settings();
        var serve = await TestServe.StartAsync(settings);
        var data = serve.DataDirectory;
        int mailboxId;
        try
        {
            mailboxId = (await serve.SeedClientAsync("Sender Co", "sender.example", "editor")).MailboxId;
            await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
            using var wire = await PolicyClient.ConnectAsync(serve.Get<Floodgate.Hosting.PostfixDoorsHost>().PolicyEndPoints[0]);
            Assert.Equal("DUNNO", await wire.AskAsync("editor@sender.example", "192.0.2.33", "a1"));
            Assert.Equal("DUNNO", await wire.AskAsync("editor@sender.example", "::ffff:198.51.100.4", "a2"));
        }
        finally
        {
            // Stopped, not disposed: the data folder stays for the next start (which deletes it at the end).
            await serve.Serve.DisposeAsync();
        }

        Assert.True(File.Exists(Path.Combine(data, "networks.bin")));
        await using var again = await TestServe.StartAsync(settings, data);
        using var desk = await again.ApiClientAsync(WebRole.AbuseDesk);
        using var response = await desk.GetAsync($"/api/v1/mailboxes/{mailboxId}/compromise");
        var view = await response.ReadAsync<MailboxCompromiseView>();
        Assert.Equal(["192.0.2.0/24", "198.51.100.0/24"], view.LoginNetworksLastDay.Select(n => n.Network).Order());
        Assert.NotNull(view.LoginsSince);
    }

    private static MimeMessage Message(string from, string to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "Hello " + Guid.NewGuid().ToString("N")[..8];
        message.Body = new TextPart("plain") { Text = "Are you there? " + Guid.NewGuid() };
        return message;
    }

    /// <summary>An RFC 3464 delivery status notification returning the headers of <paramref name="original"/>.</summary>
    private static string Dsn(string original, string recipient, string status, string diagnostic)
    {
        var headers = original.ReplaceLineEndings("\r\n");
        var end = headers.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return "From: MAILER-DAEMON@mx.far.example\r\n" +
            "To: editor@sender.example\r\n" +
            "Subject: Undelivered Mail Returned to Sender\r\n" +
            "Auto-Submitted: auto-replied\r\n" +
            "MIME-Version: 1.0\r\n" +
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n" +
            "--b1\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n" +
            "--b1\r\nContent-Type: message/delivery-status\r\n\r\n" +
            "Reporting-MTA: dns; mx.far.example\r\n\r\n" +
            $"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic}\r\n\r\n" +
            "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n" + (end < 0 ? headers : headers[..(end + 2)]) +
            "--b1--\r\n";
    }

    /// <summary>Postfix's side of policy delegation, one RCPT request per call (SMTPD_POLICY_README).</summary>
    private sealed class PolicyClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _buffer = new byte[4096];

        private PolicyClient(Socket socket) => _socket = socket;

        public static async Task<PolicyClient> ConnectAsync(EndPoint endPoint)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endPoint);
            return new PolicyClient(socket);
        }

        public async Task<string> AskAsync(string login, string clientAddress, string instance)
        {
            var request = "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n" +
                $"client_address={clientAddress}\nclient_name=unknown\nhelo_name=client.example\n" +
                $"sender={login}\nrecipient=someone@example.org\nrecipient_count=0\nqueue_id=\ninstance={instance}\nsize=0\n" +
                $"sasl_method=PLAIN\nsasl_username={login}\nsasl_sender=\n\n";
            await _socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
            var answer = new StringBuilder();
            while (!answer.ToString().Contains("\n\n", StringComparison.Ordinal))
            {
                var n = await _socket.ReceiveAsync(_buffer, SocketFlags.None);
                if (n == 0)
                    throw new IOException("the policy door closed the connection: " + answer);
                answer.Append(Encoding.ASCII.GetString(_buffer, 0, n));
            }

            var line = answer.ToString().Split('\n')[0];
            return line.StartsWith("action=", StringComparison.Ordinal) ? line["action=".Length..] : line;
        }

        public void Dispose() => _socket.Dispose();
    }
}
