using System.CommandLine;
using System.Text;
using System.Text.Json;
using Floodgate.Commands;
using Floodgate.Storage.Accounts;

namespace Floodgate.Storage.Tests;

/// <summary><c>floodgate list ...</c> and <c>floodgate bounce ingest</c> in-process, as Program.cs builds them.</summary>
public sealed class ListCommandsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        TestDatabases.Release(_data);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(byte[]? stdin, params string[] args)
    {
        var root = new RootCommand("floodgate");
        var cli = CliOptions.AddTo(root);
        cli.PasswordHashing = new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 };
        cli.StdinBytes = () => new MemoryStream(stdin ?? []);
        foreach (var command in AccountCommands.Create(cli))
            root.Subcommands.Add(command);
        foreach (var command in BounceCommands.Create(cli))
            root.Subcommands.Add(command);
        root.Subcommands.Add(ListCommands.Create(cli));
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse([.. TestDatabases.CliArgs(_data), .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunAsync(null, args);

    private async Task AddListAsync()
    {
        Assert.Equal(0, (await RunAsync("client", "add", "Acme", "--contact-name", "Ann", "--contact-phone", "+1 555 010 0100", "--contact-email", "ann@contact.example")).ExitCode);
        Assert.Equal(0, (await RunAsync("domain", "add", "acme.example", "--client", "Acme")).ExitCode);
        Assert.Equal(0, (await RunAsync("mailbox", "add", "alice@acme.example")).ExitCode);
        var created = await RunAsync("list", "create", "news@acme.example", "--client", "Acme", "--name", "Acme News", "--poster", "alice@acme.example");
        Assert.True(created.ExitCode == 0, created.Error);
    }

    [Fact]
    public async Task AnImportMakesPendingMembersAndKeepsItsSource()
    {
        await AddListAsync();
        var file = Path.Combine(_data, "people.csv");
        await File.WriteAllTextAsync(file, "address,name\nbob@example.org,Bob\n# a comment\ncarol@example.net\nnot an address\n");
        var import = await RunAsync("list", "import", "news@acme.example", file, "--source", "crm export 2026-11");
        Assert.Equal(0, import.ExitCode);
        Assert.Contains("2 added as pending", import.Output, StringComparison.Ordinal);
        Assert.Contains("not an address", import.Error, StringComparison.Ordinal);

        var members = await RunAsync("--json", "list", "members", "news@acme.example");
        using var json = JsonDocument.Parse(members.Output);
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["bob@example.org", "carol@example.net"], items.Select(i => i.GetProperty("address").GetString()));
        Assert.All(items, i => Assert.Equal("pending", i.GetProperty("status").GetString()));
        Assert.All(items, i => Assert.Equal("crm export 2026-11", i.GetProperty("requestFrom").GetString()));
    }

    [Fact]
    public async Task AListOnAnotherClientsDomainIsRefused()
    {
        await AddListAsync();
        Assert.Equal(0, (await RunAsync("client", "add", "Other", "--contact-name", "Olga", "--contact-phone", "+1 555 010 0101", "--contact-email", "olga@other.example")).ExitCode);
        var refused = await RunAsync("list", "create", "spam@acme.example", "--client", "Other", "--name", "Not theirs");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("not a domain of this client", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APostFromSomeoneNotAPosterIsRefused()
    {
        await AddListAsync();
        Assert.Equal(0, (await RunAsync("mailbox", "add", "mallory@acme.example")).ExitCode);
        var file = Path.Combine(_data, "post.eml");
        await File.WriteAllTextAsync(file, "From: mallory@acme.example\r\nSubject: hi\r\n\r\nhi\r\n");
        var refused = await RunAsync("list", "post", "news@acme.example", "--from", "mallory@acme.example", file);
        Assert.Equal(2, refused.ExitCode);
        var queued = await RunAsync("list", "post", "news@acme.example", "--from", "alice@acme.example", file);
        Assert.Equal(0, queued.ExitCode);
        Assert.Contains("queued", queued.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BounceIngestFromStandardInputRecordsItAgainstTheListsMember()
    {
        await AddListAsync();
        Assert.Equal(0, (await RunAsync("list", "subscribe", "news@acme.example", "bob@example.org")).ExitCode);
        var dsn = "From: MAILER-DAEMON@mx.example.org\r\nSubject: failure\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
            "Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--b--\r\n";
        var ingest = await RunAsync(Encoding.ASCII.GetBytes(dsn), "bounce", "ingest", "--recipient", "news+bounces@acme.example");
        Assert.True(ingest.ExitCode == 0, ingest.Error);
        Assert.Contains("bob@example.org: userunknown", ingest.Output, StringComparison.Ordinal);

        // A pending member whose confirmation bounced hard is removed; the history says why.
        var history = await RunAsync("list", "history", "news@acme.example", "bob@example.org");
        Assert.Contains("Removed", history.Output, StringComparison.Ordinal);
        Assert.Contains("the confirmation bounced", history.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BounceIngestOfNothingIsAClearError()
    {
        await AddListAsync();
        var empty = await RunAsync([], "bounce", "ingest");
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("the input is empty", empty.Error, StringComparison.Ordinal);
    }
}
