using System.Net;
using System.Text.RegularExpressions;
using Floodgate.Storage.Access;

namespace Floodgate.Web.Tests.Infrastructure;

/// <summary>
/// What a browser does, over plain HTTP: a cookie jar, the sign-in form, and forms posted with the
/// CSRF token the page carried. For the console and portal pages' tests (Playwright drives the real browser in one E2E test).
/// </summary>
public sealed partial class BrowserSession : IDisposable
{
    private readonly HttpClientHandler _handler;

    public BrowserSession(Uri baseAddress)
    {
        _handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };
        Http = new HttpClient(_handler) { BaseAddress = baseAddress };
        Http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
    }

    public HttpClient Http { get; }

    public CookieContainer Cookies => _handler.CookieContainer;

    /// <summary>Makes a web user of the role and signs it in; returns the sign-in's response (a redirect when it worked).</summary>
    public static async Task<BrowserSession> SignedInAsync(TestServe serve, WebRole role, int? clientId = null, string? login = null)
    {
        login ??= $"{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}"[..24];
        await serve.Get<AccessStore>().AddUserAsync(new NewWebUser(login, "Test " + role, role, TestServe.Password, clientId), "test");
        var session = new BrowserSession(serve.Web);
        var response = await session.SignInAsync(login, TestServe.Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return session;
    }

    public async Task<HttpResponseMessage> SignInAsync(string login, string password, string? code = null)
    {
        var fields = new Dictionary<string, string> { ["Login"] = login, ["Password"] = password };
        if (code is not null)
            fields["Code"] = code;
        return await PostFormAsync("/login", "/login", fields);
    }

    /// <summary>Loads <paramref name="pageUrl"/> for its CSRF token, then posts the fields to <paramref name="actionUrl"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string pageUrl, string actionUrl, IDictionary<string, string> fields)
    {
        var page = await Http.GetStringAsync(pageUrl);
        var token = TokenField().Match(page);
        Assert.True(token.Success, $"no CSRF token on {pageUrl}");
        var all = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value) };
        return await Http.PostAsync(actionUrl, new FormUrlEncodedContent(all));
    }

    /// <summary>The CSRF token a script sends in X-CSRF-Token, from the page's meta tag.</summary>
    public async Task<string> CsrfTokenAsync(string pageUrl = "/")
    {
        var page = await Http.GetStringAsync(pageUrl);
        var meta = MetaToken().Match(page);
        Assert.True(meta.Success, $"no csrf-token meta on {pageUrl}");
        return WebUtility.HtmlDecode(meta.Groups[1].Value);
    }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]+)\"")]
    private static partial Regex MetaToken();
}
