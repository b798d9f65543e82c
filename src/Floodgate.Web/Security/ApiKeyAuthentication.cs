using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using Floodgate.Storage.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Floodgate.Web.Security;

/// <summary>
/// <c>Authorization: Bearer fgk_&lt;id&gt;_&lt;secret&gt;</c> (or <c>X-Api-Key</c>). A key's last use is
/// written at most once a minute per key: a database write per API call would be the API's cost.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessStore access,
    TimeProvider time,
    ApiKeyUseTracker tracker) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "api-key";

    public static string? TokenOf(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var key) && key.Count == 1)
            return key.ToString();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = TokenOf(Request);
        if (token is null)
            return AuthenticateResult.NoResult();
        var key = await access.VerifyApiKeyAsync(token, Context.RequestAborted).ConfigureAwait(false);
        if (key is null)
            return AuthenticateResult.Fail("The API key is unknown, revoked or malformed.");
        if (tracker.ShouldRecord(key.Id, time.GetUtcNow()))
            await access.TouchApiKeyAsync(key.Id, Context.Connection.RemoteIpAddress?.ToString(), Context.RequestAborted).ConfigureAwait(false);
        var identity = Caller.Identity(SchemeName, $"api-key:{key.Id}", key.Role, key.ClientId, null, null);
        return AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(identity), SchemeName));
    }
}

internal sealed class ApiKeyUseTracker
{
    private readonly ConcurrentDictionary<int, long> _last = new();

    public bool ShouldRecord(int keyId, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        var previous = _last.GetOrAdd(keyId, 0);
        return ticks - previous >= TimeSpan.TicksPerMinute && _last.TryUpdate(keyId, ticks, previous);
    }
}
