using System.Net;
using System.Text.Json;
using Floodgate.Storage.Access;
using Floodgate.Tests.Blocklists;
using Floodgate.Web.Blocklists;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Blocklists;

/// <summary>
/// Serve's own watch, configured as an operator would (Blocklists:Addresses, Zones, Resolver), against
/// a real dnsmasq: its first round at start, the gauge, the console's grid and timeline, and the API.
/// </summary>
public sealed class BlocklistPagesTests : IAsyncLifetime
{
    private const string Listed = "192.0.2.25";
    private const string Clean = "192.0.2.26";
    private const string Zone = "zen.pages.test";
    private const string Plain = "bl.pages.test";
    private const string Markup = "Listed <b>by</b> the CBL";

    private Dnsmasq _dns = null!;
    private TestServe _serve = null!;

    public async Task InitializeAsync()
    {
        _dns = await Dnsmasq.StartAsync([Zone, Plain], [("25.2.0.192." + Zone, "127.0.0.4", Markup)]);
        _serve = await TestServe.StartAsync(new Dictionary<string, string?>
        {
            ["Blocklists:Addresses:0"] = Listed,
            ["Blocklists:Addresses:1"] = Clean,
            ["Blocklists:Zones:0:Name"] = Zone,
            ["Blocklists:Zones:0:DelistingUrl"] = "https://lookup.pages.test/?ip={query}",
            ["Blocklists:Zones:1:Name"] = Plain,
            ["Blocklists:Resolver"] = _dns.Resolver,
            ["Blocklists:Timeout"] = "00:00:01",
            ["Blocklists:Interval"] = "01:00:00",
        });
        await WaitForFirstRoundAsync();
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        await _dns.DisposeAsync();
    }

    [Fact]
    public async Task ServeRunsItsFirstRoundAtStartAndTheGaugeSaysWhatIsListed()
    {
        using var http = new HttpClient { BaseAddress = _serve.Web };
        var metrics = await http.GetStringAsync("/metrics");

        Assert.Contains($"floodgate_blocklist_listed{{subject=\"{Listed}\",zone=\"{Zone}\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"floodgate_blocklist_listed{{subject=\"{Clean}\",zone=\"{Zone}\"}} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("floodgate_blocklist_events_total{type=\"blocklist.listed\"}", metrics, StringComparison.Ordinal);
        Assert.False(_serve.Get<BlocklistWatch>().ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task TheApiReturnsEachPairsStateAndTheHistory()
    {
        using var http = await _serve.ApiClientAsync(WebRole.ReadOnly);

        using var current = JsonDocument.Parse(await http.GetStringAsync("/api/v1/blocklists"));
        Assert.True(current.RootElement.GetProperty("watching").GetBoolean());
        var pairs = current.RootElement.GetProperty("pairs").EnumerateArray().ToList();
        Assert.Equal(4, pairs.Count);
        var listed = pairs.Single(p => p.GetProperty("subject").GetString() == Listed && p.GetProperty("zone").GetString() == Zone);
        Assert.Equal("listed", listed.GetProperty("state").GetString());
        Assert.Equal("127.0.0.4", listed.GetProperty("code").GetString());
        Assert.Equal(Markup, listed.GetProperty("reason").GetString());
        Assert.Equal("https://lookup.pages.test/?ip=192.0.2.25", listed.GetProperty("delistingUrl").GetString());
        Assert.All(pairs.Where(p => p.GetProperty("zone").GetString() == Plain), p => Assert.Equal("clear", p.GetProperty("state").GetString()));

        using var history = JsonDocument.Parse(await http.GetStringAsync("/api/v1/blocklists/history"));
        var change = Assert.Single(history.RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal((Listed, Zone, "listed", "blocklist.listed"), (change.GetProperty("subject").GetString(), change.GetProperty("zone").GetString(), change.GetProperty("to").GetString(), change.GetProperty("event").GetString()));
        Assert.Equal(JsonValueKind.Null, change.GetProperty("from").ValueKind);

        var bad = await http.GetAsync("/api/v1/blocklists/history?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task TheApiIsForOperatorsOnly()
    {
        var (clientId, _, _) = await _serve.SeedClientAsync("Acme", "acme.test", "bob");
        using var clientAdmin = await _serve.ApiClientAsync(WebRole.ClientAdministrator, clientId);
        using var anonymous = new HttpClient { BaseAddress = _serve.Web };

        Assert.Equal(HttpStatusCode.Forbidden, (await clientAdmin.GetAsync("/api/v1/blocklists")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/blocklists/history")).StatusCode);
    }

    [Fact]
    public async Task TheConsolePageShowsTheGridOfSubjectsAndZonesAndTheTimeline()
    {
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.Support);

        var page = await session.Http.GetStringAsync("/Blocklists");

        Assert.Contains("href=\"/Blocklists\"", page, StringComparison.Ordinal);
        Assert.Contains($"<th>{Zone}</th>", page, StringComparison.Ordinal);
        Assert.Contains($"<th>{Plain}</th>", page, StringComparison.Ordinal);
        Assert.Contains($"data-subject=\"{Listed}\" data-zone=\"{Zone}\" data-state=\"listed\"", page, StringComparison.Ordinal);
        Assert.Contains($"data-subject=\"{Clean}\" data-zone=\"{Zone}\" data-state=\"clear\"", page, StringComparison.Ordinal);
        Assert.Contains($"data-subject=\"{Listed}\" data-zone=\"{Plain}\" data-state=\"clear\"", page, StringComparison.Ordinal);
        Assert.Contains("<code>127.0.0.4</code>", page, StringComparison.Ordinal);
        Assert.Contains("href=\"https://lookup.pages.test/?ip=192.0.2.25\"", page, StringComparison.Ordinal);

        // The TXT reason is the zone's text: shown, never as markup.
        Assert.Contains("Listed &lt;b&gt;by&lt;/b&gt; the CBL", page, StringComparison.Ordinal);
        Assert.DoesNotContain(Markup, page, StringComparison.Ordinal);

        var timeline = page[page.IndexOf("<h2>History</h2>", StringComparison.Ordinal)..];
        Assert.Contains($"<strong>{Listed}</strong> on {Zone}: first answer", timeline, StringComparison.Ordinal);
        Assert.Contains("blocklist.listed", timeline, StringComparison.Ordinal);
        Assert.DoesNotContain($"<strong>{Clean}</strong>", timeline, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientAdministratorIsDeniedTheConsolePage()
    {
        var (clientId, _, _) = await _serve.SeedClientAsync("Acme", "acme.test", "bob");
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.ClientAdministrator, clientId);

        var response = await session.Http.GetAsync("/Blocklists");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task WaitForFirstRoundAsync()
    {
        var store = _serve.Get<Storage.Blocklists.BlocklistStore>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await store.ListStatesAsync()).Count(s => s.State is not null) < 4)
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException("serve's blocklist watch did not finish its first round: " + string.Join("; ", (await store.ListStatesAsync()).Select(s => $"{s.Subject} {s.Zone} {s.State} {s.LastError}")));
            await Task.Delay(50);
        }
    }
}

/// <summary>Serve with nothing to watch.</summary>
public sealed class BlocklistWatchOffTests
{
    [Fact]
    public async Task WithoutAddressesOrDomainsTheWatchDoesNotRun()
    {
        await using var serve = await TestServe.StartAsync();
        var watch = serve.Get<BlocklistWatch>();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!watch.ExecuteTask!.IsCompleted && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        Assert.True(watch.ExecuteTask.IsCompletedSuccessfully);
        Assert.Empty(await serve.Get<Storage.Blocklists.BlocklistStore>().ListStatesAsync());
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.ReadOnly);
        Assert.Contains("The watch is off", await session.Http.GetStringAsync("/Blocklists"), StringComparison.Ordinal);
    }
}
