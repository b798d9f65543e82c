using Floodgate.Storage.Access;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

public sealed record Me(string Actor, WebRole Role, int? ClientId, string CsrfToken);

/// <summary>Who the caller is, and the CSRF token a script sends with its changes.</summary>
public static class SessionApi
{
    public static RouteGroupBuilder MapSessionApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", GetMe).RequireAuthorization(AccessPolicies.ReadScoped).WithTags("Session");
        return api;
    }

    private static Ok<Me> GetMe(HttpContext http, Caller caller, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return TypedResults.Ok(new Me(caller.Actor, caller.Role, caller.ClientScope, tokens.RequestToken ?? string.Empty));
    }
}
