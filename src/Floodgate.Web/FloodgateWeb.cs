using Floodgate.Web.Api;
using Floodgate.Web.Console;
using Floodgate.Web.Lists;
using Floodgate.Web.Portal;
using Floodgate.Web.Security;
using Floodgate.Web.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web;

/// <summary>The web side of `serve`: the API, the console, the portal, health, metrics and the CLI's internal endpoints.</summary>
public static class FloodgateWeb
{
    public static IServiceCollection AddFloodgateWeb(this IServiceCollection services, WebOptions options, string dataDirectory)
    {
        services.AddSingleton(options);
        services.AddHttpContextAccessor();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            // Say what was wrong with the request (which parameter, which JSON path), not only that it was.
            if (ctx.Exception is BadHttpRequestException bad)
            {
                ctx.ProblemDetails.Title = "The request is not valid";
                ctx.ProblemDetails.Detail = bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
            }
        });
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddFloodgateSecurity(options, dataDirectory);
        services.AddPortal();
        services.AddApiReference();
        var pages = services.AddRazorPages(o =>
        {
            // Console/X.cshtml answers at /X (the console is the site's root), Portal/X.cshtml at /portal/X.
            o.RootDirectory = "/";
            o.Conventions.AddFolderRouteModelConvention("/Console", model =>
            {
                foreach (var selector in model.Selectors)
                {
                    var template = selector.AttributeRouteModel?.Template;
                    if (template is not null && template.StartsWith("Console", StringComparison.OrdinalIgnoreCase))
                        selector.AttributeRouteModel!.Template = template["Console".Length..].TrimStart('/');
                }
            });
            o.Conventions.AuthorizeFolder("/Console", AccessPolicies.Read);
            o.Conventions.AuthorizeFolder("/Portal", AccessPolicies.ReadScoped);
        });

        // The pages are compiled into this assembly; the entry assembly (the host, or a test runner) does not name it.
        pages.AddApplicationPart(typeof(FloodgateWeb).Assembly);
        services.AddConsole();
        services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        services.Configure<FormOptions>(o =>
        {
            o.MultipartBodyLengthLimit = options.MaxRequestBodyBytes;
            o.ValueLengthLimit = (int)Math.Min(int.MaxValue, options.MaxRequestBodyBytes);
        });
        return services;
    }

    public static WebApplication MapFloodgateWeb(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<WebOptions>();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Bad input the framework caught (malformed JSON, a wrong type, a body too large) is the caller's error.
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.Use(async (http, next) =>
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = options.MaxRequestBodyBytes;
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.XFrameOptions = "DENY";
            http.Response.Headers["Referrer-Policy"] = "same-origin";
            http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'";
            if (http.Request.Path.StartsWithSegments(ApiReference.Path))
            {
                // The reference page's inline script carries a nonce known only once the page is rendered.
                http.Response.OnStarting(() =>
                {
                    if (ApiReference.ContentSecurityPolicy(http) is { } csp)
                        http.Response.Headers.ContentSecurityPolicy = csp;
                    return Task.CompletedTask;
                });
            }

            await next(http).ConfigureAwait(false);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseRateLimiter();
        app.UseAuditOrigin();

        app.MapHealthApi();
        app.MapMetricsApi();
        app.MapInternalApi();
        app.MapApiReference();

        var api = app.MapApiGroup();
        api.MapFeatureApis();
        app.MapAssets();
        app.MapListPages();
        app.MapRazorPages();
        return app;
    }
}
