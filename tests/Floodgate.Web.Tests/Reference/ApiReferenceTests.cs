using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Reference;

/// <summary>The OpenAPI document and the interactive reference page, read without a credential as a new integrator would.</summary>
public sealed partial class ApiReferenceTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public ApiReferenceTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task TheDocumentListsTheAccountEndpointsAndTheirApiKeyScheme()
    {
        using var http = new HttpClient { BaseAddress = _serve.Web };
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;
        var paths = root.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();

        string[] expected =
        [
            "/api/v1/clients", "/api/v1/clients/{id}", "/api/v1/domains", "/api/v1/domains/{id}", "/api/v1/mailboxes", "/api/v1/mailboxes/{id}",
            "/api/v1/mailboxes/{id}/password", "/api/v1/plans", "/api/v1/plans/{id}", "/api/v1/transactions", "/api/v1/audit",
            "/api/v1/mailboxes/{id}/counters", "/api/v1/mailboxes/{id}/counters/reset", "/api/v1/domains/{id}/counters", "/api/v1/clients/{id}/counters/reset",
            "/api/v1/users", "/api/v1/users/{id}/role", "/api/v1/users/{id}/totp", "/api/v1/me/password", "/api/v1/me/totp", "/api/v1/api-keys", "/api/v1/api-keys/{id}",
        ];
        Assert.All(expected, p => Assert.Contains(p, paths));
        Assert.DoesNotContain(paths, p => p.StartsWith("/internal", StringComparison.Ordinal));
        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        foreach (var path in root.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/v1/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var security = operation.Value.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject()).Select(r => r.Name);
                Assert.Contains("ApiKey", security);
                Assert.Contains("Policy `", operation.Value.GetProperty("description").GetString(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task TheReferencePageLoadsAndEveryScriptComesFromThisServerUnderTheNonceOfItsPolicy()
    {
        using var http = new HttpClient { BaseAddress = _serve.Web };
        using var page = await http.GetAsync("/scalar/");
        var html = await page.BodyAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.DoesNotContain("http", csp, StringComparison.OrdinalIgnoreCase);
        var nonce = NonceInPolicy().Match(csp).Groups[1].Value;
        Assert.NotEmpty(nonce);
        var scripts = ScriptTag().Matches(html).Select(m => m.Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.Contains($"nonce=\"{nonce}\"", s, StringComparison.Ordinal));

        var sources = scripts.Select(s => ScriptSource().Match(s)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("scalar.js", sources);
        foreach (var source in sources)
        {
            Assert.DoesNotContain("//", source, StringComparison.Ordinal);
            using var script = await http.GetAsync(new Uri(new Uri(_serve.Web, "/scalar/"), source));
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
            Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 1000, source);
        }

        // Nothing fetched from elsewhere by configuration either: no CDN fonts, no telemetry, no AI agent.
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"agent\":{\"disabled\":true}", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryOtherPageKeepsTheStrictScriptPolicy()
    {
        using var http = new HttpClient { BaseAddress = _serve.Web };
        using var response = await http.GetAsync("/openapi/v1.json");

        Assert.Contains("script-src 'self';", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [GeneratedRegex("script-src 'self' 'nonce-([^']+)'")]
    private static partial Regex NonceInPolicy();

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("src=\"([^\"]+)\"")]
    private static partial Regex ScriptSource();
}
