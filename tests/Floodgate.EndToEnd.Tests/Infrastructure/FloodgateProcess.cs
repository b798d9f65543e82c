using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The real `floodgate` program (the build output of src/Floodgate) run as a child process with
/// its own data folder (and, with FLOODGATE_TEST_DB=postgresql, its own PostgreSQL database): the CLI for
/// set-up and `serve` on loopback ports chosen by the OS.
/// </summary>
public sealed class FloodgateProcess : IAsyncDisposable
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "floodgate.dll");
    private readonly StringBuilder _output = new();
    private Process? _serve;

    public FloodgateProcess(string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "floodgate-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(DataDirectory);
    }

    public string DataDirectory { get; }

    /// <summary>
    /// The database flags of every command (<c>--db-provider</c>, <c>--db</c>), for nodes that share one;
    /// null: the test pass's own (<see cref="Floodgate.Storage.Tests.TestDatabases.CliArgs"/>).
    /// </summary>
    public string[]? Database { get; init; }

    private string[] DataArgs => Database is null ? Floodgate.Storage.Tests.TestDatabases.CliArgs(DataDirectory) : ["--data", DataDirectory, .. Database];

    /// <summary>Environment variables for `serve` (FLOODGATE_Section__Key=value settings).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public IPEndPoint Smtp { get; private set; } = null!;

    public Uri Web { get; private set; } = null!;

    /// <summary>The Postfix policy delegation listener (serve.json "policy"), when enabled.</summary>
    public IPEndPoint? Policy { get; private set; }

    /// <summary>The milter listener (serve.json "milter"), when enabled.</summary>
    public IPEndPoint? Milter { get; private set; }

    /// <summary>The LMTP listener for the lists' inbound mail (serve.json "lmtp"), when enabled.</summary>
    public IPEndPoint? Lmtp { get; private set; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Runs a CLI command against this data folder; returns exit code and output.</summary>
    public Task<(int ExitCode, string Output)> CliAsync(params string[] args) =>
        RunToExitAsync(Start([.. DataArgs, .. args]));

    private static async Task<(int ExitCode, string Output)> RunToExitAsync(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs `serve` with <see cref="Environment"/>, expecting it to refuse its settings and exit.</summary>
    public Task<(int ExitCode, string Output)> ServeFailingAsync(params string[] args)
    {
        var psi = Start([.. DataArgs, "serve", .. args]);
        foreach (var (k, v) in Environment)
        {
            psi.Environment[k] = v;
        }

        return RunToExitAsync(psi);
    }

    /// <summary>Runs a CLI command with <paramref name="input"/> on its standard input (a password for --password-stdin).</summary>
    public async Task<string> CliOkWithInputAsync(string input, params string[] args)
    {
        var psi = Start([.. DataArgs, .. args]);
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteLineAsync(input);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        var output = await stdout + await stderr;
        Assert.True(p.ExitCode == 0, $"floodgate {string.Join(' ', args)} exited {p.ExitCode}: {output}");
        return output;
    }

    public async Task CliOkAsync(params string[] args)
    {
        var (code, output) = await CliAsync(args);
        Assert.True(code == 0, $"floodgate {string.Join(' ', args)} exited {code}: {output}");
    }

    /// <summary>A client "Acme" with domain acme.test and mailbox ann@acme.test (password "correct horse").</summary>
    public async Task SeedAsync(params string[] extraMailboxes)
    {
        await CliOkAsync("client", "add", "Acme", "--contact-name", "Ann Smith", "--contact-phone", "+1 555 0100", "--contact-email", "ann@acme.test");
        await CliOkAsync("domain", "add", "acme.test", "--client", "Acme");
        foreach (var m in (string[])["ann@acme.test", .. extraMailboxes])
        {
            await CliOkAsync("mailbox", "add", m, "--password", "correct horse");
        }
    }

    /// <summary>How many mailbox.auto_created entries the audit log has for the address.</summary>
    public async Task<int> AutoCreatedCountAsync(string address)
    {
        var (code, output) = await CliAsync("audit", "--kind", "mailbox", "--limit", "1000", "--json");
        Assert.True(code == 0, output);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        return json.RootElement.EnumerateArray().Count(e =>
            e.GetProperty("action").GetString() == "mailbox.auto_created" && (e.GetProperty("details").GetString() ?? string.Empty).Contains(address, StringComparison.Ordinal));
    }

    public async Task StartAsync(params string[] extraArgs)
    {
        var control = Path.Combine(DataDirectory, "serve.json");
        File.Delete(control);
        // The LMTP listener on a port of its own: parallel processes never contend for 10042. A test
        // whose MTA must know the port before serve starts (a transport map) gives its own --lmtp.
        string[] lmtp = extraArgs.Contains("--lmtp") ? [] : ["--lmtp", "127.0.0.1:0"];
        var psi = Start([.. DataArgs, "serve", "--smtp", "127.0.0.1:0", "--web", "127.0.0.1:0", .. lmtp, .. extraArgs]);
        foreach (var (k, v) in Environment)
        {
            psi.Environment[k] = v;
        }

        _serve = Process.Start(psi)!;
        _serve.OutputDataReceived += (_, e) => Append(e.Data);
        _serve.ErrorDataReceived += (_, e) => Append(e.Data);
        _serve.BeginOutputReadLine();
        _serve.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_serve.HasExited)
            {
                throw new InvalidOperationException($"floodgate serve exited with {_serve.ExitCode}:\n{Output}");
            }

            if (File.Exists(control) && TryReadControl(control, out var smtp, out var web))
            {
                Smtp = smtp;
                Web = web;
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"floodgate serve did not start:\n{Output}");
    }

    /// <summary>Stops serve the way an operator does (SIGTERM) and waits for it to finish.</summary>
    public async Task StopAsync()
    {
        if (_serve is null || _serve.HasExited)
        {
            return;
        }

        Kill(_serve.Id, signal: 15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _serve.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _serve.Kill(entireProcessTree: true);
        }

        _serve.Dispose();
        _serve = null;
    }

    public bool IsRunning => _serve is { HasExited: false };

    /// <summary>The process id of the running `serve` (the dotnet host runs the app in its own process).</summary>
    public int Pid => _serve is { HasExited: false } serve ? serve.Id : throw new InvalidOperationException("serve is not running");

    /// <summary>
    /// Ends serve the way a crash or the OOM killer does: SIGKILL, no shutdown, no flush. The signal
    /// is sent by a direct kill(2) (Process.Kill), not by forking `kill`, so it lands within
    /// microseconds of the call.
    /// </summary>
    public async Task KillAsync()
    {
        if (_serve is null)
        {
            return;
        }

        if (!_serve.HasExited)
        {
            _serve.Kill(entireProcessTree: false);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _serve.WaitForExitAsync(cts.Token);
        _serve.Dispose();
        _serve = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Floodgate.Storage.Tests.TestDatabases.Release(DataDirectory);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static ProcessStartInfo Start(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return psi;
    }

    private static IPEndPoint? First(JsonElement root, string name) =>
        root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0
            ? IPEndPoint.Parse(list[0].GetString()!)
            : null;

    private bool TryReadControl(string path, out IPEndPoint smtp, out Uri web)
    {
        smtp = null!;
        web = null!;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var endpoints = doc.RootElement.GetProperty("smtp");
            if (endpoints.GetArrayLength() == 0)
            {
                return false;
            }

            smtp = IPEndPoint.Parse(endpoints[0].GetString()!);
            web = new Uri(doc.RootElement.GetProperty("webUrl").GetString()!);
            Policy = First(doc.RootElement, "policy");
            Milter = First(doc.RootElement, "milter");
            Lmtp = First(doc.RootElement, "lmtp");
            return true;
        }
        catch (Exception ex) when (ex is JsonException or IOException or KeyNotFoundException)
        {
            return false;
        }
    }

    private static void Kill(int pid, int signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }
}
