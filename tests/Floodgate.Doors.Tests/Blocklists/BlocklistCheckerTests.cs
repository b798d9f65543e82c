using System.Net;
using Floodgate.Core.Blocklists;
using Floodgate.Doors.Blocklists;
using Floodgate.Tests.Blocklists;

namespace Floodgate.Doors.Tests.Blocklists;

/// <summary>The checker against a real DNS server (dnsmasq on loopback) serving a Spamhaus-type and a plain zone.</summary>
public sealed class BlocklistCheckerTests : IAsyncLifetime
{
    private static readonly BlocklistZone Zen = new() { Name = "zen.example.test", ErrorCodes = ["127.255.255.252", "127.255.255.254", "127.255.255.255"], DelistingUrl = "https://check.example.test/?q={query}" };
    private static readonly BlocklistZone Plain = new() { Name = "bl.example.test" };
    private static readonly BlocklistZone Dbl = new() { Name = "dbl.example.test", Kind = BlocklistZoneKind.Domain };
    private Dnsmasq _dns = null!;

    public async Task InitializeAsync() => _dns = await Dnsmasq.StartAsync(
        ["zen.example.test", "bl.example.test", "dbl.example.test"],
        [
            ("7.100.51.198.zen.example.test", "127.0.0.2", "Listed by SBL, see https://check.example.test/198.51.100.7"),
            ("8.100.51.198.zen.example.test", "127.255.255.254", "Error: open resolver"),
            ("9.100.51.198.bl.example.test", "10.0.0.1", null),
            ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.example.test", "127.0.0.3", "IPv6 listed"),
            ("spammer.example.dbl.example.test", "127.0.1.2", "spam domain"),
        ]);

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    private BlocklistChecker Checker() => new(_dns.EndPoint, TimeSpan.FromSeconds(2), 4);

    [Fact]
    public async Task AListedAddressIsListedWithItsCodeTxtReasonAndDelistingPage()
    {
        var result = await Checker().CheckAsync("198.51.100.7", Zen, CancellationToken.None);

        Assert.Equal(BlocklistState.Listed, result.State);
        Assert.Equal("127.0.0.2", result.Code);
        Assert.Equal("Listed by SBL, see https://check.example.test/198.51.100.7", result.Reason);
        Assert.Equal("https://check.example.test/?q=198.51.100.7", result.DelistingUrl);
    }

    [Fact]
    public async Task AnAddressTheZoneDoesNotKnowIsClear()
    {
        var result = await Checker().CheckAsync("198.51.100.6", Zen, CancellationToken.None);

        Assert.Equal(BlocklistState.Clear, result.State);
        Assert.Null(result.Code);
    }

    [Fact]
    public async Task ASpamhausRefusalCodeIsAnErrorNotAListing()
    {
        var result = await Checker().CheckAsync("198.51.100.8", Zen, CancellationToken.None);

        Assert.Equal(BlocklistState.Error, result.State);
        Assert.Equal("127.255.255.254", result.Code);
        Assert.StartsWith("not checked", result.Reason);
    }

    [Fact]
    public async Task AnAnswerOutsideLoopbackIsAnError()
    {
        var result = await Checker().CheckAsync("198.51.100.9", Plain, CancellationToken.None);

        Assert.Equal(BlocklistState.Error, result.State);
        Assert.Contains("outside 127.0.0.0/8", result.Reason);
    }

    [Fact]
    public async Task AnIpv6AddressIsAskedInNibbleFormAndFound()
    {
        var result = await Checker().CheckAsync("2001:db8::1", Zen, CancellationToken.None);

        Assert.Equal(BlocklistState.Listed, result.State);
        Assert.Equal("IPv6 listed", result.Reason);
    }

    [Fact]
    public async Task ADomainIsCheckedAgainstDomainZonesOnly()
    {
        var results = await Checker().CheckAsync(["198.51.100.7"], ["spammer.example"], [Zen, Dbl], CancellationToken.None);

        Assert.Collection(results,
            r => Assert.Equal(("198.51.100.7", "zen.example.test", BlocklistState.Listed), (r.Subject, r.Zone, r.State)),
            r => Assert.Equal(("spammer.example", "dbl.example.test", BlocklistState.Listed, "spam domain"), (r.Subject, r.Zone, r.State, r.Reason)));
    }

    [Fact]
    public async Task AnUnreachableResolverIsNotCheckedNeitherClearNorListed()
    {
        // A port nothing listens on: the query fails or times out.
        var closed = new BlocklistChecker(new IPEndPoint(IPAddress.Loopback, Dnsmasq.FreeUdpAndTcpPort()), TimeSpan.FromMilliseconds(500), 2);

        var results = await closed.CheckAsync(["198.51.100.7", "198.51.100.6"], [], [Zen], CancellationToken.None);

        Assert.All(results, r =>
        {
            Assert.Equal(BlocklistState.Error, r.State);
            Assert.StartsWith("not checked", r.Reason);
        });
    }
}
