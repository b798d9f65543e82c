using System.CommandLine;
using System.Text.Json;
using Floodgate.Commands;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests;

/// <summary><c>floodgate user</c> and <c>floodgate apikey</c> in-process, as Program.cs builds them, against a temp data folder.</summary>
public sealed class AccessCommandsTests : IDisposable
{
    private const string Password = "correct horse battery staple";
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
        foreach (var command in AccessCommands.Create(cli))
            root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse([.. TestDatabases.CliArgs(_data), .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunWithStdinAsync("", args);

    private AccessStore Access() =>
        new(TestDatabases.Factory(_data), new PasswordHasher(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 }), TimeProvider.System);

    [Fact]
    public async Task AUserAddedWithAStdinPasswordCanSignInAndIsAuditedAsTheUnixUser()
    {
        var add = await RunWithStdinAsync(Password + "\n", "user", "add", "Alice", "--role", "abuse-desk", "--name", "Alice A.", "--password-stdin");

        Assert.Equal((0, ""), (add.ExitCode, add.Error));
        Assert.Contains("Added abuse-desk alice", add.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, add.Output, StringComparison.Ordinal);
        var user = await Access().VerifyPasswordAsync("alice", Password);
        Assert.Equal((WebRole.AbuseDesk, "Alice A."), (user?.Role, user?.DisplayName));
        await using var db = TestDatabases.Create(_data);
        Assert.Equal($"cli:{Environment.UserName}", await db.AuditEntries.Where(a => a.Action == "user.add").Select(a => a.Actor).SingleAsync());
    }

    [Fact]
    public async Task AClientAdministratorBelongsToTheClientNamedAndAnOperatorToNone()
    {
        Assert.Equal(0, (await RunAsync("client", "add", "Acme", "--contact-name", "Ann", "--contact-phone", "+1 555 010 0100", "--contact-email", "ann@contact.example")).ExitCode);

        var portal = await RunWithStdinAsync(Password + "\n", "user", "add", "bob@acme.example", "--role", "client-administrator", "--client", "Acme", "--password-stdin");
        var without = await RunWithStdinAsync(Password + "\n", "user", "add", "carol", "--role", "client-administrator", "--password-stdin");
        var operatorWithClient = await RunWithStdinAsync(Password + "\n", "user", "add", "dave", "--role", "support", "--client", "Acme", "--password-stdin");
        var list = await RunAsync("user", "list", "--json");

        Assert.Equal(0, portal.ExitCode);
        Assert.Equal(2, without.ExitCode);
        Assert.Contains("a client administrator needs a client", without.Error, StringComparison.Ordinal);
        Assert.Equal(2, operatorWithClient.ExitCode);
        using var json = JsonDocument.Parse(list.Output);
        var only = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(("bob@acme.example", 1), (only.GetProperty("login").GetString(), only.GetProperty("clientId").GetInt32()));
    }

    [Fact]
    public async Task BadRolesAndMissingPasswordsExitNonZeroWithAClearMessage()
    {
        var role = await RunWithStdinAsync(Password + "\n", "user", "add", "eve", "--role", "emperor", "--password-stdin");
        var noStdin = await RunAsync("user", "add", "eve", "--role", "support");
        var empty = await RunWithStdinAsync("", "user", "add", "eve", "--role", "support", "--password-stdin");
        var weak = await RunWithStdinAsync("short\n", "user", "add", "eve", "--role", "support", "--password-stdin");

        Assert.Equal(2, role.ExitCode);
        Assert.Contains("administrator, abuse-desk, support, read-only, client-administrator", role.Error, StringComparison.Ordinal);
        Assert.Contains("--password-stdin", noStdin.Error, StringComparison.Ordinal);
        Assert.Contains("standard input is empty", empty.Error, StringComparison.Ordinal);
        Assert.Contains("at least 12 characters", weak.Error, StringComparison.Ordinal);
        Assert.Contains("(none)", (await RunAsync("user", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordDisableAndEnableActOnTheLogin()
    {
        await RunWithStdinAsync(Password + "\n", "user", "add", "frank", "--role", "administrator", "--password-stdin");
        await RunWithStdinAsync(Password + "\n", "user", "add", "gina", "--role", "read-only", "--password-stdin");

        var password = await RunWithStdinAsync("a whole new passphrase\n", "user", "password", "GINA", "--password-stdin");
        var disable = await RunAsync("user", "disable", "gina");
        var disabledLogin = await Access().VerifyPasswordAsync("gina", "a whole new passphrase");
        var enable = await RunAsync("user", "enable", "gina");
        var lastAdmin = await RunAsync("user", "disable", "frank");
        var unknown = await RunAsync("user", "disable", "nobody");

        Assert.Equal((0, 0, 0), (password.ExitCode, disable.ExitCode, enable.ExitCode));
        Assert.Null(disabledLogin);
        Assert.NotNull(await Access().VerifyPasswordAsync("gina", "a whole new passphrase"));
        Assert.Equal(4, lastAdmin.ExitCode);
        Assert.Contains("last enabled administrator", lastAdmin.Error, StringComparison.Ordinal);
        Assert.Equal((3, "error: There is no account \"nobody\".\n"), (unknown.ExitCode, unknown.Error));
        Assert.Contains("enabled", (await RunAsync("user", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnApiKeysTokenIsPrintedOnceWorksAndStopsWhenRevoked()
    {
        var add = await RunAsync("apikey", "add", "ticketing", "--role", "support");
        var token = add.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();
        var working = await Access().VerifyApiKeyAsync(token);
        var list = await RunAsync("apikey", "list");
        var revoke = await RunAsync("apikey", "revoke", working!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(0, add.ExitCode);
        Assert.StartsWith("fgk_", token, StringComparison.Ordinal);
        Assert.Equal((WebRole.Support, "ticketing"), (working.Role, working.Name));
        Assert.Contains("ticketing", list.Output, StringComparison.Ordinal);
        // The secret is what follows "fgk_<id>_" (base64url: it may itself hold '_').
        Assert.DoesNotContain(token[$"fgk_{working.Id}_".Length..], list.Output, StringComparison.Ordinal);
        Assert.Equal(0, revoke.ExitCode);
        Assert.Null(await Access().VerifyApiKeyAsync(token));
        Assert.Equal(3, (await RunAsync("apikey", "revoke", "999")).ExitCode);
    }

    [Fact]
    public async Task AClientAdministratorsKeyIsScopedToItsClient()
    {
        await RunAsync("client", "add", "Acme", "--contact-name", "Ann", "--contact-phone", "+1 555 010 0100", "--contact-email", "ann@contact.example");

        var add = await RunAsync("apikey", "add", "portal sync", "--role", "client-administrator", "--client", "Acme", "--json");

        Assert.Equal(0, add.ExitCode);
        using var json = JsonDocument.Parse(add.Output);
        Assert.Equal(1, json.RootElement.GetProperty("key").GetProperty("clientId").GetInt32());
        Assert.NotNull(await Access().VerifyApiKeyAsync(json.RootElement.GetProperty("token").GetString()));
    }
}
