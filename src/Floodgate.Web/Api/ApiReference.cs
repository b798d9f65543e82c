using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Floodgate.Web.Api;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) with the API-key scheme and each operation's policy and
/// roles, and the interactive reference page at <c>/scalar</c>, served whole from this process: the
/// page's script is embedded in Scalar.AspNetCore, and the CDN fonts, telemetry and AI agent are off, so
/// it works on a server without Internet access and tells nobody who reads it.
/// </summary>
public static class ApiReference
{
    public const string Path = "/scalar";
    public const string SchemeName = "ApiKey";

    public static IServiceCollection AddApiReference(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Floodgate";
                document.Info.Description = "Outbound-mail abuse control. Authenticate with an API key: `Authorization: Bearer fgk_<id>_<secret>` "
                    + "(or `X-Api-Key`). Errors are RFC 9457 problem details; lists are pages of at most 500 items: pass `next` back as `cursor`.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "fgk_<id>_<secret>",
                    Description = "An API key made in the console, with `floodgate apikey add`, or POST /api/v1/api-keys. Its role decides what it may do.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<IAllowAnonymous>().Any())
                    return Task.CompletedTask;
                var policy = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null) ?? AccessPolicies.Read;
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
                if (AccessPolicies.Roles.TryGetValue(policy, out var roles))
                {
                    var who = $"Policy `{policy}`: {string.Join(", ", roles)}.";
                    operation.Description = string.IsNullOrEmpty(operation.Description) ? who : operation.Description + "\n\n" + who;
                }

                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();

        // Documentation without data: readable before signing in, like the document it renders.
        app.MapScalarApiReference(Path, o =>
        {
            o.Title = "Floodgate API";
            o.DefaultFonts = false;
            o.Telemetry = false;
            o.DynamicNonce = true;
            o.HideClientButton = true;
            o.HideDeveloperTools();
            o.DisableAgent();
            o.DisableMcp();
            o.AddPreferredSecuritySchemes(SchemeName);
        }).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The Content-Security-Policy of the reference page: the site's own, plus the nonce Scalar put on its
    /// inline configuration script (a fresh one per request), and nothing from elsewhere.
    /// </summary>
    internal static string? ContentSecurityPolicy(HttpContext http) =>
        http.Request.Path.StartsWithSegments(Path) && http.Items.TryGetValue(ScalarOptions.NonceHttpContextItemKey, out var nonce) && nonce is string n
            ? $"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; script-src 'self' 'nonce-{n}'; frame-ancestors 'none'; form-action 'self'"
            : null;
}
