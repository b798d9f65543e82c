using System.Net;
using System.Text;
using Floodgate.Protocols.Lmtp;
using Floodgate.Protocols.Tests.Smtp;

namespace Floodgate.Protocols.Tests.Lmtp;

public sealed class LmtpServerTests
{
    private const string Lhlo = "LHLO mx.example.com\r\n";

    [Fact]
    public async Task RecipientsPastOneThousandAreDeferredWith452AndGetNoReplyAfterData()
    {
        await using var harness = await LmtpServerHarness.StartAsync();
        await using var client = await harness.ConnectAsync();
        await ReadGreetingAndLhloAsync(client);

        var envelope = new StringBuilder("MAIL FROM:<>\r\n");
        for (var i = 0; i < 1001; i++)
        {
            envelope.Append("RCPT TO:<member").Append(i).Append("@lists.test>\r\n");
        }

        envelope.Append("DATA\r\n");
        await client.SendAsync(envelope.ToString());
        Assert.Equal("250 2.1.0 Sender OK", await client.ReadLineAsync());
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal("250 2.1.5 Recipient OK", await client.ReadLineAsync());
        }

        Assert.Equal("452 4.5.3 Too many recipients", await client.ReadLineAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadLineAsync());

        await client.SendAsync("Subject: bounce\r\n\r\n.\r\n");
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal("250 2.0.0 Delivered", await client.ReadLineAsync());
        }

        await client.SendAsync("NOOP\r\n");
        Assert.Equal("250 2.0.0 OK", await client.ReadLineAsync());
        Assert.True(harness.Sessions.TryPeekSingle(out var session));
        Assert.Contains("Deliver 19 to 1000", session.Calls);
        Assert.DoesNotContain("Rcpt <member1000@lists.test>", session.Calls);
    }

    [Fact]
    public async Task HandlerGetsTheRecipientsInRcptOrderAndTheUnstuffedMessage()
    {
        await using var harness = await LmtpServerHarness.StartAsync();
        await using var client = await harness.ConnectAsync();
        await ReadGreetingAndLhloAsync(client);

        await client.SendAsync("MAIL FROM:<alice@example.com>\r\nRCPT TO:<b@lists.test>\r\nRCPT TO:<a@lists.test>\r\nDATA\r\n");
        for (var i = 0; i < 4; i++)
        {
            await client.ReadLineAsync();
        }

        await client.SendAsync("Subject: x\r\n\r\n..dot\r\n.\r\n");
        Assert.Equal("250 2.0.0 Delivered", await client.ReadLineAsync());
        Assert.Equal("250 2.0.0 Delivered", await client.ReadLineAsync());

        Assert.True(harness.Sessions.TryPeekSingle(out var session));
        Assert.Equal(["Reset", "Mail <alice@example.com> 0", "Rcpt <b@lists.test>", "Rcpt <a@lists.test>", "Deliver 20 to 2"], session.Calls);
        Assert.Equal("Subject: x\r\n\r\n.dot\r\n", Encoding.ASCII.GetString(session.Messages[0]));
    }

    [Fact]
    public async Task UnroutedSessionAcceptsEveryRecipientAndDefersEachAfterData()
    {
        var options = new LmtpServerOptions { HostName = "lists.test" };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = new LmtpServer(options, new UnroutedLmtpSessionFactory());
        await server.StartAsync(CancellationToken.None);
        await using var client = await SmtpTestClient.ConnectAsync(server.EndPoints[0]);
        await ReadGreetingAndLhloAsync(client);

        await client.SendAsync("MAIL FROM:<>\r\nRCPT TO:<announce@lists.test>\r\nRCPT TO:<anyone@lists.test>\r\nDATA\r\n");
        Assert.Equal("250 2.1.0 Sender OK", await client.ReadLineAsync());
        Assert.Equal("250 2.1.5 Recipient OK", await client.ReadLineAsync());
        Assert.Equal("250 2.1.5 Recipient OK", await client.ReadLineAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadLineAsync());
        await client.SendAsync("Subject: x\r\n\r\n.\r\n");
        Assert.Equal("451 4.3.2 List service not ready", await client.ReadLineAsync());
        Assert.Equal("451 4.3.2 List service not ready", await client.ReadLineAsync());
    }

    [Fact]
    public async Task OptionsWithoutAnEndPointFailAtStartNamingTheSetting()
    {
        await using var server = new LmtpServer(new LmtpServerOptions(), new UnroutedLmtpSessionFactory());
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync(CancellationToken.None));
        Assert.Contains("LmtpServerOptions.EndPoints", e.Message, StringComparison.Ordinal);
    }

    private static async Task ReadGreetingAndLhloAsync(SmtpTestClient client)
    {
        Assert.Equal("220 lists.test LMTP Floodgate", await client.ReadLineAsync());
        await client.SendAsync(Lhlo);
        while ((await client.ReadLineAsync())!.StartsWith("250-", StringComparison.Ordinal))
        {
        }
    }
}
