using Floodgate.Core.Blocklists;
using Floodgate.Hosting;
using Microsoft.Extensions.Configuration;

namespace Floodgate.Storage.Tests;

/// <summary>The <c>Blocklists</c> section bound and checked as serve does at start.</summary>
public sealed class BlocklistSettingsTests
{
    private static FloodgateOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new FloodgateOptions();
        configuration.Bind(options);
        options.ApplyDefaults();
        return options;
    }

    [Fact]
    public void AZoneFromTheConfigurationBindsWithItsKindAndCodes()
    {
        var options = Bind(new()
        {
            ["Blocklists:Addresses:0"] = "198.51.100.7",
            ["Blocklists:Zones:0:Name"] = "dbl.example.test",
            ["Blocklists:Zones:0:Kind"] = "domain",
            ["Blocklists:Zones:0:ErrorCodes:0"] = "127.0.1.255",
            ["Blocklists:Resolver"] = "127.0.0.1:5353",
            ["Blocklists:Timeout"] = "00:00:02",
        });

        var zone = Assert.Single(options.Blocklists.Zones);
        Assert.Equal(BlocklistZoneKind.Domain, zone.Kind);
        Assert.Equal(["127.0.1.255"], zone.ErrorCodes);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Blocklists.Timeout);
        Assert.DoesNotContain(options.Validate(), e => e.StartsWith("Blocklists", StringComparison.Ordinal));
    }

    [Fact]
    public void ABadResolverFailsTheStartNamingTheSetting()
    {
        var options = Bind(new() { ["Blocklists:Resolver"] = "resolver.example" });

        Assert.Contains("Blocklists:Resolver: 'resolver.example' is not IP:PORT (for example 127.0.0.1:53 or [::1]:53)", options.Validate());
    }

    [Fact]
    public void TheWatchSettingsBindAndAreValid()
    {
        var options = Bind(new()
        {
            ["Blocklists:Addresses:0"] = "198.51.100.7",
            ["Blocklists:Interval"] = "00:05:00",
            ["Blocklists:AlertSuppression"] = "06:00:00",
            ["Notifications:AbuseDesk"] = "abuse@provider.example",
        });

        Assert.Equal(TimeSpan.FromMinutes(5), options.Blocklists.Interval);
        Assert.Equal(TimeSpan.FromHours(6), options.Blocklists.AlertSuppression);
        Assert.Equal("abuse@provider.example", options.Notifications.AbuseDesk);
        Assert.True(options.Blocklists.Watches);
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void AZeroIntervalFailsTheStartNamingTheSetting()
    {
        var options = Bind(new() { ["Blocklists:Interval"] = "00:00:00" });

        Assert.Contains("Blocklists:Interval: must be from 00:00:01 to 1.00:00:00 (the default is 00:15:00)", options.Validate());
    }

    [Fact]
    public void ANegativeSuppressionFailsTheStartNamingTheSetting()
    {
        var options = Bind(new() { ["Blocklists:AlertSuppression"] = "-01:00:00" });

        Assert.Contains("Blocklists:AlertSuppression: must be from 00:00:00 (no suppression) to 30.00:00:00 (the default is 1.00:00:00)", options.Validate());
    }

    [Fact]
    public void AnAbuseDeskThatIsNotAnAddressFailsTheStart()
    {
        var options = Bind(new() { ["Notifications:AbuseDesk"] = "the abuse desk" });

        Assert.Contains("Notifications:AbuseDesk: 'the abuse desk' is not an e-mail address (for example abuse@provider.example)", options.Validate());
    }
}
