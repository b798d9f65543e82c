using Microsoft.Extensions.Configuration;

namespace Floodgate.Hosting;

/// <summary>Where settings come from, for serve and the CLI: appsettings.json beside the binary, floodgate.json here, FLOODGATE_* variables, then overrides.</summary>
internal static class FloodgateConfiguration
{
    public static IConfigurationRoot Build(IConfiguration? overrides = null)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "floodgate.json"), optional: true)
            .AddEnvironmentVariables("FLOODGATE_");
        if (overrides is not null)
        {
            builder.AddConfiguration(overrides);
        }

        return builder.Build();
    }
}
