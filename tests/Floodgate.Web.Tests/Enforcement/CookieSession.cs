using System.Net;
using System.Security.Claims;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Floodgate.Web.Tests.Enforcement;

/// <summary>
/// A browser's session with the API: a real web user and the session cookie the serve's own cookie
/// scheme would issue at sign-in (the same claims as <see cref="SignIn"/>, protected with the serve's
/// data-protection keys, checked against the user's security stamp on every request), in a cookie jar.
/// There is no sign-in page on this branch; main's BrowserSession signs in through /login instead.
/// </summary>
internal sealed class CookieSession : IDisposable
{
    private readonly HttpClientHandler _handler;

    private CookieSession(Uri web)
    {
        _handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };
        Http = new HttpClient(_handler) { BaseAddress = web };
    }

    public HttpClient Http { get; }

    public static async Task<CookieSession> SignedInAsync(TestServe serve, WebRole role, int? clientId = null)
    {
        var login = $"{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}"[..24];
        var access = serve.Get<AccessStore>();
        var view = await access.AddUserAsync(new NewWebUser(login, "Test " + role, role, TestServe.Password, clientId), "test");
        var user = (await access.FindUserAsync(view.Id))!;
        var actor = (role == WebRole.ClientAdministrator ? "client-admin:" : "operator:") + login;
        var identity = Caller.Identity(WebSecurity.CookieScheme, actor, role, clientId, user.Id, user.SecurityStamp);
        var cookie = serve.Get<IOptionsMonitor<CookieAuthenticationOptions>>().Get(WebSecurity.CookieScheme);
        var ticket = cookie.TicketDataFormat.Protect(new AuthenticationTicket(new ClaimsPrincipal(identity), WebSecurity.CookieScheme));

        var session = new CookieSession(serve.Web);
        session._handler.CookieContainer.Add(serve.Web, new Cookie(WebSecurity.SessionCookie, ticket));
        return session;
    }

    /// <summary>The CSRF token a console page's script sends in X-CSRF-Token (its cookie half lands in the jar).</summary>
    public async Task<string> CsrfTokenAsync()
    {
        var me = await (await Http.GetAsync("/api/v1/me")).ReadAsync<Me>();
        Assert.False(string.IsNullOrEmpty(me.CsrfToken));
        return me.CsrfToken;
    }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }
}
