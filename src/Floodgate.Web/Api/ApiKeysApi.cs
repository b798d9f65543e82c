using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>A new API key; a client administrator's key needs its client.</summary>
public sealed record ApiKeyCreate(string? Name, WebRole? Role, int? ClientId);

/// <summary>API keys for machines (administrators only): listed with their last use, the token shown once at creation, revocable.</summary>
public static class ApiKeysApi
{
    public static RouteGroupBuilder MapApiKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("List API keys with their last use");
        keys.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("An API key");
        keys.MapPost("", CreateAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("Create an API key; answers its token this once");
        keys.MapDelete("/{id:int}", RevokeAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("Revoke an API key: it stops working at once");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<ApiKeyView>>> ListAsync(AccessStore access, CancellationToken cancellationToken) =>
        TypedResults.Ok(await access.ListApiKeysAsync(cancellationToken));

    private static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> GetAsync(int id, AccessStore access, CancellationToken cancellationToken) =>
        await access.FindApiKeyAsync(id, cancellationToken) is { } key ? TypedResults.Ok(key) : ApiGroup.NotFound($"API key {id}");

    private static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> CreateAsync(ApiKeyCreate body, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (body.Role is not { } role)
            return ApiGroup.Invalid("role", $"role is required: one of {string.Join(", ", Enum.GetNames<WebRole>())}.");
        try
        {
            var created = await access.CreateApiKeyAsync(body.Name ?? "", role, body.ClientId, caller.Actor, cancellationToken);
            return TypedResults.Created($"{ApiGroup.Prefix}/api-keys/{created.Key.Id}", created);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return ApiGroup.Invalid("clientId", ex.Message);
        }
    }

    private static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> RevokeAsync(int id, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (await access.FindApiKeyAsync(id, cancellationToken) is null)
            return ApiGroup.NotFound($"API key {id}");
        return TypedResults.Ok(await access.RevokeApiKeyAsync(id, caller.Actor, cancellationToken));
    }
}
