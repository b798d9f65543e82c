using System.Net;
using Floodgate.Storage.Access;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Console;

public sealed class SignInTests
{
    [Fact]
    public async Task AnOperatorSignsInToTheDashboardAndAClientAdministratorToThePortal()
    {
        await using var serve = await TestServe.StartAsync();
        using var operatorSession = await BrowserSession.SignedInAsync(serve, WebRole.Support);
        var dashboard = await operatorSession.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("Dashboard", await dashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var (clientId, _, _) = await serve.SeedClientAsync("Acme", "acme.example", "ann");
        using var clientSession = await BrowserSession.SignedInAsync(serve, WebRole.ClientAdministrator, clientId);
        var home = await clientSession.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/Portal", home.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task TheSessionCookieIsHttpOnlyAndSameSiteStrict()
    {
        await using var serve = await TestServe.StartAsync();
        await serve.Get<AccessStore>().AddUserAsync(new NewWebUser("carol", "Carol", WebRole.ReadOnly, TestServe.Password), "test");
        using var session = new BrowserSession(serve.Web);
        var response = await session.SignInAsync("carol", TestServe.Password);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("fg_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        // The sign-in is in the audit log: who, from where.
        var entry = Assert.Single(await serve.Get<Floodgate.Storage.Audit.AuditLog>().QueryAsync("user"), e => e.Action == "session.sign-in");
        Assert.Equal(("operator:carol", "127.0.0.1"), (entry.Actor, entry.Origin));
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedAndRepeatedFailuresAreThrottledEvenWithTheRightPassword()
    {
        await using var serve = await TestServe.StartAsync();
        await serve.Get<AccessStore>().AddUserAsync(new NewWebUser("dave", "Dave", WebRole.ReadOnly, TestServe.Password), "test");
        using var session = new BrowserSession(serve.Web);
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await session.SignInAsync("dave", "wrong password " + i)).StatusCode);
        Assert.Equal((HttpStatusCode)429, (await session.SignInAsync("dave", TestServe.Password)).StatusCode);
    }

    [Fact]
    public async Task ASessionEndsWhenThePasswordChanges()
    {
        await using var serve = await TestServe.StartAsync();
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk, login: "erin");
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/")).StatusCode);
        var access = serve.Get<AccessStore>();
        var erin = (await access.ListUsersAsync()).Single(u => u.Login == "erin");
        await access.SetPasswordAsync(erin.Id, "another long password", "test");
        var after = await session.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/login", after.Headers.Location?.PathAndQuery ?? after.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATotpAccountNeedsTheCode()
    {
        await using var serve = await TestServe.StartAsync();
        var access = serve.Get<AccessStore>();
        var user = await access.AddUserAsync(new NewWebUser("frank", "Frank", WebRole.Administrator, TestServe.Password), "test");
        var secret = await access.EnableTotpAsync(user.Id, "test");
        using var session = new BrowserSession(serve.Web);
        var withoutCode = await session.SignInAsync("frank", TestServe.Password);
        Assert.Equal(HttpStatusCode.OK, withoutCode.StatusCode);
        Assert.Contains("authenticator", await withoutCode.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var code = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(secret)).ComputeTotp();
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync("frank", TestServe.Password, code)).StatusCode);
    }

    [Fact]
    public async Task SigningOutNeedsTheCsrfTokenAndEndsTheSession()
    {
        await using var serve = await TestServe.StartAsync();
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.ReadOnly);
        var forged = await session.Http.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/")).StatusCode);

        var logout = await session.PostFormAsync("/", "/logout", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await session.Http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task PagesWithoutASessionRedirectToTheSignInPage()
    {
        await using var serve = await TestServe.StartAsync();
        using var session = new BrowserSession(serve.Web);
        var response = await session.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/login", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/assets/site.css")).StatusCode);
    }
}
