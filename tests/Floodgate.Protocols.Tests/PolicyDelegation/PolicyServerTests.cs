using System.Net;
using System.Net.Sockets;
using System.Text;
using Floodgate.Protocols.PolicyDelegation;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Protocols.Tests.PolicyDelegation;

public sealed class PolicyServerTests : IAsyncLifetime
{
    private static readonly PolicyReply TooManyRecipients = PolicyReply.Smtp(452, "4.5.3", "Too many recipients");
    private readonly ScriptedHandler _handler = new();
    private PolicyServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new PolicyServer(new PolicyServerOptions { TcpEndPoints = ["127.0.0.1:0"], Limits = { MaxLineLength = 256, MaxRequestSize = 4096 } }, _handler);
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    internal static string Request(string recipient, string state = "RCPT") =>
        $"request=smtpd_access_policy\nprotocol_state={state}\nsender=alice@example.com\nrecipient={recipient}\nsasl_username=alice\ninstance=abc.1\n\n";

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.LocalEndPoints[0]);
        return socket;
    }

    internal static async Task<string> ReadRepliesAsync(Socket socket, int count)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (CountReplies(received) < count)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return received.ToString();
    }

    private static int CountReplies(StringBuilder text) => text.ToString().Split("\n\n").Length - 1;

    internal static async Task<bool> IsClosedAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [Fact]
    public async Task RcptRequestIsAnsweredWithTheHandlersAction()
    {
        using var socket = await ConnectAsync();

        await socket.SendAsync(Encoding.UTF8.GetBytes(Request("bob@example.org")));

        Assert.Equal("action=DUNNO\n\n", await ReadRepliesAsync(socket, 1));
        Assert.Equal("bob@example.org", Assert.Single(_handler.Recipients));
    }

    [Fact]
    public async Task PersistentConnectionCarriesManyRequests()
    {
        using var socket = await ConnectAsync();

        for (var i = 0; i < 50; i++)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(Request($"r{i}@example.org")));
            Assert.Equal("action=DUNNO\n\n", await ReadRepliesAsync(socket, 1));
        }

        Assert.Equal(50, _handler.Recipients.Count);
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        using var socket = await ConnectAsync();
        var batch = Request("a@example.org") + Request("reject@example.org") + Request("many@example.org") + Request("b@example.org", "END-OF-MESSAGE");

        await socket.SendAsync(Encoding.UTF8.GetBytes(batch));

        Assert.Equal(
            "action=DUNNO\n\naction=REJECT Recipient refused\n\naction=452 4.5.3 Too many recipients\n\naction=OK\n\n",
            await ReadRepliesAsync(socket, 4));
    }

    [Fact]
    public async Task DecisionsThatWaitAreAnsweredInRequestOrderAndAFailureAmongThemIsDeferred()
    {
        using var socket = await ConnectAsync();
        var batch = Request("slow-reject@example.org") + Request("a@example.org") + Request("slow-boom@example.org") + Request("slow-b@example.org") + Request("many@example.org");

        await socket.SendAsync(Encoding.UTF8.GetBytes(batch));

        Assert.Equal(
            "action=REJECT Recipient refused\n\naction=DUNNO\n\naction=DEFER_IF_PERMIT Service temporarily unavailable\n\naction=DUNNO\n\naction=452 4.5.3 Too many recipients\n\n",
            await ReadRepliesAsync(socket, 5));
        // One at a time: the second was not asked before the first was answered.
        Assert.Equal(["slow-reject@example.org", "a@example.org", "slow-boom@example.org", "slow-b@example.org", "many@example.org"], _handler.Recipients);
    }

    [Fact]
    public async Task RequestSentByteByByteIsAnswered()
    {
        using var socket = await ConnectAsync();

        foreach (var b in Encoding.UTF8.GetBytes(Request("slow@example.org")))
        {
            await socket.SendAsync(new[] { b });
        }

        Assert.Equal("action=DUNNO\n\n", await ReadRepliesAsync(socket, 1));
    }

    [Fact]
    public async Task MalformedLineIsDeferredAndTheConnectionClosed()
    {
        using var socket = await ConnectAsync();

        await socket.SendAsync(Encoding.UTF8.GetBytes("request=smtpd_access_policy\nthis line has no equals sign\n\n"));

        Assert.Equal("action=DEFER_IF_PERMIT Service temporarily unavailable\n\n", await ReadRepliesAsync(socket, 1));
        Assert.True(await IsClosedAsync(socket));
    }

    [Fact]
    public async Task OversizedLineIsDeferredWithoutWaitingForItsEnd()
    {
        using var socket = await ConnectAsync();

        await socket.SendAsync(Encoding.UTF8.GetBytes("request=smtpd_access_policy\nsender=" + new string('x', 10_000)));

        Assert.Equal("action=DEFER_IF_PERMIT Service temporarily unavailable\n\n", await ReadRepliesAsync(socket, 1));
        Assert.True(await IsClosedAsync(socket));
    }

    [Fact]
    public async Task RequestsBeforeAMalformedOneAreStillAnswered()
    {
        using var socket = await ConnectAsync();

        await socket.SendAsync(Encoding.UTF8.GetBytes(Request("a@example.org") + "garbage\n\n"));

        Assert.Equal("action=DUNNO\n\naction=DEFER_IF_PERMIT Service temporarily unavailable\n\n", await ReadRepliesAsync(socket, 2));
    }

    [Fact]
    public async Task FailingHandlerIsDeferredAndTheConnectionStays()
    {
        using var socket = await ConnectAsync();

        await socket.SendAsync(Encoding.UTF8.GetBytes(Request("boom@example.org") + Request("a@example.org")));

        Assert.Equal("action=DEFER_IF_PERMIT Service temporarily unavailable\n\naction=DUNNO\n\n", await ReadRepliesAsync(socket, 2));
    }

    [Fact]
    public async Task ManyConnectionsAreServedAtOnce()
    {
        var sockets = new List<Socket>();
        for (var i = 0; i < 20; i++)
        {
            sockets.Add(await ConnectAsync());
        }

        var replies = sockets.Select(async (socket, i) =>
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(Request($"c{i}@example.org")));
            return await ReadRepliesAsync(socket, 1);
        });

        Assert.All(await Task.WhenAll(replies), reply => Assert.Equal("action=DUNNO\n\n", reply));
        sockets.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task ClosedConnectionDoesNotDisturbOthers()
    {
        using var other = await ConnectAsync();
        using (var rude = await ConnectAsync())
        {
            await rude.SendAsync(Encoding.UTF8.GetBytes("request=smtpd_access_policy\nsend"));
        }

        await other.SendAsync(Encoding.UTF8.GetBytes(Request("a@example.org")));

        Assert.Equal("action=DUNNO\n\n", await ReadRepliesAsync(other, 1));
    }

    private sealed class ScriptedHandler : IPolicyHandler
    {
        private static readonly PolicyReply Refused = PolicyReply.Reject("Recipient refused");

        public List<string> Recipients { get; } = [];

        public ValueTask<PolicyReply> DecideAsync(PolicyRequest request)
        {
            var recipient = request.Recipient ?? string.Empty;
            lock (Recipients)
            {
                Recipients.Add(recipient);
            }

            if (request.ProtocolState == PolicyProtocolState.EndOfMessage)
            {
                return ValueTask.FromResult(PolicyReply.Ok);
            }

            // "slow-" waits before it answers, as a decision against a shared store does.
            return recipient.StartsWith("slow-", StringComparison.Ordinal) ? SlowAsync(recipient["slow-".Length..]) : ValueTask.FromResult(Decide(recipient));
        }

        private static async ValueTask<PolicyReply> SlowAsync(string recipient)
        {
            await Task.Delay(30);
            return Decide(recipient);
        }

        private static PolicyReply Decide(string recipient) => recipient switch
        {
            "reject@example.org" => Refused,
            "many@example.org" => TooManyRecipients,
            "boom@example.org" => throw new InvalidOperationException("scripted failure"),
            _ => PolicyReply.Dunno,
        };
    }
}

public sealed class PolicyServerListenerTests
{
    [Fact]
    public async Task UnixSocketServesRequestsAndReplacesAStaleSocketFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fg-policy-{Guid.NewGuid():N}.sock");
        await File.WriteAllTextAsync(path, "stale");
        await using var server = new PolicyServer(new PolicyServerOptions { TcpEndPoints = [], UnixSocketPath = path }, DunnoPolicyHandler.Instance);
        await server.StartAsync(CancellationToken.None);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await socket.SendAsync(Encoding.UTF8.GetBytes(PolicyServerTests.Request("a@example.org") + PolicyServerTests.Request("b@example.org")));

        Assert.Equal("action=DUNNO\n\naction=DUNNO\n\n", await PolicyServerTests.ReadRepliesAsync(socket, 2));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task IdleConnectionIsClosedAfterTheIdleTimeout()
    {
        var time = new FakeTimeProvider();
        await using var server = new PolicyServer(
            new PolicyServerOptions { TcpEndPoints = ["127.0.0.1:0"], IdleTimeout = TimeSpan.FromSeconds(300) }, DunnoPolicyHandler.Instance, timeProvider: time);
        await server.StartAsync(CancellationToken.None);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoints[0]);
        await socket.SendAsync(Encoding.UTF8.GetBytes(PolicyServerTests.Request("a@example.org")));
        await PolicyServerTests.ReadRepliesAsync(socket, 1);

        // The server re-arms its idle timer just after replying; advance until the timer has seen it.
        for (var i = 0; i < 100 && server.ConnectionCount > 0; i++)
        {
            time.Advance(TimeSpan.FromSeconds(301));
            await Task.Delay(10);
        }

        Assert.True(await PolicyServerTests.IsClosedAsync(socket));
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimitAreClosed()
    {
        await using var server = new PolicyServer(new PolicyServerOptions { TcpEndPoints = ["127.0.0.1:0"], MaxConnections = 1 }, DunnoPolicyHandler.Instance);
        await server.StartAsync(CancellationToken.None);
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(server.LocalEndPoints[0]);
        await WaitForAsync(() => server.ConnectionCount == 1);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        await second.ConnectAsync(server.LocalEndPoints[0]);

        Assert.True(await PolicyServerTests.IsClosedAsync(second));
    }

    [Fact]
    public void BadEndpointFailsAtConstructionWithTheOptionName()
    {
        var error = Assert.Throws<ArgumentException>(() => new PolicyServer(new PolicyServerOptions { TcpEndPoints = ["localhost"] }, DunnoPolicyHandler.Instance));

        Assert.Contains("Policy:TcpEndPoints", error.Message, StringComparison.Ordinal);
    }

    internal static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
