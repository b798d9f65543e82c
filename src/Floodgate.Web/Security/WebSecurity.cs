using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Storage.Audit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web.Security;

/// <summary>
/// Sign-in for people (a session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, idle timeout,
/// refused once the account's security stamp moves) and machines (API keys), CSRF for every change a
/// cookie makes, and the audit origin of each request.
/// </summary>
public static class WebSecurity
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string SessionCookie = "fg_session";
    public const string CsrfHeader = "X-CSRF-Token";
    private const string Smart = "cookie-or-key";

    public static IServiceCollection AddFloodgateSecurity(this IServiceCollection services, WebOptions options, string dataDirectory)
    {
        // Keys on disk: sessions and CSRF tokens survive a restart of serve. The folder is the owner's
        // alone, as the database beside it is; the keys are not encrypted at rest beyond that.
        var keys = Directory.CreateDirectory(Path.Combine(dataDirectory, "keys"));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keys.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        services.AddDataProtection()
            .SetApplicationName("floodgate")
            .PersistKeysToFileSystem(keys);
        services.AddSingleton<ApiKeyUseTracker>();
        services.AddSingleton(sp => new WebLoginThrottle(new LoginThrottle(sp.GetRequiredService<TimeProvider>(), new LoginThrottleOptions
        {
            MaxFailuresPerLogin = options.MaxLoginFailures,
            MaxFailuresPerAddress = options.MaxLoginFailures * 4,
            Window = options.LoginWindow,
        })));
        services.AddScoped<SignIn>();
        services.AddAuthentication(Smart)
            .AddPolicyScheme(Smart, Smart, o => o.ForwardDefaultSelector = http =>
                ApiKeyAuthenticationHandler.TokenOf(http.Request) is not null ? ApiKeyAuthenticationHandler.SchemeName : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = SessionCookie;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = options.SessionIdleTimeout;
                o.SlidingExpiration = true;
                o.LoginPath = "/login";
                o.AccessDeniedPath = "/denied";
                o.Events.OnRedirectToLogin = ctx => Deny(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => Deny(ctx, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = ValidateSessionAsync;
            });
        services.AddAuthorization(AccessPolicies.Add);
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.Cookie.Name = "fg_csrf";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    /// <summary>The audit origin of every change this request makes: the client's address.</summary>
    public static IApplicationBuilder UseAuditOrigin(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        using (AuditOrigin.Use(http.Connection.RemoteIpAddress?.ToString()))
        {
            await next(http).ConfigureAwait(false);
        }
    });

    /// <summary>
    /// A change made with a session cookie must carry the CSRF token (header <see cref="CsrfHeader"/> or the
    /// form field); an API key is not sent by the browser on its own, so a keyed request needs none.
    /// </summary>
    public static async ValueTask<bool> IsCsrfSafeAsync(HttpContext http)
    {
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method))
            return true;
        if (http.User.Identity?.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName)
            return true;
        var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
        return await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false);
    }

    private static Task Deny(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        // The API and scripts get a status; a browser asking for a page gets the sign-in page.
        if (ctx.Request.Path.StartsWithSegments("/api") || !AcceptsHtml(ctx.Request))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        // A client administrator who follows a console link lands on its portal instead.
        if (status == StatusCodes.Status403Forbidden && ctx.HttpContext.User.IsInRole(nameof(WebRole.ClientAdministrator)))
        {
            ctx.Response.Redirect("/Portal");
            return Task.CompletedTask;
        }

        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    private static bool AcceptsHtml(HttpRequest request) => request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext ctx)
    {
        var caller = ctx.Principal;
        var id = caller?.FindFirst(Caller.UserClaim)?.Value;
        var stamp = caller?.FindFirst(Caller.StampClaim)?.Value;
        if (!int.TryParse(id, out var userId) || stamp is null)
        {
            ctx.RejectPrincipal();
            return;
        }

        var access = ctx.HttpContext.RequestServices.GetRequiredService<AccessStore>();
        var user = await access.FindUserAsync(userId, ctx.HttpContext.RequestAborted).ConfigureAwait(false);

        // A changed password, role or second factor, or a disabled account, ends every session signed before.
        if (user is null || user.Disabled || !string.Equals(user.SecurityStamp, stamp, StringComparison.Ordinal))
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieScheme).ConfigureAwait(false);
        }
    }
}

/// <summary>The console's own login throttle (the SMTP logins' rules, a separate budget).</summary>
public sealed class WebLoginThrottle(LoginThrottle throttle)
{
    public LoginThrottle Throttle { get; } = throttle;
}

public enum SignInResult
{
    SignedIn,
    Invalid,
    NeedsSecondFactor,
    Throttled,
}

/// <summary>Password, throttle, second factor, then the session cookie.</summary>
public sealed class SignIn(AccessStore access, WebLoginThrottle throttle, IHttpContextAccessor accessor)
{
    public async Task<(SignInResult Result, WebUser? User)> SignInAsync(string login, string password, string? totp, CancellationToken cancellationToken)
    {
        var http = accessor.HttpContext ?? throw new InvalidOperationException("No request.");
        var address = http.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        var normalized = AccessStore.NormalizeLogin(login);
        var attempt = throttle.Throttle.Begin("web:" + normalized, address);
        if (attempt.Decision is LoginDecision.Refused or LoginDecision.Busy)
            return (SignInResult.Throttled, null);
        if (attempt.Decision == LoginDecision.Delayed)
            await Task.Delay(attempt.Delay, cancellationToken).ConfigureAwait(false);

        var user = await access.VerifyPasswordAsync(normalized, password, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            throttle.Throttle.End(in attempt, succeeded: false);
            return (SignInResult.Invalid, null);
        }

        if (!access.VerifyTotp(user, totp))
        {
            throttle.Throttle.End(in attempt, succeeded: false);
            return (string.IsNullOrWhiteSpace(totp) ? SignInResult.NeedsSecondFactor : SignInResult.Invalid, null);
        }

        throttle.Throttle.End(in attempt, succeeded: true);
        await IssueAsync(http, user).ConfigureAwait(false);
        await access.RecordLoginAsync(user.Id, ActorOf(user), cancellationToken).ConfigureAwait(false);
        return (SignInResult.SignedIn, user);
    }

    /// <summary>
    /// A new session cookie for the signed-in person after their own password or second factor changed:
    /// the change moved the security stamp, which ends every session, this one included.
    /// </summary>
    public async Task RenewAsync(int userId, CancellationToken cancellationToken)
    {
        var http = accessor.HttpContext ?? throw new InvalidOperationException("No request.");
        if (await access.FindUserAsync(userId, cancellationToken).ConfigureAwait(false) is { Disabled: false } user)
            await IssueAsync(http, user).ConfigureAwait(false);
    }

    private static string ActorOf(WebUser user) =>
        (user.Role == WebRole.ClientAdministrator ? "client-admin:" : "operator:") + user.Login;

    private static Task IssueAsync(HttpContext http, WebUser user)
    {
        var identity = Caller.Identity(WebSecurity.CookieScheme, ActorOf(user), user.Role, user.ClientId, user.Id, user.SecurityStamp);
        return http.SignInAsync(WebSecurity.CookieScheme, new System.Security.Claims.ClaimsPrincipal(identity));
    }
}
