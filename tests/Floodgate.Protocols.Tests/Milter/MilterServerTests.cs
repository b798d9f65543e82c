using System.Buffers.Binary;
using System.Net.Sockets;
using Floodgate.Protocols.Milter;
using Microsoft.Extensions.Time.Testing;
using static Floodgate.Protocols.Tests.Milter.MilterTestClient;

namespace Floodgate.Protocols.Tests.Milter;

public sealed class MilterServerTests : IAsyncLifetime
{
    // What Postfix 3.x offers: all actions (SMFIF_*) and all protocol flags (SMFIP_*) it knows.
    private const uint PostfixActions = 0x1FF;
    private const uint PostfixProtocol = 0x1FFFFF;
    private readonly RecordingSessionFactory _factory = new();
    private MilterServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new MilterServer(new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], MaxMessageSize = 100_000 }, _factory);
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<MilterTestClient> OpenAsync(uint protocol = PostfixProtocol)
    {
        var client = await ConnectAsync(_server.LocalEndPoints[0]);
        await client.SendAsync(OptionNegotiation(6, PostfixActions, protocol));
        var (command, data) = await client.ReadReplyAsync();
        Assert.Equal('O', command);
        await client.SendAsync(Macros('C', "j", "mx.example.com", "{daemon_name}", "submission"));
        await client.SendAsync(Connect("mail.example.net", "192.0.2.10", 50123));
        Assert.Equal("c", await client.ReadReplyTextAsync());
        return client;
    }

    private static async Task SendEnvelopeAsync(MilterTestClient client, string queueId, params string[] recipients)
    {
        await client.SendAsync(Macros('M', "i", queueId, "{auth_authen}", "alice", "{mail_addr}", "alice@example.com"));
        await client.SendAsync('M', "<alice@example.com>", "SIZE=1234", "BODY=8BITMIME");
        Assert.Equal("c", await client.ReadReplyTextAsync());
        foreach (var recipient in recipients)
        {
            await client.SendAsync(Macros('R', "{rcpt_addr}", recipient));
            await client.SendAsync('R', $"<{recipient}>");
            await client.ReadReplyTextAsync();
        }
    }

    private static async Task SendContentAsync(MilterTestClient client, string subject, int bodyChunks)
    {
        await client.SendAsync(Macros('T', "i", "Q1"));
        await client.SendAsync(Packet('T', []));
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync('L', "From", "alice@example.com");
        await client.SendAsync('L', "To", "bob@example.org");
        await client.SendAsync('L', "Subject", subject);
        await client.SendAsync(Packet('N', []));
        Assert.Equal("c", await client.ReadReplyTextAsync());
        for (var i = 0; i < bodyChunks; i++)
        {
            await client.SendAsync(Packet('B', new byte[1000]));
        }

        await client.SendAsync(Macros('E', "i", "Q1"));
        await client.SendAsync(Packet('E', []));
    }

    [Fact]
    public async Task NegotiationAsksForHeaderActionsAndNoRepliesToHeadersAndBody()
    {
        using var client = await ConnectAsync(_server.LocalEndPoints[0]);

        await client.SendAsync(OptionNegotiation(6, PostfixActions, PostfixProtocol));
        var (command, data) = await client.ReadReplyAsync();

        Assert.Equal('O', command);
        Assert.Equal(6u, BinaryPrimitives.ReadUInt32BigEndian(data));
        Assert.Equal((uint)(MilterActions.AddHeaders | MilterActions.Quarantine), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4)));
        Assert.Equal((uint)(MilterProtocolFlags.NoReplyHeader | MilterProtocolFlags.NoReplyBody), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8)));
        Assert.Equal(12, data.Length);
    }

    [Fact]
    public async Task FullExchangeAsPostfixDoesItThenAbortAndASecondMessageThenQuit()
    {
        using var client = await OpenAsync();
        await client.SendAsync(Macros('H', "{tls_version}", "TLSv1.3"));
        await client.SendAsync('H', "mail.example.net");
        Assert.Equal("c", await client.ReadReplyTextAsync());

        await client.SendAsync(Macros('M', "i", "Q1", "{auth_authen}", "alice", "{mail_addr}", "alice@example.com"));
        await client.SendAsync('M', "<alice@example.com>", "SIZE=1234");
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Macros('R', "{rcpt_addr}", "bob@example.org"));
        await client.SendAsync('R', "<bob@example.org>");
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Macros('R', "{rcpt_addr}", "blocked@example.org"));
        await client.SendAsync('R', "<blocked@example.org>");
        Assert.Equal("y 550 5.7.1 Recipient blocked by policy|", await client.ReadReplyTextAsync());
        await SendContentAsync(client, "hello", bodyChunks: 3);
        Assert.Equal("h X-Floodgate|checked|", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());

        await client.SendAsync(Packet('A', []));
        await SendEnvelopeAsync(client, "Q2", "carol@example.org");
        await SendContentAsync(client, "quarantine me", bodyChunks: 1);
        Assert.Equal("q suspected spam run|", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Packet('Q', []));

        Assert.True(await client.IsClosedAsync());
        var session = Assert.Single(_factory.Sessions);
        await PolicyDelegation.PolicyServerListenerTests.WaitForAsync(() => session.Events.Contains("close"));
        Assert.Equal(
            [
                "connect mail.example.net 4 192.0.2.10:50123 j=mx.example.com",
                "helo mail.example.net",
                "mail alice@example.com size=1234 auth=alice i=Q1",
                "rcpt bob@example.org rcpt_addr=bob@example.org",
                "rcpt blocked@example.org rcpt_addr=blocked@example.org",
                "data", "header From", "header To", "header Subject", "eoh",
                "eom body=3000 size=3062 i=Q1",
                "abort",
                "mail alice@example.com size=1234 auth=alice i=Q2",
                "rcpt carol@example.org rcpt_addr=carol@example.org",
                "data", "header From", "header To", "header Subject", "eoh",
                "eom body=1000 size=1070 i=Q1",
                "close",
            ],
            session.Events);
    }

    [Fact]
    public async Task WithoutNoReplyFlagsEveryHeaderAndChunkIsAnswered()
    {
        using var client = await OpenAsync(protocol: 0);
        await SendEnvelopeAsync(client, "Q1", "bob@example.org");
        await client.SendAsync(Packet('T', []));
        Assert.Equal("c", await client.ReadReplyTextAsync());

        await client.SendAsync('L', "Subject", "hi");
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Packet('N', []));
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Packet('B', new byte[10]));
        Assert.Equal("c", await client.ReadReplyTextAsync());
    }

    [Fact]
    public async Task MessageOverTheSizeLimitIsRefusedAtEndOfMessageWithoutAskingTheSession()
    {
        using var client = await OpenAsync();
        await SendEnvelopeAsync(client, "Q1", "bob@example.org");

        await SendContentAsync(client, "big", bodyChunks: 150);

        Assert.Equal("y 552 5.3.4 Message size exceeds the limit of this service|", await client.ReadReplyTextAsync());
        var session = Assert.Single(_factory.Sessions);
        Assert.DoesNotContain(session.Events, e => e.StartsWith("eom", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OversizeIsAnsweredAtOnceWhenChunksExpectReplies()
    {
        using var client = await OpenAsync(protocol: 0);
        await SendEnvelopeAsync(client, "Q1", "bob@example.org");
        await client.SendAsync(Packet('T', []));
        await client.ReadReplyTextAsync();
        await client.SendAsync(Packet('N', []));
        await client.ReadReplyTextAsync();

        await client.SendAsync(Packet('B', new byte[65536]));
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Packet('B', new byte[65536]));

        Assert.Equal("y 552 5.3.4 Message size exceeds the limit of this service|", await client.ReadReplyTextAsync());
    }

    [Fact]
    public async Task HugeDeclaredLengthClosesTheConnectionWithoutAllocatingIt()
    {
        using var client = await ConnectAsync(_server.LocalEndPoints[0]);
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0xFFFF_FFF0);
        header[4] = (byte)'B';

        await client.SendAsync(header);

        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task TruncatedPacketThenCloseEndsTheSessionAndOthersAreStillServed()
    {
        using (var rude = await OpenAsync())
        {
            var packet = Packet('M', Strings("<alice@example.com>"));
            await rude.SendAsync(packet[..10]);
        }

        using var client = await OpenAsync();
        await SendEnvelopeAsync(client, "Q1", "bob@example.org");

        await PolicyDelegation.PolicyServerListenerTests.WaitForAsync(() => _factory.Sessions[0].Events.Contains("close"));
    }

    [Fact]
    public async Task UnknownCommandClosesTheConnection()
    {
        using var client = await OpenAsync();

        await client.SendAsync(Packet('Z', [1, 2, 3]));

        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task CommandOutOfOrderClosesTheConnection()
    {
        using var client = await ConnectAsync(_server.LocalEndPoints[0]);
        await client.SendAsync(OptionNegotiation(6, PostfixActions, PostfixProtocol));
        await client.ReadReplyAsync();

        await client.SendAsync('M', "<alice@example.com>");

        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task StringWithoutNulClosesTheConnection()
    {
        using var client = await OpenAsync();

        await client.SendAsync(Packet('H', "no-nul"u8));

        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task FailingSessionIsAnsweredWithTempfailAndClosed()
    {
        using var client = await OpenAsync();
        await SendEnvelopeAsync(client, "Q1");

        await client.SendAsync('R', "<boom@example.org>");

        Assert.Equal("t", await client.ReadReplyTextAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task DecisionsThatWaitAreAnsweredInOrderBeforeTheNextPacketIsRead()
    {
        using var client = await OpenAsync();
        await client.SendAsync(Macros('M', "i", "Q1", "{auth_authen}", "alice"));
        // Sent at once, as a pipelining client makes Postfix send them: each answer in its place.
        await client.SendAsync('M', "<slow-alice@example.com>");
        await client.SendAsync('R', "<slow-blocked@example.org>");
        await client.SendAsync('R', "<bob@example.org>");
        await client.SendAsync('R', "<slow-carol@example.org>");

        Assert.Equal("c", await client.ReadReplyTextAsync());
        Assert.Equal("y 550 5.7.1 Recipient blocked by policy|", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());
        var session = Assert.Single(_factory.Sessions);
        Assert.Equal(["rcpt slow-blocked@example.org rcpt_addr=", "rcpt bob@example.org rcpt_addr=", "rcpt slow-carol@example.org rcpt_addr="], session.Events.Where(e => e.StartsWith("rcpt", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ASessionFailingAfterAWaitIsAnsweredWithTempfailAndClosed()
    {
        using var client = await OpenAsync();
        await SendEnvelopeAsync(client, "Q1");

        await client.SendAsync('R', "<slow-boom@example.org>");

        Assert.Equal("t", await client.ReadReplyTextAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task NewMailWithoutAbortIsAnImplicitAbort()
    {
        using var client = await OpenAsync();
        await SendEnvelopeAsync(client, "Q1", "bob@example.org");

        await SendEnvelopeAsync(client, "Q2", "carol@example.org");

        var session = Assert.Single(_factory.Sessions);
        Assert.Contains("abort", session.Events);
        Assert.Equal("mail alice@example.com size=1234 auth=alice i=Q2", session.Events[^2]);
    }
}

public sealed class MilterServerListenerTests
{
    [Fact]
    public async Task UnixSocketServesAMilterConnection()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fg-milter-{Guid.NewGuid():N}.sock");
        var factory = new RecordingSessionFactory();
        await using var server = new MilterServer(new MilterServerOptions { TcpEndPoints = [], UnixSocketPath = path }, factory);
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(new UnixDomainSocketEndPoint(path));

        await client.SendAsync(OptionNegotiation(6, 0x1FF, 0x1FFFFF));
        Assert.Equal('O', (await client.ReadReplyAsync()).Command);
        await client.SendAsync(Connect("localhost", "127.0.0.1", 1));

        Assert.Equal("c", await client.ReadReplyTextAsync());
    }

    [Fact]
    public async Task SkippedStepsAreAskedForAsFarAsTheMtaOffersThem()
    {
        var skipped = MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoData | MilterProtocolFlags.NoReplyEndOfHeaders;
        await using var server = new MilterServer(new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], SkippedSteps = skipped }, new RecordingSessionFactory());
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(server.LocalEndPoints[0]);

        // An MTA that knows SMFIP_NOHELO and SMFIP_NR_HDR but not SMFIP_NODATA or SMFIP_NR_EOH.
        await client.SendAsync(OptionNegotiation(6, 0x1FF, (uint)(MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoReplyHeader)));
        var (_, data) = await client.ReadReplyAsync();

        Assert.Equal((uint)(MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoReplyHeader), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8)));
    }

    /// <summary>Connect, MAIL and RCPT, each answered "continue" (the steps these tests do not leave out).</summary>
    private static async Task ConnectMailAndRcptAsync(MilterTestClient client)
    {
        await client.SendAsync(Connect("mail.example.net", "192.0.2.10", 50123));
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync('M', "<alice@example.com>");
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync('R', "<bob@example.org>");
        Assert.Equal("c", await client.ReadReplyTextAsync());
    }

    [Fact]
    public async Task WithoutDataAndEndOfHeadersRepliesTheHeadersFollowTheLastRecipient()
    {
        var factory = new RecordingSessionFactory();
        var options = new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], SkippedSteps = MilterProtocolFlags.NoData | MilterProtocolFlags.NoReplyEndOfHeaders };
        await using var server = new MilterServer(options, factory);
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(server.LocalEndPoints[0]);
        await client.SendAsync(OptionNegotiation(6, 0x1FF, 0x1FFFFF));
        await client.ReadReplyAsync();
        await ConnectMailAndRcptAsync(client);
        await client.SendAsync('L', "Subject", "hi");
        await client.SendAsync(Packet('N', []));
        await client.SendAsync(Packet('B', new byte[10]));
        await client.SendAsync(Packet('E', []));

        // The first reply after RCPT is end of message's: nothing answered end of headers.
        Assert.Equal("h X-Floodgate|checked|", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());
        var session = Assert.Single(factory.Sessions);
        Assert.Equal(["header Subject", "eoh"], session.Events.Where(e => e is "header Subject" or "eoh" or "data"));
    }

    [Fact]
    public async Task WithEveryStepLeftOutEndOfMessageFollowsNegotiationAndIsAnswered()
    {
        // What bench/Floodgate.LoadGen noop-milter --steps eom-only asks: only end of message is sent.
        var everyStep = MilterProtocolFlags.NoConnect | MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoMail | MilterProtocolFlags.NoRcpt
            | MilterProtocolFlags.NoBody | MilterProtocolFlags.NoHeaders | MilterProtocolFlags.NoEndOfHeaders | MilterProtocolFlags.NoUnknown
            | MilterProtocolFlags.NoData;
        var factory = new RecordingSessionFactory();
        var options = new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], SkippedSteps = everyStep };
        options.Validate();
        await using var server = new MilterServer(options, factory);
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(server.LocalEndPoints[0]);
        await client.SendAsync(OptionNegotiation(6, 0x1FF, 0x1FFFFF));
        var (_, data) = await client.ReadReplyAsync();
        Assert.Equal((uint)(everyStep | MilterProtocolFlags.NoReplyHeader | MilterProtocolFlags.NoReplyBody), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8)));

        // Postfix then sends, per message, the end-of-message macros, end of message and, between
        // messages, ABORT; nothing of the connection, envelope, headers or body.
        await client.SendAsync(Macros('E', "i", "Q1"));
        await client.SendAsync(Packet('E', []));
        Assert.Equal("h X-Floodgate|checked|", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Packet('A', []));
        await client.SendAsync(Macros('E', "i", "Q2"));
        await client.SendAsync(Packet('E', []));
        Assert.Equal("h X-Floodgate|checked|", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());
        await client.SendAsync(Packet('Q', []));

        Assert.True(await client.IsClosedAsync());
        var session = Assert.Single(factory.Sessions);
        await PolicyDelegation.PolicyServerListenerTests.WaitForAsync(() => session.Events.Contains("close"));
        Assert.Equal(["eom body=0 size=0 i=Q1", "abort", "eom body=0 size=0 i=Q2", "close"], session.Events);
    }

    [Fact]
    public async Task WithoutEndOfHeadersTheBodyChunksFollowTheLastHeader()
    {
        var factory = new RecordingSessionFactory();
        var options = new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], SkippedSteps = MilterProtocolFlags.NoData | MilterProtocolFlags.NoEndOfHeaders };
        await using var server = new MilterServer(options, factory);
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(server.LocalEndPoints[0]);
        await client.SendAsync(OptionNegotiation(6, 0x1FF, 0x1FFFFF));
        await client.ReadReplyAsync();
        await ConnectMailAndRcptAsync(client);
        await client.SendAsync('L', "Subject", "hi");
        await client.SendAsync(Packet('B', new byte[10]));
        await client.SendAsync(Packet('E', []));

        Assert.Equal("h X-Floodgate|checked|", await client.ReadReplyTextAsync());
        Assert.Equal("c", await client.ReadReplyTextAsync());
        var session = Assert.Single(factory.Sessions);
        // "Subject: hi\r\n" (13 bytes) and the 10-byte chunk: the chunk reached the session.
        Assert.Equal("eom body=10 size=23 i=", session.Events[^1]);
    }

    [Fact]
    public void SkippedStepsOtherThanNoAndNoReplyFlagsAreRefusedAtStart()
    {
        var options = new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], SkippedSteps = MilterProtocolFlags.HeaderLeadingSpace };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Milter:SkippedSteps", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MacroRequestsAreSentAsSymbolListWhenOffered()
    {
        var options = new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], MacroRequests = { [MilterMacroStage.Mail] = "i {auth_authen}" } };
        await using var server = new MilterServer(options, new RecordingSessionFactory());
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(server.LocalEndPoints[0]);

        await client.SendAsync(OptionNegotiation(6, 0x1FF, 0x1FFFFF));
        var (_, data) = await client.ReadReplyAsync();

        Assert.Equal((uint)(MilterActions.AddHeaders | MilterActions.Quarantine | MilterActions.SetSymbolList), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(12)));
        Assert.Equal("i {auth_authen}\0"u8.ToArray(), data[16..]);
    }

    [Fact]
    public async Task SenderStalledInsideAPacketIsCutOffAfterThePacketTimeout()
    {
        var time = new FakeTimeProvider();
        var factory = new RecordingSessionFactory();
        await using var server = new MilterServer(new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], PacketTimeout = TimeSpan.FromSeconds(60) }, factory, timeProvider: time);
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(server.LocalEndPoints[0]);
        await client.SendAsync(OptionNegotiation(6, 0x1FF, 0x1FFFFF));
        await client.ReadReplyAsync();

        await client.SendAsync(Connect("localhost", "127.0.0.1", 1)[..8]);
        for (var i = 0; i < 200 && server.ConnectionCount > 0; i++)
        {
            time.Advance(TimeSpan.FromSeconds(61));
            await Task.Delay(10);
        }

        Assert.True(await client.IsClosedAsync());
        Assert.Equal(["close"], Assert.Single(factory.Sessions).Events);
    }

    [Fact]
    public async Task SlowDecisionSendsProgressUntilItIsMade()
    {
        var time = new FakeTimeProvider();
        var decision = new TaskCompletionSource<MilterDecision>();
        var factory = new RecordingSessionFactory { Configure = s => s.EndOfMessage = (_, _) => new ValueTask<MilterDecision>(decision.Task) };
        await using var server = new MilterServer(new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"], ProgressInterval = TimeSpan.FromSeconds(30) }, factory, timeProvider: time);
        await server.StartAsync(CancellationToken.None);
        using var client = await ConnectAsync(server.LocalEndPoints[0]);
        await client.SendAsync(OptionNegotiation(6, 0x1FF, 0x1FFFFF));
        await client.ReadReplyAsync();
        await client.SendAsync(Connect("localhost", "127.0.0.1", 1));
        await client.ReadReplyTextAsync();
        await client.SendAsync('M', "<a@example.com>");
        await client.ReadReplyTextAsync();
        await client.SendAsync('R', "<b@example.com>");
        await client.ReadReplyTextAsync();
        await client.SendAsync(Packet('T', []));
        await client.ReadReplyTextAsync();
        await client.SendAsync(Packet('N', []));
        await client.ReadReplyTextAsync();
        await client.SendAsync(Packet('E', []));

        var progress = client.ReadReplyTextAsync();
        for (var i = 0; i < 200 && !progress.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(31));
            await Task.Delay(10);
        }

        Assert.Equal("p", await progress);
        decision.SetResult(MilterDecision.Tempfail);
        string reply;
        do
        {
            reply = await client.ReadReplyTextAsync();
        }
        while (reply == "p");

        Assert.Equal("t", reply);
    }
}
