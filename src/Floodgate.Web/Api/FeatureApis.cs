using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>Every feature's API under /api/v1: one line per XxxApi class.</summary>
internal static class FeatureApis
{
    public static RouteGroupBuilder MapFeatureApis(this RouteGroupBuilder api)
    {
        api.MapSessionApi();
        api.MapOffensesApi();
        api.MapSuspensionsApi();
        api.MapIncidentsApi();
        api.MapContactTasksApi();
        api.MapDamagesApi();
        return api;
    }
}
