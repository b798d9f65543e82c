using System.CommandLine;
using System.Text.Json;
using Floodgate.Commands;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests;

/// <summary>The CLI in-process, as Program.cs builds it, against a temp data folder.</summary>
public sealed class AccountCommandsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        TestDatabases.Release(_data);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunWithStdinAsync(string stdin, params string[] args)
    {
        var root = new RootCommand("floodgate");
        var cli = CliOptions.AddTo(root);
        cli.Stdin = () => new StringReader(stdin);
        cli.PasswordHashing = new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 };
        foreach (var command in AccountCommands.Create(cli))
            root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse([.. TestDatabases.CliArgs(_data), .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunWithStdinAsync("", args);

    private async Task AddAcmeAsync()
    {
        Assert.Equal(0, (await RunAsync("client", "add", "Acme", "--contact-name", "Ann", "--contact-phone", "+1 555 010 0100", "--contact-email", "ann@contact.example")).ExitCode);
        Assert.Equal(0, (await RunAsync("domain", "add", "acme.example", "--client", "Acme")).ExitCode);
    }

    [Fact]
    public async Task MailboxAddedWithStdinPasswordIsListedAndAuditedAsTheUnixUser()
    {
        await AddAcmeAsync();

        var add = await RunWithStdinAsync("secret-password\n", "mailbox", "add", "Bob@acme.example", "--password-stdin");
        var list = await RunAsync("mailbox", "list", "--json");

        Assert.Equal(0, add.ExitCode);
        Assert.DoesNotContain("secret-password", add.Output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(list.Output);
        var mailbox = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("bob@acme.example", mailbox.GetProperty("address").GetString());
        Assert.True(mailbox.GetProperty("hasPassword").GetBoolean());

        await using var db = TestDatabases.Create(_data);
        var audit = await db.AuditEntries.OrderBy(a => a.Id).Select(a => a.Actor + " " + a.Action).ToListAsync();
        Assert.Equal([$"cli:{Environment.UserName} client.add", $"cli:{Environment.UserName} domain.add", $"cli:{Environment.UserName} mailbox.add"], audit);
        Assert.True(new PasswordHasher().Verify("secret-password", await db.Mailboxes.Select(m => m.PasswordHash).SingleAsync()));
    }

    [Fact]
    public async Task SeveralDomainsAreAddedInOneCommandWithAnAuditEntryEach()
    {
        await AddAcmeAsync();

        var add = await RunAsync("domain", "add", "one.example", "Two.Example", "three.example", "--client", "Acme");

        Assert.Equal(0, add.ExitCode);
        Assert.Equal("Added domain one.example (id 2).\nAdded domain two.example (id 3).\nAdded domain three.example (id 4).\n", add.Output);
        await using var db = TestDatabases.Create(_data);
        var audit = await db.AuditEntries.Where(a => a.Action == "domain.add").OrderBy(a => a.Id).Select(a => a.TargetId).ToListAsync();
        Assert.Equal([1, 2, 3, 4], audit);
    }

    [Fact]
    public async Task SeveralDomainsWithOneTakenAddNone()
    {
        await AddAcmeAsync();

        var add = await RunAsync("domain", "add", "new.example", "acme.example", "--client", "Acme");

        Assert.Equal(4, add.ExitCode);
        Assert.Contains("acme.example already exists", add.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("new.example", (await RunAsync("domain", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInputExitsNonZeroWithAClearMessage()
    {
        await AddAcmeAsync();

        var unknownClient = await RunAsync("domain", "add", "other.example", "--client", "Nobody");
        var duplicate = await RunAsync("domain", "add", "ACME.example", "--client", "Acme");
        var csv = Path.Combine(_data, "mailboxes.csv");
        await File.WriteAllTextAsync(csv, "address,password\nok@acme.example,ok-password\nnope,ok-password\n");
        var import = await RunAsync("mailbox", "import", csv);

        Assert.Equal((3, "error: There is no client \"Nobody\".\n"), (unknownClient.ExitCode, unknownClient.Error));
        Assert.Equal(4, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Error, StringComparison.Ordinal);
        Assert.Equal(2, import.ExitCode);
        Assert.Contains("line 3: \"nope\" is not an e-mail address", import.Error, StringComparison.Ordinal);
        Assert.Contains("(none)", (await RunAsync("mailbox", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MailboxSyncShowsItsPlanOnADryRunThenAppliesItOnce()
    {
        await AddAcmeAsync();
        await RunAsync("mailbox", "add", "gone@acme.example");
        const string hash = "{BLF-CRYPT}$2y$05$wb1svd1cNLl6rHbcoEf1i.7PnGwuevgIWo0QVI4JmM5BCPPfCaaIa";
        var passwd = Path.Combine(_data, "users.passwd");
        await File.WriteAllTextAsync(passwd, $"new@acme.example:{hash}::::::\n");

        var dry = await RunAsync("mailbox", "sync", passwd, "--dry-run");
        var listAfterDry = await RunAsync("mailbox", "list");
        var first = await RunAsync("mailbox", "sync", passwd);
        var second = await RunAsync("mailbox", "sync", passwd);
        var bad = await RunWithStdinAsync($"address,password_hash\nother@acme.example,{hash}\nbroken,{hash}\n", "mailbox", "sync", "-");

        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("add     new@acme.example (line 1)", dry.Output, StringComparison.Ordinal);
        Assert.Contains("disable gone@acme.example", dry.Output, StringComparison.Ordinal);
        Assert.Contains("Would change: 1 added, 0 updated, 0 enabled, 1 disabled, 0 unchanged (acme.example).", dry.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("new@acme.example", listAfterDry.Output, StringComparison.Ordinal);
        Assert.Contains("Changed: 1 added, 0 updated, 0 enabled, 1 disabled, 0 unchanged", first.Output, StringComparison.Ordinal);
        Assert.Contains("Changed: 0 added, 0 updated, 0 enabled, 0 disabled, 1 unchanged", second.Output, StringComparison.Ordinal);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("line 3: \"broken\" is not an e-mail address", bad.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("other@acme.example", (await RunAsync("mailbox", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SuspendedMailboxShowsItsReason()
    {
        await AddAcmeAsync();
        await RunAsync("mailbox", "add", "bob@acme.example");

        var status = await RunAsync("mailbox", "status", "bob@acme.example", "Suspended", "--reason", "mass mailing");
        var show = await RunAsync("mailbox", "show", "bob@acme.example");

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("Suspended (mass mailing)", show.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlanLimitsAreSetFromKeyValuePairs()
    {
        await AddAcmeAsync();

        var add = await RunAsync("plan", "add", "gold", "--max-recipients", "500", "--limit", "mailbox.external-per-day=9000", "--limit", "client.messages-per-hour=1");
        var assign = await RunAsync("plan", "assign", "Acme", "gold");
        var bad = await RunAsync("plan", "add", "silver", "--limit", "mailbox.bogus=1");

        Assert.Equal((0, 0), (add.ExitCode, assign.ExitCode));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("unknown limit", bad.Error, StringComparison.Ordinal);
        await using var db = TestDatabases.Create(_data);
        var client = await db.Clients.Include(c => c.Plan).SingleAsync();
        Assert.Equal((500, 9000, 1), (client.Plan!.Limits.MaxRecipientsPerMessage, client.Plan.Limits.Mailbox.ExternalRecipientsPerDay, client.Plan.Limits.Client.MessagesPerHour));
    }

    [Fact]
    public async Task LogRejectsAnUnreadableSince()
    {
        var result = await RunAsync("log", "--since", "yesterday-ish");

        Assert.True(result.ExitCode == 2, result.Error);
        Assert.Contains("--since", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90m", 90)]
    [InlineData("2h", 120)]
    [InlineData("1d", 1440)]
    public void SinceAcceptsRelativeDurations(string text, int minutes)
    {
        var now = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.True(LogCommand.TryParseSince(text, now, out var since));
        Assert.Equal(now.AddMinutes(-minutes), since);
    }
}
