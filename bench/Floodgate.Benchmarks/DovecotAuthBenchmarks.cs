using System.Diagnostics;
using System.Net;
using BenchmarkDotNet.Attributes;
using Floodgate.Core.Accounts;
using Floodgate.Doors.Gateway;
using Floodgate.Hosting;
using Floodgate.Protocols.DovecotAuth;
using Floodgate.Storage.Accounts;

namespace Floodgate.Benchmarks;

/// <summary>
/// One AUTH's check, as the gateway's session calls it (<see cref="Authenticator"/>, throttle included):
/// Floodgate's own store on a cache hit (the password verified in the last five minutes: an HMAC and
/// a dictionary lookup, no Argon2id), against a real Dovecot over its auth-client unix socket and its
/// inet_listener (a "miss" each time: Floodgate caches nothing of Dovecot's answers, so Dovecot's own
/// passdb and penalties decide every login). Dovecot (/usr/sbin/dovecot, passwd-file, PLAIN) is
/// started in setup and stopped in cleanup; needs root. <c>Parallel16</c> is 16 logins at once on the
/// one multiplexed connection, 16 mailboxes from 16 addresses (one login's attempts in flight are
/// bounded by the throttle, which is not what it measures); per-operation time = batch time / 16.
/// </summary>
[MemoryDiagnoser]
public class DovecotAuthBenchmarks
{
    private const string Password = "correct horse";
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");
    private static readonly LoginContext Context = new(Client, IPAddress.Loopback, true);

    private readonly string _root = Path.Combine("/tmp", "fg-bench-dovecot-" + Environment.ProcessId);
    private readonly Task<AuthenticationResult>[] _batch = new Task<AuthenticationResult>[16];
    private readonly string[] _logins = [.. Enumerable.Range(0, 16).Select(i => $"u{i}@acme.test")];
    private readonly LoginContext[] _contexts = [.. Enumerable.Range(0, 16).Select(i => new LoginContext(IPAddress.Parse($"192.0.2.{20 + i}"), IPAddress.Loopback, true))];
    private Process? _dovecot;
    private Authenticator _ownStore = null!;
    private Authenticator _dovecotUnix = null!;
    private Authenticator _dovecotTcp = null!;
    private DovecotAuthClient _unix = null!;
    private DovecotAuthClient _tcp = null!;

    [GlobalSetup]
    public void Setup()
    {
        var time = TimeProvider.System;
        var directory = new AccountDirectory();
        var hasher = new PasswordHasher();
        var plan = new Plan { Id = 1, Name = "bench" };
        var client = new Client { Id = 1, Name = "Acme", ContactName = "A", ContactPhone = "+1", ContactEmail = "a@acme.test", PlanId = 1, Plan = plan };
        var domain = new Domain { Id = 1, ClientId = 1, Client = client, Name = "acme.test" };
        domain.Mailboxes.Add(new Mailbox { Id = 1, DomainId = 1, Domain = domain, Address = "ann@acme.test", PasswordHash = hasher.Hash(Password) });
        for (var i = 0; i < _logins.Length; i++)
        {
            domain.Mailboxes.Add(new Mailbox { Id = 2 + i, DomainId = 1, Domain = domain, Address = _logins[i] });
        }

        client.Domains.Add(domain);
        directory.Apply([client], plan.Limits, 1);

        // Generous limits: a benchmark's many logins from one address are not what is measured.
        var throttle = new LoginThrottle(time, new LoginThrottleOptions());
        var verifier = new CachingPasswordVerifier(hasher, time);
        _ownStore = new Authenticator(directory, throttle, new StoredPasswordAuthority(directory, verifier), NoMailboxProvisioner.Instance, time);
        if (_ownStore.AuthenticateAsync("ann@acme.test", Password, Context, CancellationToken.None).AsTask().GetAwaiter().GetResult().Outcome != AuthenticationOutcome.Succeeded)
        {
            throw new InvalidOperationException("own store: the first login failed");
        }

        var port = StartDovecot();
        _unix = new DovecotAuthClient(new DovecotAuthOptions { EndPoint = Path.Combine(_root, "run", "auth-client") });
        _tcp = new DovecotAuthClient(new DovecotAuthOptions { EndPoint = $"127.0.0.1:{port}" });
        _dovecotUnix = new Authenticator(directory, throttle, new DovecotPasswordAuthority(_unix, "smtp"), NoMailboxProvisioner.Instance, time);
        _dovecotTcp = new Authenticator(directory, throttle, new DovecotPasswordAuthority(_tcp, "smtp"), NoMailboxProvisioner.Instance, time);
        foreach (var a in (Authenticator[])[_dovecotUnix, _dovecotTcp])
        {
            var first = a.AuthenticateAsync("ann@acme.test", Password, Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (first.Outcome != AuthenticationOutcome.Succeeded)
            {
                throw new InvalidOperationException($"dovecot: the first login was {first.Outcome}");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _unix.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _tcp.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (File.Exists(Path.Combine(_root, "run", "master.pid")) && int.TryParse(File.ReadAllText(Path.Combine(_root, "run", "master.pid")).Trim(), out var pid))
        {
            using var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        _dovecot?.Dispose();
        Thread.Sleep(500);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Benchmark(Baseline = true)]
    public ValueTask<AuthenticationResult> OwnStoreCacheHit() => _ownStore.AuthenticateAsync("ann@acme.test", Password, Context, CancellationToken.None);

    [Benchmark]
    public ValueTask<AuthenticationResult> DovecotUnixSocket() => _dovecotUnix.AuthenticateAsync("ann@acme.test", Password, Context, CancellationToken.None);

    [Benchmark]
    public ValueTask<AuthenticationResult> DovecotTcp() => _dovecotTcp.AuthenticateAsync("ann@acme.test", Password, Context, CancellationToken.None);

    [Benchmark(OperationsPerInvoke = 16)]
    public async Task DovecotUnixSocketParallel16()
    {
        for (var i = 0; i < _batch.Length; i++)
        {
            _batch[i] = _dovecotUnix.AuthenticateAsync(_logins[i], Password, _contexts[i], CancellationToken.None).AsTask();
        }

        await Task.WhenAll(_batch);
    }

    private int StartDovecot()
    {
        Directory.CreateDirectory(_root);
        using (var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            Port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        File.WriteAllLines(Path.Combine(_root, "passwd"), ((string[])["ann@acme.test", .. _logins]).Select(l => $"{l}:{{PLAIN}}{Password}"));
        File.WriteAllText(Path.Combine(_root, "dovecot.conf"), $$"""
            protocols = none
            base_dir = {{_root}}/run
            state_dir = {{_root}}/state
            log_path = {{_root}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{_root}}/passwd
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
                port = {{Port}}
              }
            }
            """);
        _dovecot = Process.Start("/usr/sbin/dovecot", ["-c", Path.Combine(_root, "dovecot.conf")]);
        _dovecot.WaitForExit();
        var socket = Path.Combine(_root, "run", "auth-client");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(socket))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("dovecot did not start: " + (File.Exists(Path.Combine(_root, "dovecot.log")) ? File.ReadAllText(Path.Combine(_root, "dovecot.log")) : "no log"));
            }

            Thread.Sleep(50);
        }

        Thread.Sleep(200);
        return Port;
    }

    private int Port { get; set; }
}
