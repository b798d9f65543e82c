using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// A private Postfix instance from the Debian package, with a private Dovecot for SASL, under one
/// folder: config_directory, queue_directory, data_directory (owned by postfix), maillog_file. smtpd
/// listens on a free loopback port; relayhost, check_policy_service and smtpd_milters are the
/// caller's. Needs root (as CI runs). Anything that cannot start throws with the reason, so the
/// tests fail instead of skipping.
/// </summary>
public sealed class PrivatePostfix : IAsyncDisposable
{
    // alternate_config_directories in /etc/postfix/main.cf must name the folder exactly, so it is
    // fixed (one test run at a time per machine) rather than a new temp folder each time.
    public const string Root = "/tmp/floodgate-e2e-postfix";

    private bool _postfixStarted;
    private bool _dovecotStarted;

    private PrivatePostfix(int port) => Port = port;

    public string ConfigDirectory => Path.Combine(Root, "etc");

    public string QueueDirectory => Path.Combine(Root, "queue");

    public string MailLog => Path.Combine(Root, "maillog");

    private string DovecotDirectory => Path.Combine(Root, "dovecot");

    /// <summary>smtpd's loopback port (submission with SASL).</summary>
    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <param name="mailboxes">SASL logins, each with the password "correct horse".</param>
    /// <param name="settings">main.cf lines (name = value) that make the instance Floodgate's; a name given here replaces the instance's own line.</param>
    public static async Task<PrivatePostfix> StartAsync(IEnumerable<string> mailboxes, IEnumerable<string> settings)
    {
        foreach (var tool in (string[])["/usr/sbin/postfix", "/usr/sbin/postconf", "/usr/sbin/postqueue", "/usr/sbin/dovecot"])
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: install postfix and dovecot-core (./test.sh --install does).");
            }
        }

        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("a private Postfix instance needs root (postfix start); run the tests as root, as CI does.");
        }

        await CleanUpPreviousAsync();
        var instance = new PrivatePostfix(FreePort());
        try
        {
            await instance.ConfigureAsync(mailboxes, settings);
            // Postfix first: it creates queue/private with its own owner and modes; Dovecot then puts
            // its auth socket there (smtpd connects to it only at AUTH).
            await instance.StartPostfixAsync();
            await instance.StartDovecotAsync();
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>
    /// Changes main.cf lines (name = value) and restarts Postfix. Not a reload: after a reload an smtpd
    /// keeps its old tables until its session ends, and a client that keeps its connection open (a
    /// pooled relay) would never see the change.
    /// </summary>
    public async Task ReconfigureAsync(params string[] settings)
    {
        await RunOkAsync("/usr/sbin/postconf", ["-c", ConfigDirectory, "-e", .. settings]);
        await RunOkAsync("/usr/sbin/postfix", "-c", ConfigDirectory, "stop");
        _postfixStarted = false;
        // postfix stop only signals the master: start once it has gone, or start finds it running.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await RunAsync("/usr/sbin/postfix", "-c", ConfigDirectory, "status")).ExitCode == 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"postfix did not stop:\n{ReadMailLog()}");
            }

            await Task.Delay(100);
        }

        await StartPostfixAsync();
    }

    /// <summary>postqueue -j: one JSON object per queued message.</summary>
    public async Task<string> QueueJsonAsync() => (await RunAsync("/usr/sbin/postqueue", "-c", ConfigDirectory, "-j")).Output;

    public string ReadMailLog() => File.Exists(MailLog) ? File.ReadAllText(MailLog) : "(no maillog)";

    public async ValueTask DisposeAsync()
    {
        if (_postfixStarted)
        {
            await RunAsync("/usr/sbin/postfix", "-c", ConfigDirectory, "stop");
        }

        if (_dovecotStarted)
        {
            await StopDovecotAsync(DovecotDirectory);
        }

        TryDelete(Root);
    }

    private async Task ConfigureAsync(IEnumerable<string> mailboxes, IEnumerable<string> settings)
    {
        Directory.CreateDirectory(ConfigDirectory);
        Directory.CreateDirectory(QueueDirectory);
        Directory.CreateDirectory(Path.Combine(Root, "data"));
        Directory.CreateDirectory(DovecotDirectory);
        File.Copy("/etc/postfix/master.cf", Path.Combine(ConfigDirectory, "master.cf"));
        await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "main.cf"), string.Empty);
        await RunOkAsync("chown", "postfix", Path.Combine(Root, "data"));
        await AllowConfigDirectoryAsync(ConfigDirectory);

        string[] defaults =
        [
            "compatibility_level = 3.6",
            $"queue_directory = {QueueDirectory}",
            $"data_directory = {Path.Combine(Root, "data")}",
            $"maillog_file = {MailLog}",
            "maillog_file_prefixes = /var, /tmp",
            "syslog_name = postfix-floodgate-e2e",
            "myhostname = postfix.test",
            "mydestination =",
            "alias_maps =",
            "alias_database =",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "smtpd_tls_security_level = none",
            "smtp_tls_security_level = none",
            "smtpd_sasl_auth_enable = yes",
            "smtpd_sasl_type = dovecot",
            "smtpd_sasl_path = private/auth",
            "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
            // One delivery per message, so the upstream sees the whole recipient list at once.
            "smtp_destination_recipient_limit = 1000",
            "smtp_connect_timeout = 5s",
        ];
        var given = settings.Select(ParameterName).ToHashSet(StringComparer.Ordinal);
        string[] main = [.. defaults.Where(d => !given.Contains(ParameterName(d))), .. settings];
        await RunOkAsync("/usr/sbin/postconf", ["-c", ConfigDirectory, "-e", .. main]);
        await RunOkAsync("/usr/sbin/postconf", "-c", ConfigDirectory, "-MX", "smtp/inet");
        await RunOkAsync("/usr/sbin/postconf", "-c", ConfigDirectory, "-M", $"127.0.0.1:{Port}/inet=127.0.0.1:{Port} inet n - n - - smtpd");
        // No chroot: the private queue has no copies of /etc files, and smtpd must reach Dovecot's socket.
        await RunOkAsync("/usr/sbin/postconf", "-c", ConfigDirectory, "-F", "*/*/chroot = n");

        var passwd = new StringBuilder();
        foreach (var m in mailboxes)
        {
            passwd.Append(m).Append(":{PLAIN}correct horse\n");
        }

        await File.WriteAllTextAsync(Path.Combine(DovecotDirectory, "passwd"), passwd.ToString());
        await File.WriteAllTextAsync(Path.Combine(DovecotDirectory, "dovecot.conf"), $$"""
            protocols = none
            base_dir = {{DovecotDirectory}}/run
            state_dir = {{DovecotDirectory}}/state
            log_path = {{DovecotDirectory}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{DovecotDirectory}}/passwd
            }
            userdb {
              driver = static
              args = uid=nobody gid=nogroup home=/nonexistent
            }
            service auth {
              unix_listener {{QueueDirectory}}/private/auth {
                mode = 0660
                user = postfix
                group = postfix
              }
            }
            """);
    }

    private async Task StartDovecotAsync()
    {
        var (code, output) = await RunDaemonAsync($"/usr/sbin/dovecot -c {DovecotDirectory}/dovecot.conf");
        if (code != 0)
        {
            throw new InvalidOperationException($"dovecot did not start ({code}): {output}");
        }

        _dovecotStarted = true;
        var socket = Path.Combine(QueueDirectory, "private", "auth");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(socket))
        {
            if (DateTime.UtcNow > deadline)
            {
                var log = Path.Combine(DovecotDirectory, "dovecot.log");
                throw new InvalidOperationException($"dovecot's auth socket {socket} did not appear: {(File.Exists(log) ? File.ReadAllText(log) : "no log")}");
            }

            await Task.Delay(50);
        }
    }

    private async Task StartPostfixAsync()
    {
        var (code, output) = await RunDaemonAsync($"/usr/sbin/postfix -c {ConfigDirectory} start");
        if (code != 0)
        {
            throw new InvalidOperationException($"postfix did not start ({code}): {output}\n{ReadMailLog()}");
        }

        _postfixStarted = true;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"postfix smtpd is not listening on 127.0.0.1:{Port}: {ex.Message}\n{ReadMailLog()}");
            }
        }
    }

    // The default /etc/postfix/main.cf must exist and list the folder, or postfix -c refuses it.
    private static async Task AllowConfigDirectoryAsync(string directory)
    {
        if (!File.Exists("/etc/postfix/main.cf"))
        {
            await File.WriteAllTextAsync("/etc/postfix/main.cf", "compatibility_level = 3.6\n");
        }

        var (_, current) = await RunAsync("/usr/sbin/postconf", "-h", "alternate_config_directories");
        var list = current.Trim();
        if (list.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).Contains(directory))
        {
            return;
        }

        await RunOkAsync("/usr/sbin/postconf", "-e", $"alternate_config_directories = {(list.Length == 0 ? directory : list + ", " + directory)}");
    }

    private static async Task CleanUpPreviousAsync()
    {
        // A run that crashed may have left its instance behind: stop it before reusing the folder.
        if (File.Exists(Path.Combine(Root, "data", "master.lock")) || Directory.Exists(Path.Combine(Root, "queue", "pid")))
        {
            await RunAsync("/usr/sbin/postfix", "-c", Path.Combine(Root, "etc"), "stop");
        }

        await StopDovecotAsync(Path.Combine(Root, "dovecot"));
        TryDelete(Root);
    }

    private static async Task StopDovecotAsync(string directory)
    {
        var pidFile = Path.Combine(directory, "run", "master.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            await RunAsync("kill", "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or OperationCanceledException)
        {
        }
    }

    private static string ParameterName(string line) => line[..line.IndexOf('=', StringComparison.Ordinal)].Trim();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // A daemon keeps the pipes it inherits open, so reading them to the end would wait forever: its
    // output goes to a file instead. Postfix's own errors also go to maillog_file.
    private async Task<(int ExitCode, string Output)> RunDaemonAsync(string command)
    {
        var log = Path.Combine(Root, "start.log");
        var (code, _) = await RunAsync("/bin/sh", "-c", $"{command} >{log} 2>&1 </dev/null");
        return (code, File.Exists(log) ? await File.ReadAllTextAsync(log) : string.Empty);
    }

    private static async Task RunOkAsync(string file, params string[] args)
    {
        var (code, output) = await RunAsync(file, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {output}");
        }
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

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
