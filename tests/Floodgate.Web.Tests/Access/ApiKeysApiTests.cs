using System.Net;
using System.Net.Http.Json;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Access;

public sealed class ApiKeysApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public ApiKeysApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task ACreatedKeyShowsItsTokenOnceAndActsWithItsRole()
    {
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await admin.PostAsJsonAsync("/api/v1/api-keys", new ApiKeyCreate("ticketing", WebRole.Support, null));
        var created = await response.ReadAsync<CreatedApiKey>();
        var listed = await (await admin.GetAsync("/api/v1/api-keys")).BodyAsync();
        using var keyed = new HttpClient { BaseAddress = _serve.Web };
        keyed.WithKey(created.Token);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.StartsWith($"fgk_{created.Key.Id}_", created.Token, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Token, listed, StringComparison.Ordinal);
        // The secret is what follows "fgk_<id>_" (base64url: it may itself hold '_').
        Assert.DoesNotContain(created.Token[$"fgk_{created.Key.Id}_".Length..], listed, StringComparison.Ordinal);
        Assert.Equal(WebRole.Support, (await (await keyed.GetAsync("/api/v1/me")).ReadAsync<Me>()).Role);
        Assert.Equal(HttpStatusCode.Forbidden, (await keyed.GetAsync("/api/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task AKeysLastUseIsListedWithItsAddress()
    {
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);
        var created = await (await admin.PostAsJsonAsync("/api/v1/api-keys", new ApiKeyCreate("monitoring", WebRole.ReadOnly, null))).ReadAsync<CreatedApiKey>();
        using var keyed = new HttpClient { BaseAddress = _serve.Web };
        keyed.WithKey(created.Token);
        await keyed.GetAsync("/api/v1/me");

        var key = await (await admin.GetAsync($"/api/v1/api-keys/{created.Key.Id}")).ReadAsync<ApiKeyView>();

        Assert.Null(created.Key.LastUsedAt);
        Assert.NotNull(key.LastUsedAt);
        Assert.Equal("127.0.0.1", key.LastUsedFrom);
    }

    [Fact]
    public async Task ARevokedKeyStopsWorkingAtOnceAndIsListedAsRevoked()
    {
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);
        var created = await (await admin.PostAsJsonAsync("/api/v1/api-keys", new ApiKeyCreate("old integration", WebRole.AbuseDesk, null))).ReadAsync<CreatedApiKey>();
        using var keyed = new HttpClient { BaseAddress = _serve.Web };
        keyed.WithKey(created.Token);
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/api/v1/me")).StatusCode);

        var revoked = await (await admin.DeleteAsync($"/api/v1/api-keys/{created.Key.Id}")).ReadAsync<ApiKeyView>();

        Assert.NotNull(revoked.RevokedAt);
        Assert.StartsWith("api-key:", revoked.RevokedBy, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyed.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task AClientAdministratorsKeyNeedsAnExistingClient()
    {
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);

        using var none = await admin.PostAsJsonAsync("/api/v1/api-keys", new ApiKeyCreate("portal", WebRole.ClientAdministrator, null));
        using var unknown = await admin.PostAsJsonAsync("/api/v1/api-keys", new ApiKeyCreate("portal", WebRole.ClientAdministrator, 999999));
        using var noRole = await admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "portal" });

        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("role is required", await noRole.BodyAsync(), StringComparison.Ordinal);
    }
}
