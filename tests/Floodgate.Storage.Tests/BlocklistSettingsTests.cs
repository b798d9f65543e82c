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
}
