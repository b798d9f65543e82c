using Floodgate.Core.Blocklists;
using Floodgate.Storage.Blocklists;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web.Blocklists;

public static class BlocklistServices
{
    /// <summary>The watch's store and the hosted watch (idle when nothing is configured to watch). Needs the storage registered.</summary>
    public static IServiceCollection AddFloodgateBlocklists(this IServiceCollection services, BlocklistOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<BlocklistStore>();
        services.AddSingleton<BlocklistWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<BlocklistWatch>());
        return services;
    }
}
