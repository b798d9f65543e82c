using System.Net;
using System.Net.Http.Json;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Access;

public sealed class UsersApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public UsersApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task AnAddedOperatorIsAnsweredWithoutSecretsAndCanSignIn()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var login = AccountsHarness.Unique("carol");

        using var response = await http.PostAsJsonAsync("/api/v1/users", new UserCreate(login, "Carol", WebRole.AbuseDesk, null, TestServe.Password));
        var body = await response.BodyAsync();
        using var session = await _serve.SignInAsync(login, TestServe.Password);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.DoesNotContain("argon2", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(TestServe.Password, body, StringComparison.Ordinal);
        Assert.Equal(WebRole.AbuseDesk, (await (await session.Http.GetAsync("/api/v1/me")).ReadAsync<Me>()).Role);
    }

    [Fact]
    public async Task AChangedRoleEndsTheAccountsSessionsAtOnce()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("dave"), WebRole.AbuseDesk);
        using var session = await _serve.SignInAsync(user.Login, TestServe.Password);

        var changed = await (await http.PutAsJsonAsync($"/api/v1/users/{user.Id}/role", new UserRoleChange(WebRole.ReadOnly, null))).ReadAsync<WebUserView>();

        Assert.Equal(WebRole.ReadOnly, changed.Role);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.Http.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task AClientAdministratorNeedsAnExistingClient()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);

        using var none = await http.PostAsJsonAsync("/api/v1/users", new UserCreate(AccountsHarness.Unique("erin"), "Erin", WebRole.ClientAdministrator, null, TestServe.Password));
        using var unknown = await http.PostAsJsonAsync("/api/v1/users", new UserCreate(AccountsHarness.Unique("erin"), "Erin", WebRole.ClientAdministrator, 999999, TestServe.Password));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (none.StatusCode, unknown.StatusCode));
        Assert.Contains("a client administrator needs a client", await none.BodyAsync(), StringComparison.Ordinal);
        Assert.Contains("\"clientId\"", await unknown.BodyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisablingTheLastEnabledAdministratorAnswers409AndLeavesItEnabled()
    {
        await using var serve = await TestServe.StartAsync();
        using var http = await serve.ApiClientAsync(WebRole.Administrator);
        var admin = (await (await http.GetAsync("/api/v1/users")).ReadAsync<List<WebUserView>>()).Single(u => u.Role == WebRole.Administrator);

        using var disable = await http.PostAsync($"/api/v1/users/{admin.Id}/disable", null);
        using var demote = await http.PutAsJsonAsync($"/api/v1/users/{admin.Id}/role", new UserRoleChange(WebRole.ReadOnly, null));

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict), (disable.StatusCode, demote.StatusCode));
        Assert.Contains("last enabled administrator", await disable.BodyAsync(), StringComparison.Ordinal);
        var after = await (await http.GetAsync($"/api/v1/users/{admin.Id}")).ReadAsync<WebUserView>();
        Assert.Equal((false, WebRole.Administrator), (after.Disabled, after.Role));
    }

    [Fact]
    public async Task ADisabledAccountCannotSignInAndAnEnabledOneCanAgain()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("fay"), WebRole.Support);

        var disabled = await (await http.PostAsync($"/api/v1/users/{user.Id}/disable", null)).ReadAsync<WebUserView>();
        var refused = await _serve.Get<AccessStore>().VerifyPasswordAsync(user.Login, TestServe.Password);
        await http.PostAsync($"/api/v1/users/{user.Id}/enable", null);

        Assert.True(disabled.Disabled);
        Assert.Null(refused);
        Assert.NotNull(await _serve.Get<AccessStore>().VerifyPasswordAsync(user.Login, TestServe.Password));
    }

    [Fact]
    public async Task EnablingASecondFactorAnswersItsOtpauthUriOnceAndSignInNeedsTheCodeFromThenOn()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("gus"), WebRole.ReadOnly);

        var setup = await (await http.PostAsync($"/api/v1/users/{user.Id}/totp", null)).ReadAsync<TotpSetup>();
        var listed = await (await http.GetAsync($"/api/v1/users/{user.Id}")).BodyAsync();

        Assert.StartsWith("otpauth://totp/", setup.OtpauthUri, StringComparison.Ordinal);
        Assert.Contains("secret=" + setup.Secret, setup.OtpauthUri, StringComparison.Ordinal);
        Assert.Contains("issuer=Floodgate", setup.OtpauthUri, StringComparison.Ordinal);
        Assert.DoesNotContain(setup.Secret, listed, StringComparison.Ordinal);
        var code = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(setup.Secret)).ComputeTotp();
        using var session = await _serve.SignInAsync(user.Login, TestServe.Password, code);
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/api/v1/me")).StatusCode);
        Assert.False(_serve.Get<AccessStore>().VerifyTotp((await _serve.Get<AccessStore>().FindUserAsync(user.Id))!, null));
    }

    [Fact]
    public async Task AnAdministratorResetsAPasswordAndTheOldOneStopsWorking()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("hal"), WebRole.Support);

        using var response = await http.PutAsJsonAsync($"/api/v1/users/{user.Id}/password", new PasswordSet("a long enough new one"));
        using var tooShort = await http.PutAsJsonAsync($"/api/v1/users/{user.Id}/password", new PasswordSet("short"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Contains("at least 12 characters", await tooShort.BodyAsync(), StringComparison.Ordinal);
        Assert.Null(await _serve.Get<AccessStore>().VerifyPasswordAsync(user.Login, TestServe.Password));
        Assert.NotNull(await _serve.Get<AccessStore>().VerifyPasswordAsync(user.Login, "a long enough new one"));
    }

    [Fact]
    public async Task APersonChangesTheirOwnPasswordWithTheCurrentOneAndStaysSignedIn()
    {
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("ivy") + "@client.example", WebRole.ClientAdministrator,
            (await _serve.SeedClientAsync(AccountsHarness.Unique("Ivy"), AccountsHarness.Unique("ivy") + ".example", "m")).ClientId);
        using var session = await _serve.SignInAsync(user.Login, TestServe.Password);

        using var response = await session.SendAsync(HttpMethod.Put, "/api/v1/me/password", new OwnPasswordChange(TestServe.Password, "my own new passphrase"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/api/v1/me")).StatusCode);
        Assert.NotNull(await _serve.Get<AccessStore>().VerifyPasswordAsync(user.Login, "my own new passphrase"));
    }

    [Fact]
    public async Task AWrongCurrentPasswordAnswers400AndChangesNothing()
    {
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("jan"), WebRole.ReadOnly);
        using var session = await _serve.SignInAsync(user.Login, TestServe.Password);
        var stamp = (await _serve.Get<AccessStore>().FindUserAsync(user.Id))!.SecurityStamp;

        using var password = await session.SendAsync(HttpMethod.Put, "/api/v1/me/password", new OwnPasswordChange("not my password", "my own new passphrase"));
        using var totp = await session.SendAsync(HttpMethod.Post, "/api/v1/me/totp", new OwnTotpChange("not my password"));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (password.StatusCode, totp.StatusCode));
        Assert.Contains("currentPassword is not your current password", await password.BodyAsync(), StringComparison.Ordinal);
        var after = (await _serve.Get<AccessStore>().FindUserAsync(user.Id))!;
        Assert.Equal((stamp, (string?)null), (after.SecurityStamp, after.TotpSecret));
    }

    [Fact]
    public async Task APersonEnablesAndDisablesTheirOwnSecondFactor()
    {
        var user = await _serve.AddUserAsync(AccountsHarness.Unique("kim"), WebRole.Support);
        using var session = await _serve.SignInAsync(user.Login, TestServe.Password);

        var setup = await (await session.SendAsync(HttpMethod.Post, "/api/v1/me/totp", new OwnTotpChange(TestServe.Password))).ReadAsync<TotpSetup>();
        var enabled = (await _serve.Get<AccessStore>().FindUserAsync(user.Id))!.TotpSecret;
        using var disable = await session.SendAsync(HttpMethod.Post, "/api/v1/me/totp/disable", new OwnTotpChange(TestServe.Password));

        Assert.Equal(setup.Secret, enabled);
        Assert.Equal(HttpStatusCode.NoContent, disable.StatusCode);
        Assert.Null((await _serve.Get<AccessStore>().FindUserAsync(user.Id))!.TotpSecret);
    }

    [Fact]
    public async Task AnApiKeyHasNoOwnPasswordToChange()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await http.PutAsJsonAsync("/api/v1/me/password", new OwnPasswordChange(TestServe.Password, "whatever it would be"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("An API key has no password", await response.BodyAsync(), StringComparison.Ordinal);
    }
}
