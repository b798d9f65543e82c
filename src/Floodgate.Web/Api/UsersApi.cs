using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Api;

/// <summary>A new console (operator) or portal (client administrator) account; a client administrator needs its client.</summary>
public sealed record UserCreate(string? Login, string? DisplayName, WebRole? Role, int? ClientId, string? Password);

public sealed record UserRoleChange(WebRole? Role, int? ClientId);

/// <summary>A second factor just enabled: the secret for an authenticator app, shown this once, also as an otpauth:// URI (a QR code's content).</summary>
public sealed record TotpSetup(string Secret, string OtpauthUri);

/// <summary>A person's own password change: the current password proves it is them, not someone at an unlocked screen.</summary>
public sealed record OwnPasswordChange(string? CurrentPassword, string? NewPassword);

public sealed record OwnTotpChange(string? CurrentPassword);

/// <summary>
/// Operator and client-administrator accounts (administrators only), and each person's own password and
/// second factor. Every change ends the account's sessions (its security stamp moves); a person's own
/// change gets them a new session cookie at once.
/// </summary>
public static class UsersApi
{
    private const string Issuer = "Floodgate";

    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("List console and portal accounts");
        users.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("An account");
        users.MapPost("", CreateAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("Add an account");
        users.MapPut("/{id:int}/role", SetRoleAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("Change an account's role (and client)");
        users.MapPost("/{id:int}/disable", (int id, Caller caller, AccessStore access, CancellationToken ct) => SetDisabledAsync(id, true, caller, access, ct))
            .RequireAuthorization(AccessPolicies.Administer).WithName("DisableUser").WithSummary("Disable an account: its sessions end");
        users.MapPost("/{id:int}/enable", (int id, Caller caller, AccessStore access, CancellationToken ct) => SetDisabledAsync(id, false, caller, access, ct))
            .RequireAuthorization(AccessPolicies.Administer).WithName("EnableUser").WithSummary("Enable an account again");
        users.MapPut("/{id:int}/password", SetPasswordAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("Reset an account's password");
        users.MapPost("/{id:int}/totp", EnableTotpAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("Enable a second factor; answers its secret once");
        users.MapDelete("/{id:int}/totp", DisableTotpAsync).RequireAuthorization(AccessPolicies.Administer).WithSummary("Disable an account's second factor");

        var me = api.MapGroup("/me").WithTags("Session");
        me.MapPut("/password", ChangeOwnPasswordAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("Change your own password");
        me.MapPost("/totp", EnableOwnTotpAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("Enable your own second factor; answers its secret once");
        me.MapPost("/totp/disable", DisableOwnTotpAsync).RequireAuthorization(AccessPolicies.ReadScoped).WithSummary("Disable your own second factor");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<WebUserView>>> ListAsync(AccessStore access, CancellationToken cancellationToken) =>
        TypedResults.Ok(await access.ListUsersAsync(cancellationToken: cancellationToken));

    private static async Task<Results<Ok<WebUserView>, ProblemHttpResult>> GetAsync(int id, AccessStore access, CancellationToken cancellationToken) =>
        await access.FindUserAsync(id, cancellationToken) is { } user ? TypedResults.Ok(WebUserView.Of(user)) : ApiGroup.NotFound($"user {id}");

    private static async Task<Results<Created<WebUserView>, ValidationProblem>> CreateAsync(UserCreate body, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (body.Role is not { } role)
            return ApiGroup.Invalid("role", $"role is required: one of {string.Join(", ", Enum.GetNames<WebRole>())}.");
        try
        {
            var user = await access.AddUserAsync(new NewWebUser(body.Login ?? "", body.DisplayName ?? "", role, body.Password ?? "", body.ClientId), caller.Actor, cancellationToken);
            return TypedResults.Created($"{ApiGroup.Prefix}/users/{user.Id}", user);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return ApiGroup.Invalid("clientId", ex.Message);
        }
    }

    private static async Task<Results<Ok<WebUserView>, ValidationProblem, ProblemHttpResult>> SetRoleAsync(
        int id, UserRoleChange body, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (await access.FindUserAsync(id, cancellationToken) is null)
            return ApiGroup.NotFound($"user {id}");
        if (body.Role is not { } role)
            return ApiGroup.Invalid("role", $"role is required: one of {string.Join(", ", Enum.GetNames<WebRole>())}.");
        try
        {
            await access.SetRoleAsync(id, role, body.ClientId, caller.Actor, cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.NotFound)
        {
            return ApiGroup.Invalid("clientId", ex.Message);
        }

        return TypedResults.Ok(WebUserView.Of((await access.FindUserAsync(id, cancellationToken))!));
    }

    private static async Task<Results<Ok<WebUserView>, ProblemHttpResult>> SetDisabledAsync(int id, bool disabled, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (await access.FindUserAsync(id, cancellationToken) is null)
            return ApiGroup.NotFound($"user {id}");
        await access.SetDisabledAsync(id, disabled, caller.Actor, cancellationToken);
        return TypedResults.Ok(WebUserView.Of((await access.FindUserAsync(id, cancellationToken))!));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetPasswordAsync(int id, PasswordSet body, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (await access.FindUserAsync(id, cancellationToken) is null)
            return ApiGroup.NotFound($"user {id}");
        await access.SetPasswordAsync(id, body.Password ?? "", caller.Actor, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<TotpSetup>, ProblemHttpResult>> EnableTotpAsync(int id, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (await access.FindUserAsync(id, cancellationToken) is not { } user)
            return ApiGroup.NotFound($"user {id}");
        var secret = await access.EnableTotpAsync(id, caller.Actor, cancellationToken);
        return TypedResults.Ok(Setup(user.Login, secret));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DisableTotpAsync(int id, Caller caller, AccessStore access, CancellationToken cancellationToken)
    {
        if (await access.FindUserAsync(id, cancellationToken) is null)
            return ApiGroup.NotFound($"user {id}");
        await access.DisableTotpAsync(id, caller.Actor, cancellationToken);
        return TypedResults.NoContent();
    }

    // ---- the caller's own account

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangeOwnPasswordAsync(
        OwnPasswordChange body, Caller caller, AccessStore access, WebLoginThrottle throttle, SignIn signIn, HttpContext http, CancellationToken cancellationToken)
    {
        var (user, invalid, problem) = await ProveAsync(caller, body.CurrentPassword, access, throttle, http, cancellationToken);
        if (invalid is not null)
            return invalid;
        if (problem is not null)
            return problem;
        await access.SetPasswordAsync(user!.Id, body.NewPassword ?? "", caller.Actor, cancellationToken);
        await RenewSessionAsync(http, signIn, user.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<TotpSetup>, ValidationProblem, ProblemHttpResult>> EnableOwnTotpAsync(
        OwnTotpChange body, Caller caller, AccessStore access, WebLoginThrottle throttle, SignIn signIn, HttpContext http, CancellationToken cancellationToken)
    {
        var (user, invalid, problem) = await ProveAsync(caller, body.CurrentPassword, access, throttle, http, cancellationToken);
        if (invalid is not null)
            return invalid;
        if (problem is not null)
            return problem;
        var secret = await access.EnableTotpAsync(user!.Id, caller.Actor, cancellationToken);
        await RenewSessionAsync(http, signIn, user.Id, cancellationToken);
        return TypedResults.Ok(Setup(user.Login, secret));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DisableOwnTotpAsync(
        OwnTotpChange body, Caller caller, AccessStore access, WebLoginThrottle throttle, SignIn signIn, HttpContext http, CancellationToken cancellationToken)
    {
        var (user, invalid, problem) = await ProveAsync(caller, body.CurrentPassword, access, throttle, http, cancellationToken);
        if (invalid is not null)
            return invalid;
        if (problem is not null)
            return problem;
        await access.DisableTotpAsync(user!.Id, caller.Actor, cancellationToken);
        await RenewSessionAsync(http, signIn, user.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The caller's own account when <paramref name="password"/> is its current password. Wrong guesses count
    /// against the sign-in throttle of the login: a session left open must not become a password oracle.
    /// </summary>
    private static async Task<(WebUser? User, ValidationProblem? Invalid, ProblemHttpResult? Problem)> ProveAsync(
        Caller caller, string? password, AccessStore access, WebLoginThrottle throttle, HttpContext http, CancellationToken cancellationToken)
    {
        if (caller.UserId is not { } userId || await access.FindUserAsync(userId, cancellationToken) is not { } user)
        {
            return (null, null, TypedResults.Problem(
                title: "No account behind this credential",
                detail: "An API key has no password or second factor of its own; sign in as the person to change theirs.",
                statusCode: StatusCodes.Status400BadRequest));
        }

        if (string.IsNullOrEmpty(password))
            return (null, ApiGroup.Invalid("currentPassword", "currentPassword is required: your password now."), null);
        var attempt = throttle.Throttle.Begin("web:" + user.Login, http.Connection.RemoteIpAddress ?? System.Net.IPAddress.Loopback);
        if (attempt.Decision is LoginDecision.Refused or LoginDecision.Busy)
            return (null, null, TypedResults.Problem(title: "Too many attempts", detail: "Too many wrong passwords; try again later.", statusCode: StatusCodes.Status429TooManyRequests));
        if (attempt.Decision == LoginDecision.Delayed)
            await Task.Delay(attempt.Delay, cancellationToken);
        var verified = await access.VerifyPasswordAsync(user.Login, password, cancellationToken) is not null;
        throttle.Throttle.End(in attempt, succeeded: verified);
        return verified ? (user, null, null) : (null, ApiGroup.Invalid("currentPassword", "currentPassword is not your current password."), null);
    }

    private static Task RenewSessionAsync(HttpContext http, SignIn signIn, int userId, CancellationToken cancellationToken) =>
        http.User.Identity?.AuthenticationType == WebSecurity.CookieScheme ? signIn.RenewAsync(userId, cancellationToken) : Task.CompletedTask;

    private static TotpSetup Setup(string login, string secret) =>
        new(secret, new OtpNet.OtpUri(OtpNet.OtpType.Totp, secret, login, Issuer).ToString());
}
