using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>Every feature's API under /api/v1: one line per XxxApi class.</summary>
internal static class FeatureApis
{
    public static RouteGroupBuilder MapFeatureApis(this RouteGroupBuilder api)
    {
        api.MapSessionApi();
        api.MapClientsApi();
        api.MapDomainsApi();
        api.MapMailboxesApi();
        api.MapPlansApi();
        api.MapTransactionsApi();
        api.MapCountersApi();
        api.MapAuditApi();
        api.MapUsersApi();
        api.MapApiKeysApi();
        api.MapNotificationsApi();
        api.MapOffensesApi();
        api.MapSuspensionsApi();
        api.MapIncidentsApi();
        api.MapContactTasksApi();
        api.MapDamagesApi();
        api.MapListsApi();
        api.MapBlocklistsApi();
        return api;
    }
}
