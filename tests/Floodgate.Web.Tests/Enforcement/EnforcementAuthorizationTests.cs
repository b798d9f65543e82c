using System.Net;
using Floodgate.Storage.Access;
using Floodgate.Web.Security;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace Floodgate.Web.Tests.Enforcement;

/// <summary>
/// Each role against each enforcement endpoint, from the policy table (<see cref="AccessPolicies.Roles"/>):
/// a role the policy leaves out gets 403, one it names gets past authorisation (here to a 404 or 400
/// about the unknown ids and empty bodies, which changes nothing). Without credentials: 401.
/// </summary>
public sealed class EnforcementAuthorizationTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private const string Unknown = "987654";

    private static readonly (string Method, string Path, string Policy)[] Endpoints =
    [
        ("GET", "/api/v1/offenses", AccessPolicies.ReadScoped),
        ("GET", $"/api/v1/offenses/{Unknown}", AccessPolicies.ReadScoped),
        ("GET", "/api/v1/suspensions", AccessPolicies.ReadScoped),
        ("POST", "/api/v1/suspensions", AccessPolicies.Enforce),
        ("POST", "/api/v1/suspensions/lift", AccessPolicies.Enforce),
        ("GET", "/api/v1/incidents", AccessPolicies.ReadScoped),
        ("GET", $"/api/v1/incidents/{Unknown}", AccessPolicies.ReadScoped),
        ("POST", $"/api/v1/incidents/{Unknown}/report", AccessPolicies.Report),
        ("POST", $"/api/v1/incidents/{Unknown}/return", AccessPolicies.Enforce),
        ("POST", $"/api/v1/incidents/{Unknown}/accept", AccessPolicies.Enforce),
        ("POST", $"/api/v1/incidents/{Unknown}/reinstate", AccessPolicies.Enforce),
        ("POST", $"/api/v1/incidents/{Unknown}/close", AccessPolicies.Enforce),
        ("GET", "/api/v1/contact-tasks", AccessPolicies.Calls),
        ("POST", $"/api/v1/contact-tasks/{Unknown}/calls", AccessPolicies.Calls),
        ("GET", $"/api/v1/incidents/{Unknown}/damages", AccessPolicies.ReadScoped),
        ("GET", $"/api/v1/incidents/{Unknown}/damages.csv", AccessPolicies.ReadScoped),
        ("GET", $"/api/v1/incidents/{Unknown}/damages.html", AccessPolicies.ReadScoped),
    ];

    public static TheoryData<string, string, WebRole> Matrix()
    {
        var data = new TheoryData<string, string, WebRole>();
        foreach (var (method, path, _) in Endpoints)
        {
            foreach (var role in Enum.GetValues<WebRole>())
                data.Add(method, path, role);
        }

        return data;
    }

    public static TheoryData<string, string> All()
    {
        var data = new TheoryData<string, string>();
        foreach (var (method, path, _) in Endpoints)
            data.Add(method, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task EachRoleGetsWhatItsPolicyAllows(string method, string path, WebRole role)
    {
        var policy = Endpoints.Single(e => e.Method == method && e.Path == path).Policy;
        int? clientId = role == WebRole.ClientAdministrator ? (await fixture.Serve.SeedAsync("Matrix")).ClientId : null;
        using var http = await fixture.Serve.ApiClientAsync(role, clientId);

        var response = await SendAsync(http, method, path);

        if (AccessPolicies.Allows(policy, role))
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{role} {method} {path}: {(int)response.StatusCode}");
        else
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task WithoutCredentialsEveryEndpointIs401(string method, string path)
    {
        using var http = new HttpClient { BaseAddress = fixture.Serve.Web };

        var response = await SendAsync(http, method, path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>The serve's own routes: each enforcement endpoint is in the matrix, with its policy named on it (not the fallback's).</summary>
    [Fact]
    public void EveryEnforcementEndpointIsInTheMatrixWithItsOwnPolicy()
    {
        string[] tags = ["Offenses", "Suspensions", "Incidents", "Contact tasks", "Damages"];
        var routes = fixture.Serve.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ITagsMetadata>()?.Tags.Any(tags.Contains) == true)
            .Select(e => (
                Method: e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Single(),
                Path: "/" + e.RoutePattern.RawText!.Trim('/').Replace("{id:long}", Unknown, StringComparison.Ordinal),
                Policy: string.Join(",", e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy))))
            .OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal)
            .ToList();

        Assert.Equal(Endpoints.OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal), routes);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string method, string path) =>
        method == "GET" ? http.GetAsync(path) : http.PostAsync(path, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
}
