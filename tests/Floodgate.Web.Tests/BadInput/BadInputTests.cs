using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;

namespace Floodgate.Web.Tests.BadInput;

/// <summary>
/// What a careless or hostile caller sends: each gets a clear 4xx and changes nothing. Markup is data to the
/// API: kept as given and answered as JSON; escaping it is the job of the page that shows it.
/// </summary>
public sealed class BadInputTests : IClassFixture<ServeFixture>
{
    private const string Markup = "<script>alert('x')</script> & \"Co\" <b onmouseover=alert(1)>";

    private readonly TestServe _serve;

    public BadInputTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task InvalidJsonAnswers400AndAddsNothing()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var before = await CountClientsAsync();

        using var response = await http.PostAsync("/api/v1/clients", new StringContent("{\"name\": \"Acme\", ", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await CountClientsAsync());
    }

    [Fact]
    public async Task AWrongTypeAnswers400NamingTheJsonPathAndChangesNothing()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var plan = await (await http.PostAsJsonAsync("/api/v1/plans", new { name = AccountsHarness.Unique("typed") })).ReadAsync<PlanView>();

        using var response = await http.PatchAsync($"/api/v1/plans/{plan.Id}",
            new StringContent("{\"limits\":{\"mailbox\":{\"messagesPerHour\":\"lots\"}}}", Encoding.UTF8, "application/json"));
        using var role = await http.PostAsync("/api/v1/api-keys", new StringContent("{\"name\":\"k\",\"role\":\"Emperor\"}", Encoding.UTF8, "application/json"));
        using var notJson = await http.PostAsync("/api/v1/clients", new StringContent("name=Acme", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("$.limits.mailbox.messagesPerHour", await response.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, role.StatusCode);
        Assert.Contains("$.role", await role.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal(plan.Limits.Mailbox.MessagesPerHour, (await _serve.Get<AccountStore>().GetPlanAsync(plan.Id)).Limits.Mailbox.MessagesPerHour);
    }

    [Fact]
    public async Task ABodyLargerThanTheLimitAnswers413AndAddsNothing()
    {
        await using var serve = await TestServe.StartAsync(new Dictionary<string, string?> { ["Web:MaxRequestBodyBytes"] = "4096" });
        using var http = await serve.ApiClientAsync(WebRole.Administrator);
        var huge = JsonSerializer.Serialize(new ClientCreate("Huge", new string('a', 8000), "+1 555 010 0100", "a@huge.example", null));

        using var response = await http.PostAsync("/api/v1/clients", new StringContent(huge, Encoding.UTF8, "application/json"));
        using var fits = await http.PostAsJsonAsync("/api/v1/clients", new ClientCreate("Small", "Ann", "+1 555 010 0100", "a@small.example", null));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        Assert.Equal(["Small"], (await serve.Get<AccountStore>().QueryClientsAsync(new AccountQuery())).Items.Select(c => c.Client.Name));
    }

    [Fact]
    public async Task MarkupInEveryTextFieldIsStoredAsGivenAndAnsweredAsJsonThatNoBrowserSniffsAsHtml()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var domain = AccountsHarness.Unique("markup") + ".example";
        var client = await (await http.PostAsJsonAsync("/api/v1/clients", new ClientCreate(AccountsHarness.Unique("M") + Markup, Markup, "+1 555 010 0100", "a@" + domain, null))).ReadAsync<ClientView>();
        await http.PostAsJsonAsync("/api/v1/domains", new DomainCreate(client.Id, domain));
        var mailbox = await (await http.PostAsJsonAsync("/api/v1/mailboxes", new MailboxCreate("ann@" + domain, null, Markup))).ReadAsync<MailboxView>();
        var plan = await (await http.PostAsJsonAsync("/api/v1/plans", new PlanCreate(AccountsHarness.Unique("P") + Markup, null))).ReadAsync<PlanView>();
        var user = await (await http.PostAsJsonAsync("/api/v1/users", new UserCreate(AccountsHarness.Unique("markup"), Markup, WebRole.ReadOnly, null, TestServe.Password))).ReadAsync<WebUserView>();
        var key = await (await http.PostAsJsonAsync("/api/v1/api-keys", new ApiKeyCreate(Markup, WebRole.ReadOnly, null))).ReadAsync<CreatedApiKey>();
        await http.PostAsJsonAsync($"/api/v1/mailboxes/{mailbox.Id}/counters/reset", new CounterReset(Markup));

        string[] reads =
        [
            $"/api/v1/clients/{client.Id}", $"/api/v1/mailboxes/{mailbox.Id}", $"/api/v1/plans/{plan.Id}", $"/api/v1/users/{user.Id}",
            $"/api/v1/api-keys/{key.Key.Id}", $"/api/v1/audit?action=counters.reset&targetId={mailbox.Id}",
        ];
        foreach (var path in reads)
        {
            using var response = await http.GetAsync(path);
            var raw = await response.BodyAsync();
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Contains(Strings(JsonSerializer.Deserialize<JsonElement>(raw)), v => v.EndsWith(Markup, StringComparison.Ordinal));
        }

        Assert.EndsWith(Markup, client.Name, StringComparison.Ordinal);
        Assert.Equal((Markup, Markup, Markup, Markup), (client.Contact.Name, mailbox.DisplayName, user.DisplayName, key.Key.Name));
    }

    [Fact]
    public async Task UnknownIdsAnswer404ProblemDetails()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        (HttpMethod Method, string Path, object? Body)[] calls =
        [
            (HttpMethod.Get, "/api/v1/clients/999999", null), (HttpMethod.Patch, "/api/v1/clients/999999", new { name = "x" }),
            (HttpMethod.Get, "/api/v1/domains/999999", null), (HttpMethod.Get, "/api/v1/mailboxes/999999", null),
            (HttpMethod.Patch, "/api/v1/mailboxes/999999", new { displayName = "x" }), (HttpMethod.Put, "/api/v1/mailboxes/999999/password", new PasswordSet("long enough password")),
            (HttpMethod.Get, "/api/v1/plans/999999", null), (HttpMethod.Patch, "/api/v1/plans/999999", new { limits = new { } }),
            (HttpMethod.Get, "/api/v1/mailboxes/999999/counters", null), (HttpMethod.Post, "/api/v1/domains/999999/counters/reset", new CounterReset("why")),
            (HttpMethod.Get, "/api/v1/users/999999", null), (HttpMethod.Post, "/api/v1/users/999999/disable", null),
            (HttpMethod.Put, "/api/v1/users/999999/role", new UserRoleChange(WebRole.ReadOnly, null)), (HttpMethod.Post, "/api/v1/users/999999/totp", null),
            (HttpMethod.Get, "/api/v1/api-keys/999999", null), (HttpMethod.Delete, "/api/v1/api-keys/999999", null),
            (HttpMethod.Get, "/api/v1/clients/not-a-number", null),
        ];
        foreach (var (method, path, body) in calls)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode} {await response.BodyAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task ACookieSessionsChangeWithoutTheCsrfTokenAnswers400AndChangesNothing()
    {
        var admin = await _serve.AddUserAsync(AccountsHarness.Unique("csrf"), WebRole.Administrator);
        using var session = await _serve.SignInAsync(admin.Login, TestServe.Password);
        var name = AccountsHarness.Unique("Forged");
        var body = new ClientCreate(name, "Ann", "+1 555 010 0100", "a@forged.example", null);

        using var missing = await session.SendAsync(HttpMethod.Post, "/api/v1/clients", body, withCsrf: false);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/v1/clients") { Content = JsonContent.Create(body) };
        wrong.Headers.Add(WebSecurity.CsrfHeader, session.Csrf[..^4] + "AAAA");
        using var forged = await session.Http.SendAsync(wrong);
        var added = (await _serve.Get<AccountStore>().QueryClientsAsync(new AccountQuery(Search: name))).Items.Count;
        using var genuine = await session.SendAsync(HttpMethod.Post, "/api/v1/clients", body);

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (missing.StatusCode, forged.StatusCode));
        Assert.Contains("CSRF", await missing.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(0, added);
        Assert.Equal(HttpStatusCode.Created, genuine.StatusCode);
    }

    [Fact]
    public async Task AForgedExpiredOrOutdatedSessionCookieAnswers401()
    {
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("stale"), WebRole.Administrator);
        var stamp = (await _serve.Get<AccessStore>().FindUserAsync(user.Id))!.SecurityStamp;
        var identity = Caller.Identity(WebSecurity.CookieScheme, "operator:" + user.Login, user.Role, null, user.Id, stamp);
        var expired = _serve.ProtectTicket(new ClaimsPrincipal(identity), new AuthenticationProperties
        {
            IssuedUtc = DateTimeOffset.UtcNow.AddDays(-2),
            ExpiresUtc = DateTimeOffset.UtcNow.AddDays(-1),
        });
        using var signedIn = await _serve.SignInAsync(user.Login, TestServe.Password);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.Http.GetAsync("/api/v1/me")).StatusCode);

        using var forged = await _serve.SessionFromCookieAsync("CfDJ8" + Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', 120))));
        using var old = await _serve.SessionFromCookieAsync(expired);
        await _serve.Get<AccessStore>().SetPasswordAsync(user.Id, "changed elsewhere meanwhile", "test");

        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.Http.GetAsync("/api/v1/clients")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.Http.GetAsync("/api/v1/clients")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await signedIn.Http.GetAsync("/api/v1/clients")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await signedIn.SendAsync(HttpMethod.Post, "/api/v1/clients", new ClientCreate("Late", "Ann", "+1 555 010 0100", "a@late.example", null))).StatusCode);
        Assert.Empty((await _serve.Get<AccountStore>().QueryClientsAsync(new AccountQuery(Search: "Late"))).Items);
    }

    private static IEnumerable<string> Strings(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => [json.GetString()!],
        JsonValueKind.Object => json.EnumerateObject().SelectMany(p => Strings(p.Value)),
        JsonValueKind.Array => json.EnumerateArray().SelectMany(Strings),
        _ => [],
    };

    private async Task<int> CountClientsAsync() =>
        (await _serve.Get<AccountStore>().QueryClientsAsync(new AccountQuery(Limit: Paging.MaxLimit))).Items.Count;
}
