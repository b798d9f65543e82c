using System.Net.Sockets;
using System.Text;
using Floodgate.Protocols.Lmtp;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web.Tests.Lists;

/// <summary>The LMTP listener as `serve` wires it: on by default, the routing taken from DI.</summary>
public sealed class LmtpThroughServeTests
{
    [Fact]
    public async Task ServeListensForLmtpAndRoutesListAddressesRefusingAnUnknownList()
    {
        await using var serve = await TestServe.StartAsync();
        Assert.IsType<Floodgate.Web.Lists.ListInbox>(serve.Services.GetRequiredService<ILmtpSessionFactory>());

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(serve.Serve.Lmtp[0]);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);

        await stream.WriteAsync("LHLO mx.example.com\r\nMAIL FROM:<>\r\nRCPT TO:<announce-bounces@lists.example.com>\r\nDATA\r\n"u8.ToArray());
        var line = await reader.ReadLineAsync();
        while (line!.StartsWith("250-", StringComparison.Ordinal))
        {
            line = await reader.ReadLineAsync();
        }

        Assert.Equal("250 ENHANCEDSTATUSCODES", line);
        Assert.Equal("250 2.1.0 OK", await reader.ReadLineAsync());
        Assert.Equal("250 2.1.5 OK", await reader.ReadLineAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await reader.ReadLineAsync());

        await stream.WriteAsync("Subject: bounce\r\n\r\n.\r\nQUIT\r\n"u8.ToArray());
        Assert.StartsWith("550 5.1.1 <announce-bounces@lists.example.com>: no such list", await reader.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal("221 2.0.0 Bye", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task ServeRefusesAUnixSocketForLmtpBeforeAnyPortOpensNamingTheSetting()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServe.StartAsync(new Dictionary<string, string?> { ["Lmtp:Listen:0"] = "unix:/run/floodgate/lmtp" }));
        Assert.Contains("Lmtp:Listen:0: 'unix:/run/floodgate/lmtp': unix sockets are not supported for LMTP", e.Message, StringComparison.Ordinal);
    }
}
