using System.Net;
using System.Text;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Floodgate.Web.Tests;

/// <summary>
/// Every endpoint under /api/v1, as the running app has them (so an endpoint added later is covered
/// without touching this file), against every role: each names a policy of <see cref="AccessPolicies"/>,
/// each role the policy does not admit gets 403, each role it admits gets past authorisation, and
/// nobody gets in without a credential.
/// </summary>
public sealed class AuthorizationMatrixTests : IClassFixture<ServeFixture>
{
    // No row has this id: the calls get past authorisation and stop at "not found", so the matrix
    // changes nothing (a real id would let it revoke its own keys or disable the administrator).
    private const string DummyId = "999999";

    private readonly TestServe _serve;

    public AuthorizationMatrixTests(ServeFixture fixture) => _serve = fixture.Serve;

    public static TheoryData<WebRole> Roles() => [.. Enum.GetValues<WebRole>()];

    [Fact]
    public void EveryApiEndpointNamesAPolicyOfTheTable()
    {
        var endpoints = ApiEndpoints();
        Assert.True(endpoints.Count >= 40, $"only {endpoints.Count} endpoints found under {ApiGroup.Prefix}");
        var failures = new List<string>();
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
                failures.Add($"{endpoint.DisplayName}: allows anonymous callers");
            var policies = Policies(endpoint);
            if (policies.Count == 0)
                failures.Add($"{endpoint.DisplayName}: no explicit policy (the fallback is not a decision)");
            foreach (var policy in policies.Where(p => !AccessPolicies.Roles.ContainsKey(p)))
                failures.Add($"{endpoint.DisplayName}: policy \"{policy}\" is not in AccessPolicies");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task EachRoleGets403WhereItsPolicyRefusesItAndGetsPastWhereItAdmitsIt(WebRole role)
    {
        int? clientId = role == WebRole.ClientAdministrator
            ? (await _serve.SeedClientAsync(AccountsHarness.Unique("Matrix"), AccountsHarness.Unique("matrix") + ".example", "m")).ClientId
            : null;
        using var http = await _serve.ApiClientAsync(role, clientId);
        var failures = new List<string>();
        foreach (var endpoint in ApiEndpoints())
        {
            var admitted = Policies(endpoint).All(p => AccessPolicies.Allows(p, role));
            foreach (var method in Methods(endpoint))
            {
                using var response = await http.SendAsync(Request(method, endpoint));
                var status = (int)response.StatusCode;
                if (admitted && status is 401 or 403)
                    failures.Add($"{method} {endpoint.RoutePattern.RawText}: {role} is admitted by policy {string.Join("+", Policies(endpoint))} but got {status}");
                else if (!admitted && status != 403)
                    failures.Add($"{method} {endpoint.RoutePattern.RawText}: {role} is refused by policy {string.Join("+", Policies(endpoint))} but got {status}");
                else if (status >= 500)
                    failures.Add($"{method} {endpoint.RoutePattern.RawText}: {role} got {status}: {await response.BodyAsync()}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task WithoutACredentialEveryApiEndpointAnswers401()
    {
        using var anonymous = new HttpClient { BaseAddress = _serve.Web };
        var failures = new List<string>();
        foreach (var endpoint in ApiEndpoints())
        {
            foreach (var method in Methods(endpoint))
            {
                using var response = await anonymous.SendAsync(Request(method, endpoint));
                if (response.StatusCode != HttpStatusCode.Unauthorized)
                    failures.Add($"{method} {endpoint.RoutePattern.RawText}: {(int)response.StatusCode}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private List<RouteEndpoint> ApiEndpoints() =>
        [.. _serve.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith(ApiGroup.Prefix, StringComparison.OrdinalIgnoreCase) == true)
            .OrderBy(e => e.RoutePattern.RawText, StringComparer.Ordinal)];

    private static List<string> Policies(Endpoint endpoint) =>
        [.. endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct()];

    private static IEnumerable<string> Methods(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get];

    /// <summary>The endpoint's URL with every route parameter filled, and an empty JSON object as the body of a change.</summary>
    private static HttpRequestMessage Request(string method, RouteEndpoint endpoint)
    {
        var path = new StringBuilder();
        foreach (var segment in endpoint.RoutePattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternParameterPart parameter => parameter.ParameterPolicies.Any(p => p.Content is "int" or "long") || parameter.Name.EndsWith("id", StringComparison.OrdinalIgnoreCase) ? DummyId : "dummy",
                    RoutePatternSeparatorPart separator => separator.Content,
                    _ => "",
                });
            }
        }

        var request = new HttpRequestMessage(new HttpMethod(method), path.ToString());
        if (method is "POST" or "PUT" or "PATCH")
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        return request;
    }
}
