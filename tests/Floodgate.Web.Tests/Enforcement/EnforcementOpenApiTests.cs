using System.Text.Json;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Enforcement;

public sealed class EnforcementOpenApiTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    [Theory]
    [InlineData("/api/v1/offenses/{id}", "get")]
    [InlineData("/api/v1/suspensions/lift", "post")]
    [InlineData("/api/v1/incidents/{id}/reinstate", "post")]
    [InlineData("/api/v1/contact-tasks/{id}/calls", "post")]
    [InlineData("/api/v1/incidents/{id}/damages.csv", "get")]
    public async Task EachEnforcementEndpointIsInTheOpenApiDocument(string path, string method)
    {
        using var http = new HttpClient { BaseAddress = fixture.Serve.Web };

        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));

        Assert.True(document.RootElement.GetProperty("paths").GetProperty(path).TryGetProperty(method, out _));
    }
}
