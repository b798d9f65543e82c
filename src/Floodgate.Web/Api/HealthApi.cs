using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>One component's health: a name, whether it works, and a line a person can read.</summary>
public sealed record HealthCheck(string Name, bool Healthy, string Detail);

public sealed record HealthReport(string Status, IReadOnlyList<HealthCheck> Checks);

/// <summary>Supplies the checks; the host knows its listeners, database and upstream.</summary>
public interface IHealthSource
{
    ValueTask<IReadOnlyList<HealthCheck>> CheckAsync(CancellationToken cancellationToken);
}

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", GetHealthAsync).AllowAnonymous();
        return app;
    }

    private static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> GetHealthAsync(IHealthSource source, CancellationToken cancellationToken)
    {
        var checks = await source.CheckAsync(cancellationToken).ConfigureAwait(false);
        var healthy = true;
        foreach (var c in checks)
        {
            healthy &= c.Healthy;
        }

        var report = new HealthReport(healthy ? "healthy" : "unhealthy", checks);
        return healthy
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
