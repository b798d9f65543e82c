using System.Net;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests;

public sealed class SessionApiTests
{
    [Fact]
    public async Task AnApiKeySaysWhoItIs()
    {
        await using var serve = await TestServe.StartAsync();
        using var http = await serve.ApiClientAsync(WebRole.AbuseDesk);
        var me = await (await http.GetAsync("/api/v1/me")).ReadAsync<Me>();
        Assert.Equal(WebRole.AbuseDesk, me.Role);
        Assert.StartsWith("api-key:", me.Actor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutCredentialsTheApiAnswers401AndARevokedKeyToo()
    {
        await using var serve = await TestServe.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = serve.Web };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/me")).StatusCode);

        var created = await serve.Get<AccessStore>().CreateApiKeyAsync("k", WebRole.ReadOnly, null, "test");
        using var keyed = new HttpClient { BaseAddress = serve.Web };
        keyed.DefaultRequestHeaders.Authorization = new("Bearer", created.Token);
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/api/v1/me")).StatusCode);
        await serve.Get<AccessStore>().RevokeApiKeyAsync(created.Key.Id, "test");
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyed.GetAsync("/api/v1/me")).StatusCode);

        keyed.DefaultRequestHeaders.Authorization = new("Bearer", created.Token[..^2] + "xx");
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyed.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task TheFirstStartMakesAnAdministratorWhosePasswordIsInTheDataFolderOnly()
    {
        await using var serve = await TestServe.StartAsync();
        var path = Path.Combine(serve.DataDirectory, "initial-admin-password");
        var password = (await File.ReadAllTextAsync(path)).Trim();
        Assert.True(password.Length >= 20);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.NotNull(await serve.Get<AccessStore>().VerifyPasswordAsync("admin", password));
    }
}
