using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Floodgate.EndToEnd.Tests.Balancing;

/// <summary>
/// Debian's HAProxy in TCP mode on a free loopback port, in front of one or more SMTP servers, each
/// reached with the PROXY protocol (<c>send-proxy</c> or <c>send-proxy-v2</c>), round robin.
/// </summary>
public sealed class PrivateHaproxy : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/haproxy";
    private readonly Process _process;
    private readonly string _dir;

    private PrivateHaproxy(Process process, string dir, IPEndPoint endPoint)
    {
        _process = process;
        _dir = dir;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public static async Task<PrivateHaproxy> StartAsync(IReadOnlyList<IPEndPoint> servers, int proxyVersion)
    {
        // test.sh installs haproxy; a missing binary is a broken machine, not a reason to skip.
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install Debian's haproxy (test.sh does) to run the load-balancer tests");
        var dir = Path.Combine(Path.GetTempPath(), "floodgate-haproxy", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var port = FreePort();
        var send = proxyVersion == 2 ? "send-proxy-v2" : "send-proxy";
        var lines = new List<string>
        {
            "global", "  maxconn 4096",
            "defaults", "  mode tcp", "  timeout connect 5s", "  timeout client 120s", "  timeout server 120s",
            "frontend submission", $"  bind 127.0.0.1:{port}", "  default_backend floodgate",
            "backend floodgate", "  balance roundrobin",
        };
        for (var i = 0; i < servers.Count; i++)
        {
            lines.Add($"  server node{i} {servers[i]} {send}");
        }

        var config = Path.Combine(dir, "haproxy.cfg");
        await File.WriteAllLinesAsync(config, lines);
        var check = Process.Start(new ProcessStartInfo(Binary, ["-c", "-f", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await check.WaitForExitAsync();
        Assert.True(check.ExitCode == 0, $"haproxy -c refused the configuration: {await check.StandardOutput.ReadToEndAsync()}{await check.StandardError.ReadToEndAsync()}");

        var process = Process.Start(new ProcessStartInfo(Binary, ["-db", "-f", config])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var haproxy = new PrivateHaproxy(process, dir, new IPEndPoint(IPAddress.Loopback, port));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                Assert.Fail($"haproxy exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            // A probe that connects and closes at once: the backend sees a PROXY header and then EOF.
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(haproxy.EndPoint);
                return haproxy;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        await haproxy.DisposeAsync();
        Assert.Fail("haproxy did not start listening within 10 s");
        return null!;
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
