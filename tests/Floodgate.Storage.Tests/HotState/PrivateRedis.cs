using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Floodgate.Storage.Tests.HotState;

/// <summary>
/// Debian's redis-server on a free loopback port, no persistence, owned by the test: it can be killed
/// and started again on the same port (an outage, then an empty Redis coming back).
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private Process? _process;

    private PrivateRedis(int port)
    {
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<PrivateRedis> StartAsync()
    {
        // test.sh installs redis-server; a missing binary is a broken machine, not a reason to skip.
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install Debian's redis-server (test.sh does) to run the Redis tests");
        // The tests call the store's synchronous API in parallel with every other test class's
        // blocking work, all on pool threads; Redis's replies need one too. At the pool's default
        // minimum (a thread per core) a reply waited past the 500 ms timeout once in CI. serve's doors
        // never wait synchronously, so this is the tests' need, not the product's.
        ThreadPool.GetMinThreads(out var workers, out var completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), completion);
        var redis = new PrivateRedis(FreePort());
        await redis.StartAgainAsync();
        return redis;
    }

    /// <summary>Starts the server (again, empty) on its port and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        _process = Process.Start(new ProcessStartInfo(Binary,
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, $"redis-server exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            if (await PingAsync())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"redis-server did not answer on port {Port} within 10 s");
    }

    /// <summary>SIGKILL: the server is gone at once, with everything it held.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, Port);
            await socket.SendAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await socket.ReceiveAsync(buffer);
            return read >= 5 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}
