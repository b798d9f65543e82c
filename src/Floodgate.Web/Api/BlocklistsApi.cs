using Floodgate.Core.Blocklists;
using Floodgate.Storage;
using Floodgate.Storage.Blocklists;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>The watch as configured and every pair it has asked about. <c>Watching</c> is false when no address or domain is configured.</summary>
public sealed record BlocklistsView(bool Watching, TimeSpan Interval, TimeSpan AlertSuppression, IReadOnlyList<BlocklistStateView> Pairs);

/// <summary>The provider's outbound addresses on DNS blocklists: their state now and its changes. Operators only.</summary>
public static class BlocklistsApi
{
    public static RouteGroupBuilder MapBlocklistsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/blocklists").WithTags("Blocklists");
        group.MapGet("/", ListAsync).RequireAuthorization(AccessPolicies.Read)
            .WithSummary("Each outbound address (and sending domain) in each zone: listed, clear, or not answered yet, with the last error");
        group.MapGet("/history", HistoryAsync).RequireAuthorization(AccessPolicies.Read)
            .WithSummary("The listings and delistings, newest first; suppressed re-listings are marked");
        return api;
    }

    private static async Task<Ok<BlocklistsView>> ListAsync(BlocklistStore store, BlocklistOptions options, CancellationToken cancellationToken) =>
        TypedResults.Ok(new BlocklistsView(options.Watches, options.Interval, options.AlertSuppression, await store.ListStatesAsync(cancellationToken)));

    private static async Task<Results<Ok<Page<BlocklistChangeView>>, ValidationProblem>> HistoryAsync(
        BlocklistStore store, string? subject, long? cursor, int? limit, CancellationToken cancellationToken)
    {
        var problems = new QueryProblems();
        var size = problems.Limit(limit);
        if (problems.Any)
            return problems.Problem();
        return TypedResults.Ok(await store.ListHistoryAsync(subject, cursor, size, cancellationToken));
    }
}
