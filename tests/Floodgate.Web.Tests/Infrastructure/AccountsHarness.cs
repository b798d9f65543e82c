using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using Floodgate.Core.Policy;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Storage.Transactions;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Floodgate.Web.Tests.Infrastructure;

/// <summary>One serve shared by the tests of a class; each test makes the accounts it needs under names of its own.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public TestServe Serve { get; private set; } = null!;

    public async Task InitializeAsync() => Serve = await TestServe.StartAsync();

    public async Task DisposeAsync() => await Serve.DisposeAsync();
}

/// <summary>A person signed in with a session cookie, as the console's browser is: the cookie, and the CSRF token for changes.</summary>
public sealed class CookieSession(HttpClient http, string csrf) : IDisposable
{
    public HttpClient Http { get; } = http;

    public string Csrf { get; } = csrf;

    /// <summary>A change as the console page sends it: with the CSRF header.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, bool withCsrf = true)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        if (withCsrf)
            request.Headers.Add(WebSecurity.CsrfHeader, Csrf);
        return Http.SendAsync(request);
    }

    public void Dispose() => Http.Dispose();
}

public static class AccountsHarness
{
    private static int _unique;

    /// <summary>A name no other test of this process uses.</summary>
    public static string Unique(string prefix) => $"{prefix}{Interlocked.Increment(ref _unique)}x{Environment.TickCount64 % 100_000}";

    /// <summary>Signs in through the real <see cref="SignIn"/> service (throttle, password, second factor) and carries its cookie.</summary>
    public static async Task<CookieSession> SignInAsync(this TestServe serve, string login, string password, string? totp = null)
    {
        using var scope = serve.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Scheme = serve.Web.Scheme;
        context.Request.Host = new HostString(serve.Web.Authority);
        scope.ServiceProvider.GetRequiredService<IHttpContextAccessor>().HttpContext = context;
        var (result, _) = await scope.ServiceProvider.GetRequiredService<SignIn>().SignInAsync(login, password, totp, CancellationToken.None);
        Assert.Equal(SignInResult.SignedIn, result);
        return await SessionFromCookieAsync(serve, CookieValue(context.Response.Headers.SetCookie.ToString()));
    }

    /// <summary>A session cookie for a ticket made here with the server's own keys: how an expired session is made without waiting.</summary>
    public static string ProtectTicket(this TestServe serve, ClaimsPrincipal principal, AuthenticationProperties properties)
    {
        var options = serve.Get<IOptionsMonitor<CookieAuthenticationOptions>>().Get(WebSecurity.CookieScheme);
        return options.TicketDataFormat.Protect(new AuthenticationTicket(principal, properties, WebSecurity.CookieScheme));
    }

    /// <summary>A client carrying <paramref name="cookie"/> as its session, with the CSRF token of <c>GET /api/v1/me</c> when the session is good.</summary>
    public static async Task<CookieSession> SessionFromCookieAsync(this TestServe serve, string cookie)
    {
        var cookies = new CookieContainer();
        cookies.Add(serve.Web, new Cookie(WebSecurity.SessionCookie, cookie));
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = serve.Web };
        var me = await http.GetAsync("/api/v1/me");
        var csrf = me.IsSuccessStatusCode ? (await me.ReadAsync<Me>()).CsrfToken : "";
        return new CookieSession(http, csrf);
    }

    public static async Task<WebUserView> AddUserAsync(this TestServe serve, string login, WebRole role, int? clientId = null) =>
        await serve.Get<AccessStore>().AddUserAsync(new NewWebUser(login, "Test " + login, role, TestServe.Password, clientId), "test");

    /// <summary>Rows in the transaction log as the engine writes them.</summary>
    public static async Task AddTransactionsAsync(this TestServe serve, params TransactionRecord[] records)
    {
        var factory = serve.Get<IDbContextFactory<FloodgateDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        db.Transactions.AddRange(records);
        await db.SaveChangesAsync();
    }

    public static TransactionRecord Transaction(int mailboxId, string mailbox, int domainId, int clientId, DateTimeOffset time, Outcome verdict = Outcome.Accepted, string door = "gateway", int recipients = 1) => new()
    {
        Time = time,
        MailboxId = mailboxId,
        MailboxAddress = mailbox,
        DomainId = domainId,
        ClientId = clientId,
        ClientAddress = "192.0.2.10",
        FrontDoor = door,
        EnvelopeSender = mailbox,
        RecipientCount = recipients,
        ExternalRecipientCount = recipients,
        RecipientDomains = "example.net",
        SizeBytes = 2048,
        MessageId = Guid.NewGuid().ToString("N") + "@test",
        Verdict = verdict,
        VerdictCode = verdict == Outcome.Accepted ? "250 2.0.0" : "450 4.7.1",
    };

    /// <summary>The engine's directory reloaded now, as after any change through the API.</summary>
    public static Task RefreshAsync(this TestServe serve) => serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);

    public static async Task<string> BodyAsync(this HttpResponseMessage response) => await response.Content.ReadAsStringAsync();

    public static void WithKey(this HttpClient http, string token) => http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    private static string CookieValue(string setCookie)
    {
        var prefix = WebSecurity.SessionCookie + "=";
        var start = setCookie.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no session cookie in: {setCookie}");
        start += prefix.Length;
        var end = setCookie.IndexOf(';', start);
        return setCookie[start..(end < 0 ? setCookie.Length : end)];
    }
}
