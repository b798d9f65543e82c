using Floodgate.Core.Blocklists;

namespace Floodgate.Core.Tests.Blocklists;

public sealed class BlocklistOptionsTests
{
    [Fact]
    public void TheDefaultsAreValid()
    {
        var options = new BlocklistOptions();
        options.ApplyDefaults();

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void TheDefaultZonesAreTheWellKnownOnesWithDblAsADomainZone()
    {
        var options = new BlocklistOptions();
        options.ApplyDefaults();

        Assert.Equal(["zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org", "dbl.spamhaus.org"], options.Zones.Select(static z => z.Name));
        Assert.Equal(BlocklistZoneKind.Domain, options.Zones.Single(static z => z.Name == "dbl.spamhaus.org").Kind);
    }

    [Fact]
    public void ConfiguredZonesReplaceTheDefaults()
    {
        var options = new BlocklistOptions { Zones = [new() { Name = "bl.example.test" }] };
        options.ApplyDefaults();

        Assert.Equal("bl.example.test", Assert.Single(options.Zones).Name);
    }

    [Theory]
    [InlineData("Blocklists:Addresses:0", "an address that is not one")]
    [InlineData("Blocklists:Domains:0", "a domain with an empty label")]
    [InlineData("Blocklists:Zones:0:ErrorCodes:0", "an error code outside 127.0.0.0/8")]
    [InlineData("Blocklists:Zones:0:DelistingUrl", "a delisting URL that is not on the web")]
    [InlineData("Blocklists:Resolver", "a resolver by name")]
    [InlineData("Blocklists:Timeout", "a zero timeout")]
    [InlineData("Blocklists:MaxConcurrency", "no concurrency")]
    [InlineData("Blocklists:Interval", "a zero interval")]
    [InlineData("Blocklists:AlertSuppression", "a negative suppression")]
    public void EachBadValueNamesItsSetting(string setting, string why)
    {
        var options = new BlocklistOptions
        {
            Addresses = ["198.51.100"],
            Domains = ["bad..example"],
            Zones = [new() { Name = "bl.example.test", ErrorCodes = ["10.0.0.1"], DelistingUrl = "/delist" }],
            Resolver = "dns.example:53",
            Timeout = TimeSpan.Zero,
            MaxConcurrency = 0,
            Interval = TimeSpan.Zero,
            AlertSuppression = TimeSpan.FromHours(-1),
        };

        Assert.True(options.Validate().Exists(e => e.StartsWith(setting + ":", StringComparison.Ordinal)), why);
    }

    [Fact]
    public void TheWatchDefaultsToAQuarterHourAndADayOfSuppression()
    {
        var options = new BlocklistOptions();

        Assert.Equal(TimeSpan.FromMinutes(15), options.Interval);
        Assert.Equal(TimeSpan.FromHours(24), options.AlertSuppression);
        Assert.False(options.Watches);
    }

    [Fact]
    public void AnIntervalNoLongerThanTheTimeoutIsRefused()
    {
        var options = new BlocklistOptions { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(5) };

        Assert.Contains("Blocklists:Interval: must be longer than Blocklists:Timeout, or a round could still be waiting when the next is due", options.Validate());
    }
}
