using System.CommandLine;
using System.Text.Json;
using Floodgate.Commands;
using Floodgate.Core.Blocklists;
using Floodgate.Tests.Blocklists;

namespace Floodgate.Storage.Tests;

/// <summary><c>floodgate blocklist check</c> in-process, as Program.cs builds it, against a real dnsmasq.</summary>
public sealed class BlocklistCommandsTests : IAsyncLifetime
{
    private Dnsmasq _dns = null!;

    public async Task InitializeAsync() => _dns = await Dnsmasq.StartAsync(
        ["zen.spamhaus.org", "bl.example.test"],
        [
            ("7.100.51.198.zen.spamhaus.org", "127.0.0.2", "Listed by SBL"),
            ("8.100.51.198.zen.spamhaus.org", "127.255.255.254", null),
        ]);

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand("floodgate");
        var cli = CliOptions.AddTo(root);
        // No configured addresses: the flags say what to check, whatever floodgate.json holds here.
        root.Subcommands.Add(BlocklistCommands.Create(cli, static () => new BlocklistOptions()));
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task JsonPrintsOneLinePerAddressAndZoneAndAListingExitsWith5()
    {
        var (exitCode, output, error) = await RunAsync("blocklist", "check", "--json", "--resolver", _dns.Resolver,
            "--zone", "zen.spamhaus.org", "--zone", "bl.example.test", "--address", "198.51.100.7", "--address", "198.51.100.6");

        Assert.Equal("", error);
        Assert.Equal(BlocklistCommands.Listed, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, lines.Count);
        var listed = lines[0];
        Assert.Equal("198.51.100.7", listed.GetProperty("address").GetString());
        Assert.Equal("zen.spamhaus.org", listed.GetProperty("zone").GetString());
        Assert.Equal("listed", listed.GetProperty("state").GetString());
        Assert.Equal("127.0.0.2", listed.GetProperty("code").GetString());
        Assert.Equal("Listed by SBL", listed.GetProperty("reason").GetString());
        Assert.Equal("https://check.spamhaus.org/results/?query=198.51.100.7", listed.GetProperty("delisting").GetString());
        Assert.All(lines.Skip(1), l => Assert.Equal("clear", l.GetProperty("state").GetString()));
        Assert.All(lines.Skip(1), l => Assert.Equal(JsonValueKind.Null, l.GetProperty("code").ValueKind));
    }

    [Fact]
    public async Task AllClearExitsWith0()
    {
        var (exitCode, output, _) = await RunAsync("blocklist", "check", "--resolver", _dns.Resolver, "--zone", "zen.spamhaus.org", "--address", "198.51.100.6");

        Assert.Equal(0, exitCode);
        Assert.Contains("198.51.100.6  zen.spamhaus.org  clear", output);
    }

    [Fact]
    public async Task ARefusalCodeFromTheWellKnownZoneIsNotCheckedAndExitsWith6()
    {
        var (exitCode, output, _) = await RunAsync("blocklist", "check", "--json", "--resolver", _dns.Resolver, "--zone", "zen.spamhaus.org", "--address", "198.51.100.8");

        Assert.Equal(BlocklistCommands.NotChecked, exitCode);
        var line = JsonDocument.Parse(output).RootElement;
        Assert.Equal("error", line.GetProperty("state").GetString());
        Assert.Equal("127.255.255.254", line.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("--address", "198.51.100", "--address: '198.51.100' is not an IPv4 or IPv6 address")]
    [InlineData("--resolver", "dns.example:53", "--resolver: 'dns.example:53' is not IP:PORT")]
    public async Task BadInputIsNamedAndExitsWith2(string flag, string value, string message)
    {
        string[] args = flag == "--address"
            ? ["blocklist", "check", "--resolver", _dns.Resolver, flag, value]
            : ["blocklist", "check", "--address", "198.51.100.7", flag, value];

        var (exitCode, output, error) = await RunAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(message, error);
    }
}
