using Floodgate.Storage.Enforcement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Floodgate.Web.Portal;

internal static class PortalServices
{
    /// <summary>The client-scoped queries the portal pages read; the stores themselves come from storage.</summary>
    public static IServiceCollection AddPortal(this IServiceCollection services)
    {
        services.TryAddSingleton<ClientEnforcementQueries>();
        return services;
    }
}
