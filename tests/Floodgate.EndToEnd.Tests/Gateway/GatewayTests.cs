using System.Diagnostics;
using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Gateway;

public sealed class GatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Password = "correct horse";

    /// <summary>
    /// The relayed bytes after the one field the gateway puts first, the signed RFC 9477 trace header
    /// (no CFBL-Address: the fixture sets no complaint address); the rest must be what the client sent.
    /// </summary>
    private static string AfterTraceHeader(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        Assert.Matches("^CFBL-Feedback-ID: [A-Za-z0-9_-]{32}\r\n", text);
        return text[(text.IndexOf("\r\n", StringComparison.Ordinal) + 2)..];
    }

    [Fact]
    public async Task AuthenticatedSubmissionIsRelayedWithTheBodyByteIdentical()
    {
        fixture.DrainSink();
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.To.Add(MailboxAddress.Parse("carol@example.net"));
        message.Bcc.Add(MailboxAddress.Parse("dave@example.org"));
        message.Subject = "Quarterly figures — ünïcödé";
        var body = new BodyBuilder { TextBody = "Figures attached.\r\n.leading dot line\r\n\r\nRegards, Ann", HtmlBody = "<p>Figures <b>attached</b>.</p>" };
        body.Attachments.Add("figures.csv", Encoding.UTF8.GetBytes("q,amount\n1,100\n"));
        message.Body = body.ToMessageBody();

        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", fixture.Floodgate.Smtp.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("ann@acme.test", Password);
        await client.SendAsync(message);
        await client.DisconnectAsync(true);

        var received = await fixture.Sink.WaitForMessageAsync();
        Assert.Equal("ann@acme.test", received.Sender);
        Assert.Equal(["carol@example.net", "dave@example.org"], received.Recipients);

        // What MailKit put on the wire (it hides Bcc on submission), as MIME bytes.
        var options = MimeKit.FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var expected = new MemoryStream();
        await message.WriteToAsync(options, expected);
        var sentText = Encoding.UTF8.GetString(expected.ToArray());
        var withoutBcc = string.Join("\r\n", sentText.Split("\r\n").Where(l => !l.StartsWith("Bcc:", StringComparison.Ordinal)));
        Assert.Equal(withoutBcc, AfterTraceHeader(received.Data));
    }

    [Fact]
    public async Task RawBytesIncludingOddHeadersArriveUnchanged()
    {
        fixture.DrainSink();
        var raw = "From: Ann <ann@acme.test>\r\nTo: x@example.net\r\nSubject:   odd   spacing\r\n\tfolded\r\nX-Custom:value-without-space\r\nMessage-ID: <raw-1@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nLine one ünïcödé\r\n..dot-stuffed line\r\n   trailing spaces   \r\n\r\nEnd\r\n";
        await using var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp);
        await c.LoginAsync("ann@acme.test", Password);
        await c.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n");
        Assert.Equal(["250 2.1.0 Sender OK", "250 2.1.5 Recipient OK"], (await c.ReadRepliesAsync(2)).ToArray());
        Assert.StartsWith("354", await c.ReadReplyAsync());
        await c.SendAsync(raw + ".\r\n");
        Assert.StartsWith("250 2.0.0", await c.ReadReplyAsync());

        var received = await fixture.Sink.WaitForMessageAsync();
        Assert.Equal(raw.Replace("\r\n..dot", "\r\n.dot", StringComparison.Ordinal), AfterTraceHeader(received.Data));
    }

    [Fact]
    public async Task SwaksSubmissionIsRelayed()
    {
        fixture.DrainSink();
        var (code, output) = await Swaks("--auth", "PLAIN", "--auth-user", "ann@acme.test", "--auth-password", Password, "--from", "ann@acme.test", "--to", "erin@example.net", "--header", "Subject: swaks test");
        Assert.True(code == 0, output);
        Assert.Contains("250 2.0.0", output);
        var received = await fixture.Sink.WaitForMessageAsync();
        Assert.Equal(["erin@example.net"], received.Recipients);
        Assert.Contains("Subject: swaks test", Encoding.UTF8.GetString(received.Data));
    }

    [Fact]
    public async Task UnauthenticatedRelayIsRefusedWith530()
    {
        var (code, output) = await Swaks("--from", "ann@acme.test", "--to", "victim@example.net");
        Assert.NotEqual(0, code);
        Assert.Contains("530 5.7.0", output);

        await using var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp);
        await c.ReadReplyAsync();
        await c.SendAsync("EHLO x\r\nMAIL FROM:<ann@acme.test>\r\nRCPT TO:<victim@example.net>\r\n");
        var replies = await c.ReadRepliesAsync(3);
        Assert.StartsWith("530 5.7.0", replies[1]);
        Assert.StartsWith("503 5.5.1", replies[2]); // no transaction was opened
    }

    [Fact]
    public async Task SenderSpoofingIsRefusedWith553()
    {
        var (code, output) = await Swaks("--auth", "PLAIN", "--auth-user", "ann@acme.test", "--auth-password", Password, "--from", "ceo@bank.example", "--to", "victim@example.net");
        Assert.NotEqual(0, code);
        Assert.Contains("553 5.7.1", output);

        // Another mailbox of the same domain is not the authenticated one either.
        await using var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp);
        await c.LoginAsync("ann@acme.test", Password);
        await c.SendAsync("MAIL FROM:<bob@acme.test>\r\n");
        Assert.StartsWith("553 5.7.1", await c.ReadReplyAsync());
    }

    [Fact]
    public async Task WrongPasswordIsRefusedWith535()
    {
        var (code, output) = await Swaks("--auth", "LOGIN", "--auth-user", "bob@acme.test", "--auth-password", "wrong password", "--from", "bob@acme.test", "--to", "x@example.net");
        Assert.NotEqual(0, code);
        Assert.Contains("535 5.7.8", output);
    }

    [Fact]
    public async Task Recipient201GetsTheCapReplyAndTheFirst200AreRelayed()
    {
        fixture.DrainSink();
        await using var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp);
        await c.LoginAsync("ann@acme.test", Password);
        var commands = new StringBuilder("MAIL FROM:<ann@acme.test>\r\n");
        for (var i = 0; i < 201; i++)
        {
            commands.Append(CultureInfo($"RCPT TO:<r{i}@example{i % 5}.net>\r\n"));
        }

        commands.Append("DATA\r\n");
        // PIPELINING (RFC 2920): everything in one write, every reply comes back in order.
        await c.SendAsync(commands.ToString());
        var replies = await c.ReadRepliesAsync(203);
        Assert.StartsWith("250 2.1.0", replies[0]);
        Assert.All(replies.Skip(1).Take(200), r => Assert.StartsWith("250 2.1.5", r));
        Assert.StartsWith("452 4.5.3", replies[201]);
        Assert.StartsWith("354", replies[202]);
        // 200 external recipients make it bulk: a working List-Unsubscribe lets it pass the bulk rule, so the cap is what is tested.
        await c.SendAsync("Subject: many\r\n" + OptOut.Field + "\r\nhello\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await c.ReadReplyAsync());

        var received = await fixture.Sink.WaitForMessageAsync();
        Assert.Equal(200, received.Recipients.Count);
        Assert.DoesNotContain("r200@example0.net", received.Recipients);
    }

    [Fact]
    public async Task BadInputGetsClearErrorsAndTheServerStaysUp()
    {
        await using (var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp))
        {
            await c.ReadReplyAsync();
            await c.SendAsync("EHLO x\r\n");
            await c.ReadReplyAsync();
            await c.SendAsync("FROB nothing\r\n");
            Assert.StartsWith("500 5.5.2", await c.ReadReplyAsync());
            await c.SendAsync("RCPT TO:<x@example.net>\r\n");
            Assert.StartsWith("5", await c.ReadReplyAsync()); // out of order (or 530: not authenticated)
            await c.SendAsync(new string('A', 1200) + "\r\n");
            Assert.StartsWith("500 5.5.2", await c.ReadReplyAsync());
            await c.SendAsync([0x4d, 0x41, 0x00, 0x49, 0x4c, 0xff, 0xfe, 0x0d, 0x0a]);
            Assert.StartsWith("500 5.5.2", await c.ReadReplyAsync());
            await c.SendAsync("NOOP\r\n");
            Assert.StartsWith("250", await c.ReadReplyAsync());
        }

        // A client that vanishes mid-DATA: nothing is relayed.
        fixture.DrainSink();
        await using (var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp))
        {
            await c.LoginAsync("ann@acme.test", Password);
            await c.SendAsync("MAIL FROM:<ann@acme.test>\r\nRCPT TO:<half@example.net>\r\nDATA\r\n");
            await c.ReadRepliesAsync(3);
            await c.SendAsync("Subject: half\r\n\r\nhalf a messa");
            await Task.Delay(200);
            c.Abort();
        }

        await Task.Delay(500);
        Assert.Empty(fixture.Sink.Messages);
        Assert.True(fixture.Floodgate.IsRunning, fixture.Floodgate.Output);

        // A message over SIZE.
        await using (var c = await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp))
        {
            await c.LoginAsync("ann@acme.test", Password);
            await c.SendAsync("MAIL FROM:<ann@acme.test> SIZE=999999999999\r\n");
            Assert.StartsWith("552 5.3.4", await c.ReadReplyAsync());
        }
    }

    [Fact]
    public async Task ManyIdleConnectionsDoNotStopService()
    {
        var idle = new List<RawSmtpClient>();
        try
        {
            for (var i = 0; i < 150; i++)
            {
                idle.Add(await RawSmtpClient.ConnectAsync(fixture.Floodgate.Smtp));
            }

            // The per-address limit (200 by default) is not reached: a real client is still served.
            fixture.DrainSink();
            var (code, output) = await Swaks("--auth", "PLAIN", "--auth-user", "ann@acme.test", "--auth-password", Password, "--from", "ann@acme.test", "--to", "busy@example.net");
            Assert.True(code == 0, output);
        }
        finally
        {
            foreach (var c in idle)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task HealthAndMetricsAreServed()
    {
        using var http = new HttpClient { BaseAddress = fixture.Floodgate.Web };
        var health = await http.GetStringAsync("/healthz");
        Assert.Contains("\"status\":\"healthy\"", health);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("floodgate_messages_total", metrics);
        Assert.Contains("floodgate_transaction_seconds_bucket", metrics);
    }

    private static string CultureInfo(FormattableString s) => FormattableString.Invariant(s);

    private async Task<(int Code, string Output)> Swaks(params string[] args)
    {
        var psi = new ProcessStartInfo("swaks") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--server");
        psi.ArgumentList.Add($"127.0.0.1:{fixture.Floodgate.Smtp.Port}");
        psi.ArgumentList.Add("--timeout");
        psi.ArgumentList.Add("20");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("swaks is not installed (test.sh installs it)");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
