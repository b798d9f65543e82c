using System.Diagnostics;
using System.Net;
using System.Text;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;
using Floodgate.Protocols.Tests.Content;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.Protocols.Tests.Smtp;

public sealed class SmtpServerTests
{
    private const string Greeting = "220 mx.test ESMTP Floodgate";

    [Fact]
    public async Task PortZeroBindsAFreePortAndReportsIt()
    {
        await using var harness = await SmtpServerHarness.StartAsync();

        Assert.NotEqual(0, harness.EndPoint.Port);
        await using var client = await harness.ConnectAsync();
        Assert.Equal(Greeting, await client.ReadLineAsync());
    }

    [Fact]
    public async Task PipelinedMailTwoHundredRcptAndDataGetEveryReplyInOrder()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await harness.ConnectAsync();
        await client.ReadLineAsync();
        await client.SendAsync("EHLO client.example\r\n");
        await client.ReadReplyAsync();

        var batch = new StringBuilder("MAIL FROM:<alice@example.com> SIZE=100\r\n");
        for (var i = 0; i < 200; i++)
        {
            batch.Append(i % 50 == 49 ? "RCPT TO:<unknown@example.org>\r\n" : $"RCPT TO:<r{i}@example.org>\r\n");
        }

        batch.Append("DATA\r\n");
        await client.SendAsync(batch.ToString());

        Assert.Equal("250 2.1.0 Sender OK", await client.ReadLineAsync());
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(i % 50 == 49 ? "550 5.1.1 Mailbox unknown" : "250 2.1.5 Recipient OK", await client.ReadLineAsync());
        }

        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadLineAsync());
        await client.SendAsync("Subject: many\r\n\r\nbody\r\n.\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());

        var calls = harness.Sessions.Single().Calls;
        Assert.Equal("Rcpt <r0@example.org>", calls.First(c => c.StartsWith("Rcpt", StringComparison.Ordinal)));
        Assert.Equal(200, calls.Count(c => c.StartsWith("Rcpt", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task MessageReachesTheSessionByteExactAfterDotUnstuffing()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        var longLine = new string('L', 5000);
        var wire = Encoding.Latin1.GetBytes(
            "Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nbare lf\nkept\n8bit \u00e9\u00ff\r\n" + longLine + "\r\nend\r\n.\r\n");
        await client.SendAsync(wire);
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());

        var expected = Encoding.Latin1.GetBytes(
            "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nbare lf\nkept\n8bit \u00e9\u00ff\r\n" + longLine + "\r\nend\r\n");
        Assert.Equal(expected, Assert.Single(harness.Sessions.Single().Messages));
    }

    [Fact]
    public async Task LargeMessagesArriveWholeOneAfterAnother()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        // 3 MiB then a small one: the message buffer grows from the pool, is given back, starts again.
        var random = new Random(2920);
        var body = new StringBuilder();
        while (body.Length < 3 * 1024 * 1024)
        {
            body.Append(new string((char)('a' + random.Next(26)), random.Next(1, 990))).Append("\r\n");
        }

        await client.SendAsync("Subject: big\r\n\r\n" + body + ".\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());
        Assert.Equal("250 2.1.0 Sender OK", await client.ReadLineAsync());
        Assert.Equal("250 2.1.5 Recipient OK", await client.ReadLineAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadLineAsync());
        await client.SendAsync("small\r\n.\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());

        var messages = harness.Sessions.Single().Messages;
        Assert.Equal(Encoding.Latin1.GetBytes("Subject: big\r\n\r\n" + body), messages[0]);
        Assert.Equal("small\r\n"u8.ToArray(), messages[1]);
    }

    [Fact]
    public async Task MessageSplitAcrossManyWritesArrivesWhole()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        // Split points inside CRLF, inside the stuffed dot and inside the end line.
        foreach (var piece in new[] { "Subject: x\r", "\n\r\n.", ".dot\r\n", "body\r\n.", "\r", "\n" })
        {
            await client.SendAsync(piece);
            await Task.Delay(20);
        }

        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());
        Assert.Equal("Subject: x\r\n\r\n.dot\r\nbody\r\n"u8.ToArray(), Assert.Single(harness.Sessions.Single().Messages));
    }

    [Fact]
    public async Task DotLineAfterBareLfDoesNotEndTheMessage()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        // SMTP smuggling: "\n.\n" and "\n.\r\n" are content; only CRLF . CRLF ends the message.
        await client.SendAsync("a\r\n.\nMAIL FROM:<x@evil.example>\n.\r\nRCPT TO:<y@example.org>\r\n.\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());
        await client.SendAsync("NOOP\r\n");
        Assert.Equal("250 2.0.0 OK", await client.ReadLineAsync());

        var message = Assert.Single(harness.Sessions.Single().Messages);
        Assert.Equal("a\r\n\nMAIL FROM:<x@evil.example>\n\r\nRCPT TO:<y@example.org>\r\n", Encoding.Latin1.GetString(message));
    }

    [Fact]
    public async Task ClientVanishingMidDataDeliversNothingAndResetsTheSession()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        var client = await StartTransactionAsync(harness);
        await client.SendAsync("Subject: half\r\n\r\nsome content but no end");
        await Task.Delay(50);
        client.Abort();

        var session = harness.Sessions.Single();
        await session.Disposed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(session.Messages);
        var calls = session.Calls;
        Assert.Equal("Reset", calls[calls.IndexOf("Data") + 1]);

        await using var next = await harness.ConnectAsync();
        Assert.Equal(Greeting, await next.ReadLineAsync());
    }

    [Fact]
    public async Task IdleClientGets421AfterTheCommandTimeout()
    {
        await using var harness = await SmtpServerHarness.StartAsync(o => o.CommandTimeout = TimeSpan.FromMilliseconds(300));
        await using var client = await harness.ConnectAsync();
        await client.ReadLineAsync();

        var clock = Stopwatch.StartNew();
        Assert.Equal("421 4.4.2 Idle timeout, closing connection", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task IdleTimeoutFollowsTheTimeProvider()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var harness = await SmtpServerHarness.StartAsync(timeProvider: time);
        await using var client = await harness.ConnectAsync();
        await client.ReadLineAsync();

        // The server arms its timer when it starts waiting; keep moving the clock until it fires.
        var reply = client.ReadLineAsync();
        while (!reply.IsCompleted)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(reply, Task.Delay(20));
        }

        Assert.Equal("421 4.4.2 Idle timeout, closing connection", await reply);
    }

    [Fact]
    public async Task TwoThousandIdleConnectionsAreHeldAndTheNextGets421()
    {
        await using var harness = await SmtpServerHarness.StartAsync(o =>
        {
            o.MaxConnections = 2000;
            o.MaxConnectionsPerAddress = 5000;
        });
        var clients = new List<SmtpTestClient>(2000);
        try
        {
            for (var batch = 0; batch < 2000; batch += 250)
            {
                var connecting = new Task<SmtpTestClient>[250];
                for (var i = 0; i < connecting.Length; i++)
                {
                    connecting[i] = harness.ConnectAsync();
                }

                clients.AddRange(await Task.WhenAll(connecting));
            }

            var greetings = await Task.WhenAll(clients.Select(c => c.ReadLineAsync()));
            Assert.All(greetings, g => Assert.Equal(Greeting, g));
            Assert.Equal(2000, harness.Server.ConnectionCount);

            await using (var refused = await harness.ConnectAsync())
            {
                Assert.Equal("421 4.7.0 Too many connections", await refused.ReadLineAsync());
                Assert.Null(await refused.ReadLineAsync());
            }

            await clients[0].SendAsync("QUIT\r\n");
            Assert.Equal("221 2.0.0 Bye", await clients[0].ReadLineAsync());
            await WaitUntilAsync(() => harness.Server.ConnectionCount < 2000);

            await using var next = await harness.ConnectAsync();
            Assert.Equal(Greeting, await next.ReadLineAsync());
            await next.SendAsync("HELO client.example\r\n");
            Assert.Equal("250 mx.test", await next.ReadLineAsync());
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ConnectionsBeyondThePerAddressLimitGet421()
    {
        await using var harness = await SmtpServerHarness.StartAsync(o => o.MaxConnectionsPerAddress = 2);
        await using var first = await harness.ConnectAsync();
        await using var second = await harness.ConnectAsync();
        Assert.Equal(Greeting, await first.ReadLineAsync());
        Assert.Equal(Greeting, await second.ReadLineAsync());

        await using var third = await harness.ConnectAsync();
        Assert.Equal("421 4.7.0 Too many connections", await third.ReadLineAsync());
        Assert.Null(await third.ReadLineAsync());
    }

    [Fact]
    public async Task StartTlsThenEhloOffersAuth()
    {
        using var certificate = SmtpServerHarness.CreateCertificate();
        await using var harness = await SmtpServerHarness.StartAsync(
            o => o.Certificate = certificate,
            new ScriptedSessionFactory { AuthRequiresTls = true });
        await using var client = await harness.ConnectAsync();
        await client.ReadLineAsync();

        await client.SendAsync("EHLO client.example\r\n");
        var before = await client.ReadReplyAsync();
        Assert.Contains("250-STARTTLS", before);
        Assert.DoesNotContain("250-AUTH PLAIN LOGIN", before);

        // The pipelined RSET was sent in plain text and must not be run inside TLS (CVE-2011-0411).
        await client.SendAsync("STARTTLS\r\nRSET\r\n");
        Assert.Equal("220 2.0.0 Ready to start TLS", await client.ReadLineAsync());
        await client.StartTlsAsync();

        await client.SendAsync("NOOP\r\n");
        Assert.Equal("250 2.0.0 OK", await client.ReadLineAsync());
        await client.SendAsync("MAIL FROM:<alice@example.com>\r\n");
        Assert.Equal("503 5.5.1 Send EHLO or HELO first", await client.ReadLineAsync());
        await client.SendAsync("EHLO client.example\r\n");
        var after = await client.ReadReplyAsync();
        Assert.Contains("250-AUTH PLAIN LOGIN", after);
        Assert.DoesNotContain("250-STARTTLS", after);

        await client.SendAsync("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        Assert.Equal("235 2.7.0 Authentication successful", await client.ReadLineAsync());
        await client.SendAsync("STARTTLS\r\n");
        Assert.Equal("503 5.5.1 TLS already active", await client.ReadLineAsync());
    }

    [Fact]
    public async Task ImplicitTlsListenerGreetsInsideTls()
    {
        using var certificate = SmtpServerHarness.CreateCertificate();
        await using var harness = await SmtpServerHarness.StartAsync(o =>
        {
            o.Certificate = certificate;
            o.Listeners[0].Mode = SmtpListenerMode.ImplicitTls;
        });
        await using var client = await harness.ConnectAsync();
        await client.StartTlsAsync();

        Assert.Equal(Greeting, await client.ReadLineAsync());
        await client.SendAsync("EHLO client.example\r\n");
        var ehlo = await client.ReadReplyAsync();
        Assert.Contains("250-AUTH PLAIN LOGIN", ehlo);
        Assert.DoesNotContain("250-STARTTLS", ehlo);
    }

    [Fact]
    public async Task ImplicitTlsWithoutACertificateFailsAtStart()
    {
        var options = new SmtpServerOptions();
        options.Listeners.Add(new SmtpListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Mode = SmtpListenerMode.ImplicitTls });
        await using var server = new SmtpServer(options, new ScriptedSessionFactory());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync(CancellationToken.None));
        Assert.Contains("certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MailKitSubmitsAMessageOverStartTls()
    {
        using var certificate = SmtpServerHarness.CreateCertificate();
        await using var harness = await SmtpServerHarness.StartAsync(
            o => o.Certificate = certificate,
            new ScriptedSessionFactory { AuthRequiresTls = true });

        using var smtp = new SmtpClient();
        smtp.CheckCertificateRevocation = false;
        smtp.ServerCertificateValidationCallback = static (_, _, _, _) => true;
        await smtp.ConnectAsync(harness.EndPoint.Address.ToString(), harness.EndPoint.Port, SecureSocketOptions.StartTls);
        Assert.True(smtp.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
        await smtp.AuthenticateAsync("alice", "secret");

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@example.com"));
        message.To.Add(MailboxAddress.Parse("bob@example.org"));
        message.To.Add(MailboxAddress.Parse("carol@example.org"));
        message.Subject = "From MailKit";
        message.Body = new TextPart("plain") { Text = ".a line starting with a dot\n\nbye" };
        await smtp.SendAsync(message);
        await smtp.DisconnectAsync(quit: true);

        var session = harness.Sessions.Single();
        var received = Encoding.UTF8.GetString(Assert.Single(session.Messages));
        Assert.Contains("Subject: From MailKit\r\n", received, StringComparison.Ordinal);
        Assert.Contains("\r\n.a line starting with a dot\r\n", received, StringComparison.Ordinal);
        Assert.Contains("Rcpt <carol@example.org>", session.Calls);
    }

    [Fact]
    public async Task StopClosesIdleConnectionsWith421()
    {
        var harness = await SmtpServerHarness.StartAsync();
        await using var client = await harness.ConnectAsync();
        await client.ReadLineAsync();

        var clock = Stopwatch.StartNew();
        await harness.Server.StopAsync(CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {clock.Elapsed}");
        Assert.Equal("421 4.3.2 Service shutting down", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
        await harness.DisposeAsync();
    }

    [Fact]
    public async Task StopLetsAnOpenTransactionFinish()
    {
        var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        var stopping = harness.Server.StopAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted);

        await client.SendAsync("Subject: last\r\n\r\n.\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());
        Assert.Equal("421 4.3.2 Service shutting down", await client.ReadLineAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
        await harness.DisposeAsync();
    }

    [Fact]
    public async Task SessionFailureClosesOnlyThatConnectionWith421()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true, ThrowOnMail = true });
        await using var client = await harness.ConnectAsync();
        await client.ReadLineAsync();
        await client.SendAsync("HELO client.example\r\nMAIL FROM:<a@example.com>\r\n");
        Assert.Equal("250 mx.test", await client.ReadLineAsync());
        Assert.Equal("421 4.3.0 Internal error, closing connection", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());

        await using var next = await harness.ConnectAsync();
        Assert.Equal(Greeting, await next.ReadLineAsync());
    }

    [Fact]
    public async Task NewMailAfterACompletedTransactionResetsTheSessionFirst()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);
        await client.SendAsync("x\r\n.\r\nMAIL FROM:<second@example.com>\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());
        Assert.Equal("250 2.1.0 Sender OK", await client.ReadLineAsync());

        var calls = harness.Sessions.Single().Calls;
        Assert.Equal("Reset", calls[calls.IndexOf("Mail <second@example.com> 0") - 1]);
    }

    [Fact]
    public async Task AThreeMebibyteMessageArrivesSpooledAndByteIdentical()
    {
        using var directory = new TemporaryDirectory();
        var spool = new MessageSpool(new MessageSpoolOptions { Directory = directory.Path });
        await using var harness = await SmtpServerHarness.StartAsync(o => o.Spool = spool, new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        var random = new Random(5321);
        var body = new StringBuilder();
        while (body.Length < 3 * 1024 * 1024)
        {
            body.Append(new string((char)('a' + random.Next(26)), random.Next(1, 990))).Append("\r\n");
        }

        await client.SendAsync("Subject: big\r\n\r\n" + body + ".\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());

        var received = Assert.Single(harness.Sessions.Single().Received);
        Assert.True(received.IsSpooled);
        Assert.False(received.InMemory);
        Assert.Equal(Encoding.Latin1.GetBytes("Subject: big\r\n\r\n" + body), received.Bytes);
        Assert.Equal(received.Bytes.AsSpan(0, MessageSpool.HeadSize).ToArray(), received.Head);
        Assert.False(received.HasBareLineFeed);

        // The connection disposed the content before it replied: no file, nothing held.
        Assert.Empty(directory.Files);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Equal(0, spool.MemoryBytes);
    }

    [Fact]
    public async Task AFiveKilobyteMessageArrivesInMemory()
    {
        await using var harness = await SmtpServerHarness.StartAsync(sessions: new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        await client.SendAsync("Subject: small\r\n\r\n" + string.Concat(Enumerable.Repeat("A line of text, as most are.\r\n", 170)) + ".\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());

        var received = Assert.Single(harness.Sessions.Single().Received);
        Assert.True(received.InMemory);
        Assert.False(received.IsSpooled);
        Assert.Equal(0, harness.Server.Spool.PeakSpoolBytes);
    }

    [Fact]
    public async Task AFullSpoolRefusesWith452AndResetsTheSessionWithoutCallingMessage()
    {
        using var directory = new TemporaryDirectory();
        var spool = new MessageSpool(new MessageSpoolOptions { Directory = directory.Path, MemoryThreshold = 64 * 1024, MaxSpoolBytes = 100 * 1024 });
        await using var harness = await SmtpServerHarness.StartAsync(o => o.Spool = spool, new ScriptedSessionFactory { Trusted = true });
        await using var client = await StartTransactionAsync(harness);

        await client.SendAsync("Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 998) + "\r\n", 200)) + ".\r\n");
        Assert.Equal("452 4.3.1 Insufficient system storage; try again later", await client.ReadLineAsync());
        await client.SendAsync("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
        Assert.Equal("250 2.1.0 Sender OK", await client.ReadLineAsync());
        Assert.Equal("250 2.1.5 Recipient OK", await client.ReadLineAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadLineAsync());
        await client.SendAsync("Subject: small\r\n\r\nhello\r\n.\r\n");
        Assert.Equal("250 2.0.0 Queued", await client.ReadLineAsync());

        var calls = harness.Sessions.Single().Calls;
        Assert.Equal(["Data", "Reset", "Mail <alice@example.com> 0"], calls[calls.IndexOf("Data")..(calls.IndexOf("Data") + 3)]);
        Assert.Equal("Message 25", Assert.Single(calls, c => c.StartsWith("Message", StringComparison.Ordinal)));
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Empty(directory.Files);
    }

    [Fact]
    public async Task TheContentIsDisposedWhenTheSessionThrows()
    {
        using var directory = new TemporaryDirectory();
        var spool = new MessageSpool(new MessageSpoolOptions { Directory = directory.Path, MemoryThreshold = 1024 });
        await using var harness = await SmtpServerHarness.StartAsync(o => o.Spool = spool, new ScriptedSessionFactory { Trusted = true, ThrowOnMessage = true });
        await using var client = await StartTransactionAsync(harness);

        await client.SendAsync("Subject: x\r\n\r\n" + new string('x', 5000) + "\r\n.\r\n");
        Assert.Equal("421 4.3.0 Internal error, closing connection", await client.ReadLineAsync());

        Assert.True(Assert.Single(harness.Sessions.Single().Received).IsSpooled);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Equal(0, spool.MemoryBytes);
        Assert.Empty(directory.Files);
    }

    [Fact]
    public async Task TheContentIsDisposedWhenTheClientVanishesMidData()
    {
        using var directory = new TemporaryDirectory();
        var spool = new MessageSpool(new MessageSpoolOptions { Directory = directory.Path, MemoryThreshold = 1024 });
        await using var harness = await SmtpServerHarness.StartAsync(o => o.Spool = spool, new ScriptedSessionFactory { Trusted = true });
        var client = await StartTransactionAsync(harness);
        await client.SendAsync("Subject: half\r\n\r\n" + new string('x', 5000) + "\r\nno end");
        await WaitUntilAsync(() => directory.Files.Length == 1);

        client.Abort();
        await harness.Sessions.Single().Disposed.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(harness.Sessions.Single().Messages);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Equal(0, spool.MemoryBytes);
        Assert.Empty(directory.Files);
    }

    [Fact]
    public async Task WithoutASpoolTheServerMakesItsOwnAndDeletesItsFolderAtDispose()
    {
        var harness = await SmtpServerHarness.StartAsync();
        var folder = harness.Server.Spool.Directory;
        Assert.True(Directory.Exists(folder));
        Assert.Equal(1024 * 1024, harness.Server.Spool.MemoryThreshold);

        await harness.DisposeAsync();

        Assert.False(Directory.Exists(folder));
    }

    private static async Task<SmtpTestClient> StartTransactionAsync(SmtpServerHarness harness)
    {
        var client = await harness.ConnectAsync();
        Assert.Equal(Greeting, await client.ReadLineAsync());
        await client.SendAsync("EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
        await client.ReadReplyAsync();
        Assert.Equal("250 2.1.0 Sender OK", await client.ReadLineAsync());
        Assert.Equal("250 2.1.5 Recipient OK", await client.ReadLineAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadLineAsync());
        return client;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "Condition not met in time.");
            await Task.Delay(10);
        }
    }
}
