using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Gateway;

/// <summary>
/// The gateway behind a load balancer (Smtp:ProxyFrom): the PROXY header's client address is the one
/// the policy judges, so a balancer in the trusted networks does not open them to everyone, and a
/// connection from the balancer without a header is closed.
/// </summary>
public sealed class ProxiedGatewayTests
{
    [Fact]
    public async Task TheClientNamedByTheBalancerIsTheOneTheTrustedNetworksJudge()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        fg.Environment["FLOODGATE_Smtp__ProxyFrom__0"] = "127.0.0.1/32";
        await fg.SeedAsync();
        // The balancer is on loopback; only the provider's MTA network behind it may submit without AUTH.
        await fg.StartAsync("--upstream", sink.Url, "--trusted", "203.0.113.0/24");

        await using (var mta = await RawSmtpClient.ConnectAsync(fg.Smtp))
        {
            await mta.SendAsync("PROXY TCP4 203.0.113.5 127.0.0.1 40000 587\r\n");
            Assert.StartsWith("220", await mta.ReadReplyAsync());
            await mta.SendAsync("EHLO mta.acme.test\r\nMAIL FROM:<ann@acme.test>\r\n");
            var replies = await mta.ReadRepliesAsync(2);
            Assert.StartsWith("250", replies[1]);
        }

        await using (var stranger = await RawSmtpClient.ConnectAsync(fg.Smtp))
        {
            await stranger.SendAsync("PROXY TCP4 198.51.100.9 127.0.0.1 40001 587\r\n");
            Assert.StartsWith("220", await stranger.ReadReplyAsync());
            await stranger.SendAsync("EHLO stranger.test\r\nMAIL FROM:<ann@acme.test>\r\n");
            var replies = await stranger.ReadRepliesAsync(2);
            Assert.StartsWith("530", replies[1]);
        }

        await using (var direct = await RawSmtpClient.ConnectAsync(fg.Smtp))
        {
            await direct.SendAsync("EHLO direct.test\r\n");
            Assert.Equal(string.Empty, await direct.ReadToEndAsync());
        }

        // The console logger writes from its own queue: the line may follow the close by a moment.
        Assert.True(SpinWait.SpinUntil(() => fg.Output.Contains("closed: no PROXY header", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), fg.Output);
    }

    [Fact]
    public async Task ABadProxyFromSettingStopsServeNamingIt()
    {
        await using var fg = new FloodgateProcess();
        fg.Environment["FLOODGATE_Smtp__ProxyFrom__0"] = "balancer.example";
        var (code, output) = await fg.ServeFailingAsync();
        Assert.Equal(2, code);
        Assert.Contains("Smtp:ProxyFrom:0", output, StringComparison.Ordinal);
    }
}
