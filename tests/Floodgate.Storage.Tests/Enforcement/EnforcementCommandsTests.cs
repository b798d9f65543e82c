using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Floodgate.Commands;
using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Storage.Tests.Enforcement;

/// <summary>The enforcement CLI in-process, as Program.cs builds it, against a temp data folder.</summary>
public sealed class EnforcementCommandsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        TestDatabases.Release(_data);
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunWithStdinAsync("", args);

    private async Task<(int ExitCode, string Output, string Error)> RunWithStdinAsync(string stdin, params string[] args)
    {
        var root = new RootCommand("floodgate");
        var cli = CliOptions.AddTo(root);
        cli.PasswordHashing = new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 };
        cli.Time = _time;
        cli.Stdin = () => new StringReader(stdin);
        foreach (var command in AccountCommands.Create(cli).Concat(EnforcementCommands.Create(cli)))
            root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse([.. TestDatabases.CliArgs(_data), .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Acme with bob@acme.example added through the CLI, and a first offense recorded as the server would.</summary>
    private async Task<RecordedOffense> OffenseAsync()
    {
        Assert.Equal(0, (await RunAsync("client", "add", "Acme", "--contact-name", "Ann", "--contact-phone", "+1 555 010 0100", "--contact-email", "ann@contact.example")).ExitCode);
        Assert.Equal(0, (await RunAsync("domain", "add", "acme.example", "--client", "Acme")).ExitCode);
        Assert.Equal(0, (await RunAsync("mailbox", "add", "bob@acme.example")).ExitCode);
        var factory = TestDatabases.Factory(_data);
        await using var db = await factory.CreateDbContextAsync();
        var bob = await db.Mailboxes.Include(m => m.Domain).SingleAsync();
        var store = new EnforcementStore(factory, _time, new ContactTaskOptions(), new DamagesOptions());
        var now = _time.GetUtcNow();
        return await store.RecordOffenseAsync(
            new NewOffense(now, bob.Domain!.ClientId, bob.DomainId, bob.Id, bob.Address, LadderStep.SuspendMailbox, 1.0, NewOffense.Detector,
                EnforcementFixture.Signals(), EnforcementFixture.Evidence(now, bob.Id), "mass mailing"),
            "enforcement");
    }

    private async Task<AccountStatus> BobStatusAsync()
    {
        await using var db = TestDatabases.Create(_data);
        return await db.Mailboxes.Select(m => m.Status).SingleAsync();
    }

    [Fact]
    public async Task IncidentRunsFromCallToReinstatementThroughTheCli()
    {
        var offense = await OffenseAsync();
        var id = offense.IncidentId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _time.Advance(TimeSpan.FromMinutes(16));

        var overdue = await RunAsync("task", "list", "--overdue", "--json");
        var call = await RunAsync("task", "call", offense.ContactTaskId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--outcome", "reached", "--notes", "Ann will write");
        var early = await RunAsync("incident", "reinstate", id);
        var incomplete = await RunAsync("incident", "report", id, "--mechanism", "a compromised WordPress plugin on the site");
        var file = Path.Combine(_data, "report.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(EnforcementFixture.GoodReport, CliContext.JsonOptions));
        var report = await RunAsync("incident", "report", id, "--from-file", file);
        var accept = await RunAsync("incident", "accept", id, "--note", "fine");
        var reinstate = await RunAsync("incident", "reinstate", id);
        var show = await RunAsync("incident", "show", id);

        using (var json = JsonDocument.Parse(overdue.Output))
            Assert.Equal("Ann", Assert.Single(json.RootElement.EnumerateArray()).GetProperty("contactName").GetString());
        Assert.Equal((0, ""), (call.ExitCode, call.Error));
        Assert.Contains("is done", call.Output, StringComparison.Ordinal);
        Assert.Equal(4, early.ExitCode);
        Assert.Contains("cannot reinstate an incident that is contacted", early.Error, StringComparison.Ordinal);
        Assert.Equal(2, incomplete.ExitCode);
        Assert.Contains("steps taken to stop it", incomplete.Error, StringComparison.Ordinal);
        Assert.Contains("mass-mailing policy", incomplete.Error, StringComparison.Ordinal);
        Assert.Equal((0, 0, 0), (report.ExitCode, accept.ExitCode, reinstate.ExitCode));
        Assert.Equal(AccountStatus.Active, await BobStatusAsync());
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("the same content 3 times in 15 minutes", show.Output, StringComparison.Ordinal);
        Assert.Contains("<3@acme.example>", show.Output, StringComparison.Ordinal);
        Assert.Contains("Timeline", show.Output, StringComparison.Ordinal);
        Assert.Contains($"cli:{Environment.UserName}", show.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReinstatingAMailboxWithAPasswordNeedsANewOneOrAnOverride()
    {
        var offense = await OffenseAsync();
        var id = offense.IncidentId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, (await RunAsync("mailbox", "set-password", "bob@acme.example", "--password", "the stolen one")).ExitCode);
        var file = Path.Combine(_data, "report.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(EnforcementFixture.GoodReport, CliContext.JsonOptions));
        Assert.Equal(0, (await RunAsync("incident", "report", id, "--from-file", file)).ExitCode);
        Assert.Equal(0, (await RunAsync("incident", "accept", id)).ExitCode);

        var without = await RunAsync("incident", "reinstate", id);
        var same = await RunAsync("incident", "reinstate", id, "--new-password", "bob@acme.example=the stolen one");
        var with = await RunAsync("incident", "reinstate", id, "--new-password", "a new passphrase");

        Assert.Equal(2, without.ExitCode);
        Assert.Contains("a new password is required for bob@acme.example", without.Error, StringComparison.Ordinal);
        Assert.Equal(2, same.ExitCode);
        Assert.Contains("is its old password", same.Error, StringComparison.Ordinal);
        Assert.Equal(0, with.ExitCode);
        Assert.Contains("1 mailbox(es) have a new password", with.Output, StringComparison.Ordinal);
        await using var db = TestDatabases.Create(_data);
        var hash = await db.Mailboxes.Select(m => m.PasswordHash).SingleAsync();
        var hasher = new PasswordHasher(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 });
        Assert.True(hasher.Verify("a new passphrase", hash!));
        Assert.Equal(AccountStatus.Active, await BobStatusAsync());
    }

    /// <summary>bob@ with a password, the report filed and accepted: ready for a reinstatement.</summary>
    private async Task<string> AcceptedWithPasswordAsync()
    {
        var offense = await OffenseAsync();
        var id = offense.IncidentId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, (await RunAsync("mailbox", "set-password", "bob@acme.example", "--password", "the stolen one")).ExitCode);
        var file = Path.Combine(_data, "report.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(EnforcementFixture.GoodReport, CliContext.JsonOptions));
        Assert.Equal(0, (await RunAsync("incident", "report", id, "--from-file", file)).ExitCode);
        Assert.Equal(0, (await RunAsync("incident", "accept", id)).ExitCode);
        return id;
    }

    private async Task<string> BobHashAsync()
    {
        await using var db = TestDatabases.Create(_data);
        return (await db.Mailboxes.Select(m => m.PasswordHash).SingleAsync())!;
    }

    [Fact]
    public async Task TheNewPasswordsCanComeFromStandardInputSoTheyAreNotInTheProcessList()
    {
        var id = await AcceptedWithPasswordAsync();

        var empty = await RunWithStdinAsync("", "incident", "reinstate", id, "--new-password-stdin");
        var stranger = await RunWithStdinAsync("carol@acme.example=a new passphrase\n", "incident", "reinstate", id, "--new-password-stdin");
        var given = await RunWithStdinAsync("bob@acme.example=a new passphrase\n", "incident", "reinstate", id, "--new-password-stdin");

        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("standard input is empty", empty.Error, StringComparison.Ordinal);
        Assert.Equal(2, stranger.ExitCode);
        Assert.Contains("carol@acme.example is not a mailbox the offense named (bob@acme.example)", stranger.Error, StringComparison.Ordinal);
        Assert.Equal(0, given.ExitCode);
        var hasher = new PasswordHasher(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 });
        Assert.True(hasher.Verify("a new passphrase", await BobHashAsync()));
        Assert.Equal(AccountStatus.Active, await BobStatusAsync());
    }

    [Fact]
    public async Task AnOverrideKeepsThePasswordAndIsAuditedWithItsReason()
    {
        var id = await AcceptedWithPasswordAsync();
        var before = await BobHashAsync();

        var both = await RunAsync("incident", "reinstate", id, "--new-password", "a new passphrase", "--override", "why not");
        var overridden = await RunAsync("incident", "reinstate", id, "--override", "the client's own directory reset it; verified by phone");

        Assert.Equal(2, both.ExitCode);
        Assert.Contains("not both", both.Error, StringComparison.Ordinal);
        Assert.Equal(0, overridden.ExitCode);
        Assert.Equal(before, await BobHashAsync());
        Assert.Equal(AccountStatus.Active, await BobStatusAsync());
        await using var db = TestDatabases.Create(_data);
        var audit = await db.AuditEntries.SingleAsync(a => a.Action == "incident.reinstate-override");
        Assert.Contains("verified by phone", audit.Details, StringComparison.Ordinal);
        Assert.Contains("bob@acme.example", audit.Details, StringComparison.Ordinal);
        Assert.Equal($"cli:{Environment.UserName}", audit.Actor);
    }

    [Fact]
    public async Task DamagesAreWrittenAsCsvToAFile()
    {
        var offense = await OffenseAsync();
        var path = Path.Combine(_data, "damages.csv");

        var result = await RunAsync("incident", "damages", offense.IncidentId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--csv", "--output", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("400 pieces, 1200.00 USD", result.Output, StringComparison.Ordinal);
        Assert.EndsWith("1,Acme,total,,,,,400,1200.00,USD\n", (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SuspendAndLiftByNameTellARunningServer()
    {
        await OffenseAsync();
        using var server = new RefreshServer();
        await File.WriteAllTextAsync(Path.Combine(_data, ServerNotifier.FileName), $$"""{ "webUrl": "{{server.Url}}", "token": "s3cret" }""");

        var suspend = await RunAsync("suspend", "domain", "acme.example", "--reason", "blocklist complaint");
        var lift = await RunAsync("lift", "domain", "acme.example", "--reason", "fixed");
        var noReason = await RunAsync("suspend", "client", "Acme");

        Assert.Equal((0, 0), (suspend.ExitCode, lift.ExitCode));
        Assert.Contains("The domain acme.example is suspended (was active).", suspend.Output, StringComparison.Ordinal);
        Assert.Equal(1, noReason.ExitCode);
        Assert.Equal(["s3cret", "s3cret"], server.Tokens);
    }

    [Fact]
    public async Task NotifierIgnoresAServerThatIsGone()
    {
        Directory.CreateDirectory(_data);
        await File.WriteAllTextAsync(Path.Combine(_data, ServerNotifier.FileName), """{ "webUrl": "http://127.0.0.1:1", "token": "x" }""");

        Assert.False(await ServerNotifier.NotifyAsync(_data));
        Assert.False(await ServerNotifier.NotifyAsync(Path.Combine(_data, "nowhere")));
    }

    /// <summary>Answers POST /internal/refresh with 204 and remembers the tokens it got.</summary>
    private sealed class RefreshServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public RefreshServer()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/internal/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public List<string?> Tokens { get; } = [];

        public void Dispose()
        {
            _listener.Close();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(2));
            }
            catch (AggregateException)
            {
            }
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                if (context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == "/internal/refresh")
                {
                    lock (Tokens)
                        Tokens.Add(context.Request.Headers[ServerNotifier.TokenHeader]);
                    context.Response.StatusCode = 204;
                }
                else
                {
                    context.Response.StatusCode = 404;
                }

                context.Response.Close();
            }
        }
    }
}
