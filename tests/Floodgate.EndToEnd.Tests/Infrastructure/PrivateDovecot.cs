using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A private Dovecot (Debian's dovecot-core) with only its auth service: a passwd-file, PLAIN and
/// LOGIN, an auth-client unix socket and an inet_listener on a free loopback port, auth_verbose on.
/// Needs root and /usr/sbin/dovecot; anything that cannot start throws, so a test fails instead of
/// skipping. Stop and start again to play a Dovecot that goes away mid-run.
/// </summary>
public sealed class PrivateDovecot : IAsyncDisposable
{
    private readonly string _root;

    private PrivateDovecot(string root, int port)
    {
        _root = root;
        Port = port;
    }

    /// <summary>The auth-client socket (what <c>serve --dovecot-auth PATH</c> takes).</summary>
    public string SocketPath => Path.Combine(_root, "run", "auth-client");

    public int Port { get; }

    /// <summary>HOST:PORT of the inet_listener.</summary>
    public string TcpEndPoint => $"127.0.0.1:{Port}";

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no dovecot log)";

    private string LogPath => Path.Combine(_root, "dovecot.log");

    /// <param name="users">passwd-file lines' first fields: login, password and the extra fields (e.g. <c>allow_nets=127.0.0.1/32</c>) or null.</param>
    public static async Task<PrivateDovecot> StartAsync(IEnumerable<(string Login, string Password, string? Extra)> users)
    {
        if (!File.Exists("/usr/sbin/dovecot"))
        {
            throw new InvalidOperationException("/usr/sbin/dovecot is missing: install dovecot-core (./test.sh --install does).");
        }

        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("a private Dovecot needs root; run the tests as root, as CI does.");
        }

        // Short: a unix socket path must fit in 108 bytes.
        var root = Path.Combine("/tmp", "fg-dovecot-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var dovecot = new PrivateDovecot(root, FreePort());
        var passwd = new StringBuilder();
        foreach (var (login, password, extra) in users)
        {
            passwd.Append(CultureInfo.InvariantCulture, $"{login}:{{PLAIN}}{password}::::::{extra}\n");
        }

        await File.WriteAllTextAsync(Path.Combine(root, "passwd"), passwd.ToString());
        await File.WriteAllTextAsync(Path.Combine(root, "dovecot.conf"), $$"""
            protocols = none
            base_dir = {{root}}/run
            state_dir = {{root}}/state
            log_path = {{root}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            auth_verbose = yes
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{root}}/passwd
            }
            userdb {
              driver = static
              args = uid=nobody gid=nogroup home=/nonexistent
            }
            service auth {
              unix_listener auth-client {
                mode = 0666
              }
              inet_listener {
                address = 127.0.0.1
                port = {{dovecot.Port}}
              }
            }
            """);
        try
        {
            await dovecot.StartAsync();
        }
        catch
        {
            await dovecot.DisposeAsync();
            throw;
        }

        return dovecot;
    }

    public async Task StartAsync()
    {
        var (code, output) = await RunAsync("/bin/sh", "-c", $"/usr/sbin/dovecot -c {_root}/dovecot.conf >{_root}/start.log 2>&1 </dev/null; cat {_root}/start.log");
        if (code != 0)
        {
            throw new InvalidOperationException($"dovecot did not start ({code}): {output}");
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(SocketPath) || !Listening())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"dovecot's auth listeners did not appear: {Log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Stops Dovecot as systemd does (SIGTERM to the master and each of its children) and waits until
    /// it is gone. The master alone is not enough: its auth process keeps serving the clients still
    /// connected until they leave.
    /// </summary>
    public Task StopAsync() => SignalAsync("-TERM");

    /// <summary>Kills Dovecot (SIGKILL, master and children): a crash, with no answer flushed to anyone.</summary>
    public Task KillAsync() => SignalAsync("-KILL");

    private async Task SignalAsync(string signal)
    {
        var pidFile = Path.Combine(_root, "run", "master.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            var (_, children) = await RunAsync("ps", "-o", "pid=", "--ppid", pid.ToString(CultureInfo.InvariantCulture));
            await RunAsync("kill", signal, pid.ToString(CultureInfo.InvariantCulture));
            foreach (var child in children.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await RunAsync("kill", signal, child);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or OperationCanceledException)
        {
        }

        // Its children (auth) may outlive the master for a moment; the port must be closed before the test goes on.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Listening() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private bool Listening()
    {
        try
        {
            using var tcp = new TcpClient();
            tcp.Connect(IPAddress.Loopback, Port);
            return true;
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

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot run {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
