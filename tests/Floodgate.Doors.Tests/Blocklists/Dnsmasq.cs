using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Floodgate.Tests.Blocklists;

/// <summary>A private dnsmasq on a free loopback port serving test zones (NOTES.md): names not recorded get NXDOMAIN.</summary>
internal sealed class Dnsmasq : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/dnsmasq";
    private readonly Process _process;
    private readonly string _dir;

    private Dnsmasq(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string Resolver => $"127.0.0.1:{Port}";

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <param name="zones">Zones answered locally (<c>local=/zone/</c>).</param>
    /// <param name="records">(name, A address, TXT or null).</param>
    /// <param name="port">A port to reuse: the port of a server stopped before, so a resolver setting keeps pointing at it with new answers.</param>
    public static async Task<Dnsmasq> StartAsync(IEnumerable<string> zones, IEnumerable<(string Name, string Address, string? Txt)> records, int? port = null)
    {
        // test.sh installs dnsmasq-base; a missing binary is a broken machine, not a reason to skip.
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install Debian's dnsmasq-base (test.sh does) to run the blocklist tests");
        var dir = Path.Combine(Path.GetTempPath(), "floodgate-dnsmasq", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var listen = port ?? FreeUdpAndTcpPort();
        var lines = new List<string>
        {
            $"port={listen}", "listen-address=127.0.0.1", "bind-interfaces", "no-resolv", "no-hosts", "no-poll",
            $"pid-file={Path.Combine(dir, "dnsmasq.pid")}", "log-facility=-",
        };
        if (Environment.UserName == "root")
            lines.Add("user=root");
        foreach (var zone in zones)
            lines.Add($"local=/{zone}/");
        foreach (var (name, address, txt) in records)
        {
            lines.Add($"host-record={name},{address}");
            if (txt is not null)
                lines.Add($"txt-record={name},\"{txt}\"");
        }

        var config = Path.Combine(dir, "dnsmasq.conf");
        await File.WriteAllLinesAsync(config, lines);
        var process = Process.Start(new ProcessStartInfo(Binary, ["-C", config, "--no-daemon"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var server = new Dnsmasq(process, dir, listen);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                Assert.Fail($"dnsmasq exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, listen);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        await server.DisposeAsync();
        Assert.Fail("dnsmasq did not start listening within 10 s");
        return null!;
    }

    /// <summary>A port free for both UDP and TCP now; there is a small race until dnsmasq binds it.</summary>
    public static int FreeUdpAndTcpPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
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
