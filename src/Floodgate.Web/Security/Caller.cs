using System.Globalization;
using System.Security.Claims;
using Floodgate.Storage.Access;
using Microsoft.AspNetCore.Http;

namespace Floodgate.Web.Security;

/// <summary>
/// Who is asking: the actor written in the audit log, the role, and for a client administrator the one
/// client it may see. Endpoints take it as a parameter; every query a client administrator can reach
/// filters by <see cref="ClientScope"/>.
/// </summary>
public sealed record Caller(string Actor, WebRole Role, int? ClientScope, int? UserId, string? Address)
{
    public const string ActorClaim = "fg:actor";
    public const string ClientClaim = "fg:client";
    public const string UserClaim = "fg:user";
    public const string StampClaim = "fg:stamp";

    public bool IsClientAdministrator => Role == WebRole.ClientAdministrator;

    /// <summary>Whether this caller may see anything of the client.</summary>
    public bool CanSee(int clientId) => ClientScope is null || ClientScope == clientId;

    public bool Can(string policy) => AccessPolicies.Allows(policy, Role);

    public static Caller From(HttpContext http)
    {
        var user = http.User;
        var role = Enum.TryParse<WebRole>(user.FindFirstValue(ClaimTypes.Role), out var r) ? r : WebRole.ReadOnly;
        int? client = int.TryParse(user.FindFirstValue(ClientClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : null;
        int? userId = int.TryParse(user.FindFirstValue(UserClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : null;

        // A client administrator without a client claim would see everything: refuse to build one.
        if (role == WebRole.ClientAdministrator && client is null)
            throw new InvalidOperationException("A client administrator's identity carries no client.");
        return new Caller(user.FindFirstValue(ActorClaim) ?? "anonymous", role, role == WebRole.ClientAdministrator ? client : null, userId, http.Connection.RemoteIpAddress?.ToString());
    }

    public static ValueTask<Caller?> BindAsync(HttpContext http) => ValueTask.FromResult<Caller?>(From(http));

    public static ClaimsIdentity Identity(string scheme, string actor, WebRole role, int? clientId, int? userId, string? stamp)
    {
        var claims = new List<Claim>
        {
            // The antiforgery token is bound to this claim when present, else to every claim: without it a
            // renewed session (a new security stamp after one's own password change) would void the page's token.
            new(ClaimTypes.NameIdentifier, actor),
            new(ClaimTypes.Name, actor),
            new(ActorClaim, actor),
            new(ClaimTypes.Role, role.ToString()),
        };
        if (clientId is { } c)
            claims.Add(new Claim(ClientClaim, c.ToString(CultureInfo.InvariantCulture)));
        if (userId is { } u)
            claims.Add(new Claim(UserClaim, u.ToString(CultureInfo.InvariantCulture)));
        if (stamp is not null)
            claims.Add(new Claim(StampClaim, stamp));
        return new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role);
    }
}
