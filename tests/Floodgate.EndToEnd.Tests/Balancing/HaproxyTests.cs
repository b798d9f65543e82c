using System.Net;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Balancing;

/// <summary>
/// The gateway behind Debian's HAProxy with the PROXY protocol: the client's own address (127.0.0.2 or
/// 127.0.0.3 here, while HAProxy connects from 127.0.0.1) is the one the policy judges.
/// </summary>
public sealed class HaproxyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task TheClientsAddressSurvivesTheBalancer(int proxyVersion)
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        fg.Environment["FLOODGATE_Smtp__ProxyFrom__0"] = "127.0.0.1/32";
        await fg.SeedAsync();
        // Only 127.0.0.2 may submit without AUTH: if the gateway saw HAProxy's 127.0.0.1, both clients
        // would be judged alike.
        await fg.StartAsync("--upstream", sink.Url, "--trusted", "127.0.0.2/32");
        await using var haproxy = await PrivateHaproxy.StartAsync([fg.Smtp], proxyVersion);

        await using (var trusted = await RawSmtpClient.ConnectAsync(haproxy.EndPoint, IPAddress.Parse("127.0.0.2")))
        {
            Assert.StartsWith("220", await trusted.ReadReplyAsync());
            await trusted.SendAsync("EHLO mta.acme.test\r\nMAIL FROM:<ann@acme.test>\r\nRCPT TO:<r@example.net>\r\nDATA\r\n");
            var replies = await trusted.ReadRepliesAsync(4);
            Assert.StartsWith("250", replies[1]);
            Assert.StartsWith("354", replies[3]);
            await trusted.SendAsync("Subject: through the balancer\r\n\r\nhello\r\n.\r\n");
            Assert.StartsWith("250", await trusted.ReadReplyAsync());
        }

        await using (var other = await RawSmtpClient.ConnectAsync(haproxy.EndPoint, IPAddress.Parse("127.0.0.3")))
        {
            Assert.StartsWith("220", await other.ReadReplyAsync());
            await other.SendAsync("EHLO other.test\r\nMAIL FROM:<ann@acme.test>\r\n");
            var replies = await other.ReadRepliesAsync(2);
            Assert.StartsWith("530", replies[1]);
        }

        Assert.True(SpinWait.SpinUntil(() => sink.Messages.Count == 1, TimeSpan.FromSeconds(10)));
        Assert.Equal("ann@acme.test", Assert.Single(sink.Messages).Sender);
    }
}
