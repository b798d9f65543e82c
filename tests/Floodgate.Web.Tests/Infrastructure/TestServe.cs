using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Floodgate.Hosting;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web.Tests.Infrastructure;

/// <summary>
/// The whole of `floodgate serve` in this process, on ports the OS picks, with its own data folder and
/// database (SQLite, or PostgreSQL with FLOODGATE_TEST_DB: <see cref="TestDatabases"/>): the same wiring, the same middleware, real HTTP over loopback.
/// </summary>
public sealed class TestServe : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    private TestServe(RunningServe serve, string dataDirectory)
    {
        Serve = serve;
        DataDirectory = dataDirectory;
    }

    internal RunningServe Serve { get; }

    public string DataDirectory { get; }

    public Uri Web => Serve.Web;

    public IPEndPoint Smtp => Serve.Smtp[0];

    public IServiceProvider Services => Serve.Services;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public static async Task<TestServe> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "floodgate-web-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDirectory);
        var values = new Dictionary<string, string?>
        {
            ["DataDirectory"] = dataDirectory,
            ["Smtp:Listen:0"] = "127.0.0.1:0",
            ["PolicyDelegation:Listen:0"] = "127.0.0.1:0",
            ["Milter:Listen:0"] = "127.0.0.1:0",
            ["Lmtp:Listen:0"] = "127.0.0.1:0",
            ["Web:Url"] = "http://127.0.0.1:0",
        };
        if (TestDatabases.IsPostgres)
        {
            // The folder's own database, kept across a restart on the same folder, dropped at DisposeAsync.
            values["Database:Provider"] = TestDatabases.Provider;
            values["Database:ConnectionString"] = TestDatabases.ConnectionString(dataDirectory);
        }

        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            values[k] = v;
        var error = new StringWriter();
        var (serve, exit) = await ServeHost.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), null, null, error, CancellationToken.None);
        if (serve is null)
            throw new InvalidOperationException($"serve did not start ({exit}): {error}");
        return new TestServe(serve, dataDirectory);
    }

    /// <summary>A client with an API key of the role (and client, for a client administrator).</summary>
    public async Task<HttpClient> ApiClientAsync(WebRole role, int? clientId = null)
    {
        var created = await Get<AccessStore>().CreateApiKeyAsync($"test {role} {Guid.NewGuid():N}", role, clientId, "test");
        var http = new HttpClient { BaseAddress = Web };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Token);
        return http;
    }

    /// <summary>A client and a domain with one mailbox; returns their ids.</summary>
    public async Task<(int ClientId, int DomainId, int MailboxId)> SeedClientAsync(string name, string domain, string mailbox)
    {
        var accounts = Get<AccountStore>();
        var client = await accounts.AddClientAsync(new NewClient(name, "Ann " + name, "+1 555 0100", "contact@" + domain), "test");
        var d = await accounts.AddDomainAsync(client.Id, domain, "test");
        var m = await accounts.AddMailboxAsync(new NewMailbox(mailbox + "@" + domain, Password), "test");
        return (client.Id, d.Id, m.Id);
    }

    public async ValueTask DisposeAsync()
    {
        await Serve.DisposeAsync();
        try
        {
            TestDatabases.Release(DataDirectory);
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

public static class HttpJson
{
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
