using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Floodgate.Web.Api;

/// <summary>Prometheus metrics at /metrics.</summary>
public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        // Prometheus scrapes without credentials; the web listener is loopback unless configured otherwise.
        app.MapMetrics("/metrics").AllowAnonymous();
        return app;
    }
}
