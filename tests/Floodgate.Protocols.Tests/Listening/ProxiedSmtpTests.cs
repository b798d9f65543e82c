using System.Net;
using System.Net.Sockets;
using System.Text;
using Floodgate.Protocols.Tests.Smtp;

namespace Floodgate.Protocols.Tests.Listening;

/// <summary>
/// The SMTP server behind a load balancer: a trusted balancer's PROXY header names the client the
/// session, the logs and the per-address limit see; nobody else can claim an address that way.
/// </summary>
public sealed class ProxiedSmtpTests
{
    private const string Greeting = "220 mx.test ESMTP Floodgate";

    private static Task<SmtpServerHarness> BehindBalancerAsync(string network, Action<Floodgate.Protocols.Smtp.SmtpServerOptions>? configure = null) =>
        SmtpServerHarness.StartAsync(o =>
        {
            o.Listeners[0].ProxyFrom.Add(IPNetwork.Parse(network));
            o.ProxyHeaderTimeout = TimeSpan.FromSeconds(2);
            configure?.Invoke(o);
        });

    [Fact]
    public async Task AV1HeaderFromTheBalancerGivesTheSessionTheClientsAddress()
    {
        await using var harness = await BehindBalancerAsync("127.0.0.0/8");
        await using var client = await harness.ConnectAsync();
        await client.SendAsync("PROXY TCP4 203.0.113.7 198.51.100.2 40000 587\r\n");

        Assert.Equal(Greeting, await client.ReadLineAsync());
        await client.SendAsync("EHLO client.test\r\n");
        await client.ReadReplyAsync();
        var session = harness.Sessions.Single();
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40000), session.Connection.Remote);
    }

    [Fact]
    public async Task AV2HeaderAndTheClientsFirstCommandInOneSegmentAreBothRead()
    {
        await using var harness = await BehindBalancerAsync("127.0.0.1/32");
        await using var client = await harness.ConnectAsync();
        // A client that pipelines against the rules sends EHLO before the greeting; the header
        // reader must not swallow it.
        var header = ProxyProtocolTests.V2Tcp4("2.2.2.2", 1234, "198.51.100.2", 587);
        await client.SendAsync([.. header, .. Encoding.ASCII.GetBytes("EHLO early.test\r\n")]);

        Assert.Equal(Greeting, await client.ReadLineAsync());
        var ehlo = await client.ReadReplyAsync();
        Assert.StartsWith("250", ehlo[0], StringComparison.Ordinal);
        Assert.Equal(IPAddress.Parse("2.2.2.2"), harness.Sessions.Single().Connection.Remote.Address);
    }

    [Fact]
    public async Task APeerThatIsNotATrustedBalancerCannotClaimAnAddress()
    {
        await using var harness = await BehindBalancerAsync("10.0.0.0/8");
        await using var client = await harness.ConnectAsync();

        Assert.Equal(Greeting, await client.ReadLineAsync());
        await client.SendAsync("PROXY TCP4 203.0.113.7 198.51.100.2 40000 587\r\n");
        var reply = await client.ReadLineAsync();
        Assert.StartsWith("5", reply, StringComparison.Ordinal);
        Assert.Equal(IPAddress.Loopback, harness.Sessions.Single().Connection.Remote.Address);
    }

    [Theory]
    [InlineData("EHLO client.test\r\n", "an SMTP command instead of a header")]
    [InlineData("PROXY TCP4 203.0.113.7 198.51.100.2 99999 587\r\n", "a malformed header")]
    [InlineData("", "nothing within the header timeout")]
    public async Task ATrustedBalancerWithoutAValidHeaderIsClosedWithoutASession(string first, string why)
    {
        await using var harness = await BehindBalancerAsync("127.0.0.0/8");
        await using var client = await harness.ConnectAsync();
        if (first.Length > 0)
        {
            await client.SendAsync(first);
        }

        Assert.Null(await client.ReadLineAsync());
        Assert.True(harness.Sessions.Sessions.IsEmpty, why);
        Assert.Equal(0, harness.Server.ConnectionCount);
    }

    [Fact]
    public async Task ThePerAddressLimitCountsTheClientsBehindTheBalancerNotTheBalancer()
    {
        await using var harness = await BehindBalancerAsync("127.0.0.0/8", o => o.MaxConnectionsPerAddress = 2);
        var clients = new List<SmtpTestClient>();
        try
        {
            // Three clients through one balancer address: all admitted.
            for (var i = 1; i <= 3; i++)
            {
                var c = await harness.ConnectAsync();
                clients.Add(c);
                await c.SendAsync($"PROXY TCP4 203.0.113.{i} 198.51.100.2 4000{i} 587\r\n");
                Assert.Equal(Greeting, await c.ReadLineAsync());
            }

            // A third connection of one of them is over its own limit of two.
            var second = await harness.ConnectAsync();
            clients.Add(second);
            await second.SendAsync("PROXY TCP4 203.0.113.1 198.51.100.2 40011 587\r\n");
            Assert.Equal(Greeting, await second.ReadLineAsync());
            var third = await harness.ConnectAsync();
            clients.Add(third);
            await third.SendAsync("PROXY TCP4 203.0.113.1 198.51.100.2 40012 587\r\n");
            Assert.Equal("421 4.7.0 Too many connections", await third.ReadLineAsync());
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AHeaderSplitAcrossSegmentsIsReassembled()
    {
        await using var harness = await BehindBalancerAsync("127.0.0.0/8");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(harness.EndPoint);
        foreach (var part in new[] { "PROX", "Y TCP4 203.0.", "113.9 198.51.100.2 4", "0000 587\r", "\n" })
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(part));
            await Task.Delay(20);
        }

        var buffer = new byte[256];
        var n = await socket.ReceiveAsync(buffer);
        Assert.StartsWith(Greeting, Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
        Assert.Equal(IPAddress.Parse("203.0.113.9"), harness.Sessions.Single().Connection.Remote.Address);
    }
}
