using System.Net;
using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Floodgate.Web.Tests;

/// <summary>
/// Two clients, A and B, each with domains, mailboxes, a plan and transactions. A client administrator of
/// A, by API key and by session cookie, gets nothing of B: not in lists, not by id (404, as for an id that
/// does not exist), not through a filter naming B. The sweep walks every GET endpoint a client
/// administrator may call, so endpoints added later are held to the same rule.
/// </summary>
public sealed class ClientIsolationTests : IClassFixture<ClientIsolationTests.World>
{
    private readonly World _world;

    public ClientIsolationTests(World world) => _world = world;

    public static TheoryData<string> Credentials() => ["api-key", "cookie"];

    [Theory]
    [MemberData(nameof(Credentials))]
    public async Task ListsHoldOnlyTheOwnClient(string credential)
    {
        using var http = await _world.ClientAdministratorOfAAsync(credential);

        var clients = await (await http.GetAsync("/api/v1/clients")).ReadAsync<Page<ClientView>>();
        var domains = await (await http.GetAsync("/api/v1/domains?limit=500")).ReadAsync<Page<DomainView>>();
        var mailboxes = await (await http.GetAsync("/api/v1/mailboxes?limit=500")).ReadAsync<Page<MailboxView>>();
        var transactions = await (await http.GetAsync("/api/v1/transactions?limit=500")).ReadAsync<Page<TransactionView>>();
        var plans = await (await http.GetAsync("/api/v1/plans")).ReadAsync<List<PlanView>>();

        Assert.Equal([_world.A.ClientId], clients.Items.Select(c => c.Id));
        Assert.Equal(_world.A.DomainIds.Order(), domains.Items.Select(d => d.Id).Order());
        Assert.Equal(_world.A.MailboxIds.Order(), mailboxes.Items.Select(m => m.Id).Order());
        Assert.NotEmpty(transactions.Items);
        Assert.All(transactions.Items, t => Assert.Equal(_world.A.ClientId, t.ClientId));
        Assert.Equal([_world.A.PlanId], plans.Select(p => p.Id));
    }

    [Theory]
    [MemberData(nameof(Credentials))]
    public async Task TheOtherClientsIdsAnswer404LikeIdsThatDoNotExist(string credential)
    {
        using var http = await _world.ClientAdministratorOfAAsync(credential);
        var b = _world.B;
        string[] paths =
        [
            $"/api/v1/clients/{b.ClientId}", $"/api/v1/domains/{b.DomainIds[0]}", $"/api/v1/mailboxes/{b.MailboxIds[0]}", $"/api/v1/plans/{b.PlanId}",
            $"/api/v1/clients/{b.ClientId}/counters", $"/api/v1/domains/{b.DomainIds[0]}/counters", $"/api/v1/mailboxes/{b.MailboxIds[0]}/counters",
        ];

        foreach (var path in paths)
        {
            using var response = await http.GetAsync(path);
            using var missing = await http.GetAsync(path.Replace($"/{PathId(path)}", "/999999", StringComparison.Ordinal));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
            Assert.Equal(missing.StatusCode, response.StatusCode);
            Assert.Equal(await Title(missing), await Title(response));
        }
    }

    [Theory]
    [MemberData(nameof(Credentials))]
    public async Task AFilterNamingTheOtherClientAnswers404AndOtherFiltersFindNothingOfIt(string credential)
    {
        using var http = await _world.ClientAdministratorOfAAsync(credential);
        var b = _world.B;

        foreach (var path in new[] { "/api/v1/domains", "/api/v1/mailboxes", "/api/v1/transactions" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"{path}?clientId={b.ClientId}")).StatusCode);
        var byDomain = await (await http.GetAsync($"/api/v1/mailboxes?domainId={b.DomainIds[0]}")).ReadAsync<Page<MailboxView>>();
        var byMailbox = await (await http.GetAsync($"/api/v1/transactions?mailboxId={b.MailboxIds[0]}")).ReadAsync<Page<TransactionView>>();
        var byAddress = await (await http.GetAsync($"/api/v1/transactions?mailbox={b.Addresses[0]}")).ReadAsync<Page<TransactionView>>();
        var byDomainLog = await (await http.GetAsync($"/api/v1/transactions?domainId={b.DomainIds[0]}")).ReadAsync<Page<TransactionView>>();
        var bySearch = await (await http.GetAsync($"/api/v1/domains?search={World.BMarker}")).ReadAsync<Page<DomainView>>();

        Assert.Empty(byDomain.Items);
        Assert.Empty(byMailbox.Items);
        Assert.Empty(byAddress.Items);
        Assert.Empty(byDomainLog.Items);
        Assert.Empty(bySearch.Items);
    }

    [Theory]
    [MemberData(nameof(Credentials))]
    public async Task NoEndpointAClientAdministratorMayReadShowsAnythingOfTheOtherClient(string credential)
    {
        using var http = await _world.ClientAdministratorOfAAsync(credential);
        var failures = new List<string>();
        var sweeps = 0;
        foreach (var endpoint in _world.Serve.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.RoutePattern.RawText?.StartsWith(ApiGroup.Prefix, StringComparison.OrdinalIgnoreCase) != true
                || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) != true
                || !endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().All(p => AccessPolicies.Allows(p, WebRole.ClientAdministrator)))
            {
                continue;
            }

            foreach (var path in _world.PathsTowardsB(endpoint.RoutePattern))
            {
                sweeps++;
                using var response = await http.GetAsync(path);
                var body = await response.BodyAsync();
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NotFound))
                    failures.Add($"{path}: {(int)response.StatusCode}");
                if (body.Contains(World.BMarker, StringComparison.OrdinalIgnoreCase))
                    failures.Add($"{path}: the answer shows client B: {body[..Math.Min(body.Length, 300)]}");
            }
        }

        Assert.True(sweeps > 20, $"only {sweeps} requests swept");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task AnOperatorSeesBothClients()
    {
        using var http = await _world.Serve.ApiClientAsync(WebRole.ReadOnly);

        var clients = await (await http.GetAsync("/api/v1/clients?limit=500")).ReadAsync<Page<ClientView>>();
        var transactions = await (await http.GetAsync($"/api/v1/transactions?clientId={_world.B.ClientId}")).ReadAsync<Page<TransactionView>>();

        Assert.Contains(clients.Items, c => c.Id == _world.A.ClientId);
        Assert.Contains(clients.Items, c => c.Id == _world.B.ClientId);
        Assert.NotEmpty(transactions.Items);
    }

    private static string PathId(string path) => path.Split('/')[4];

    private static async Task<string?> Title(HttpResponseMessage response)
    {
        using var json = System.Text.Json.JsonDocument.Parse(await response.BodyAsync());
        return json.RootElement.GetProperty("title").GetString();
    }

    public sealed record Tenant(int ClientId, int PlanId, int[] DomainIds, int[] MailboxIds, string[] Addresses);

    /// <summary>The two clients, their transactions, and a client administrator of A with a password.</summary>
    public sealed class World : IAsyncLifetime
    {
        /// <summary>In every name of B (client, domains, addresses, contact): found in an answer, it is a leak.</summary>
        public const string BMarker = "betaleak";

        private readonly string _login = AccountsHarness.Unique("admin-of-a") + "@alpha.example";

        public TestServe Serve { get; private set; } = null!;

        public Tenant A { get; private set; } = null!;

        public Tenant B { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Serve = await TestServe.StartAsync();
            A = await AddTenantAsync("Alpha", "alphaone", "planalpha");
            B = await AddTenantAsync(BMarker + " Corp", BMarker, "plan" + BMarker);
            await Serve.AddUserAsync(_login, WebRole.ClientAdministrator, A.ClientId);
            await Serve.RefreshAsync();
        }

        public async Task DisposeAsync() => await Serve.DisposeAsync();

        public async Task<HttpClient> ClientAdministratorOfAAsync(string credential) =>
            credential == "cookie" ? (await Serve.SignInAsync(_login, TestServe.Password)).Http : await Serve.ApiClientAsync(WebRole.ClientAdministrator, A.ClientId);

        /// <summary>
        /// The endpoint's URL with each id parameter set to one of B's (the kind the path names; each of B's
        /// kinds when it names none), each string parameter to B's first address, and with ?clientId=B.
        /// </summary>
        public IEnumerable<string> PathsTowardsB(RoutePattern pattern)
        {
            var text = pattern.RawText ?? "";
            var hasParameters = pattern.Parameters.Count > 0;
            int[] ids = text.Contains("/clients/", StringComparison.Ordinal) ? [B.ClientId]
                : text.Contains("/domains/", StringComparison.Ordinal) ? [B.DomainIds[0]]
                : text.Contains("/mailboxes/", StringComparison.Ordinal) ? [B.MailboxIds[0]]
                : text.Contains("/plans/", StringComparison.Ordinal) ? [B.PlanId]
                : [B.ClientId, B.DomainIds[0], B.MailboxIds[0]];
            foreach (var id in hasParameters ? ids : [0])
            {
                var path = new StringBuilder();
                foreach (var segment in pattern.PathSegments)
                {
                    path.Append('/');
                    foreach (var part in segment.Parts)
                    {
                        path.Append(part switch
                        {
                            RoutePatternLiteralPart literal => literal.Content,
                            RoutePatternParameterPart p when p.ParameterPolicies.Any(x => x.Content is "int" or "long") || p.Name.EndsWith("id", StringComparison.OrdinalIgnoreCase) => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            RoutePatternParameterPart => Uri.EscapeDataString(B.Addresses[0]),
                            RoutePatternSeparatorPart separator => separator.Content,
                            _ => "",
                        });
                    }
                }

                yield return path.ToString();
                yield return $"{path}?clientId={B.ClientId}&domainId={B.DomainIds[0]}&mailboxId={B.MailboxIds[0]}&mailbox={Uri.EscapeDataString(B.Addresses[0])}";
            }
        }

        private async Task<Tenant> AddTenantAsync(string name, string domainStem, string plan)
        {
            var accounts = Serve.Get<AccountStore>();
            var planRow = await accounts.AddPlanAsync(plan, new PlanLimits(), "test");
            var client = await accounts.AddClientAsync(new NewClient(name, "Contact " + domainStem, "+1 555 0100", "contact@" + domainStem + ".example", plan), "test");
            var domains = new List<int>();
            var mailboxes = new List<int>();
            var addresses = new List<string>();
            foreach (var suffix in new[] { "one", "two" })
            {
                var domain = await accounts.AddDomainAsync(client.Id, $"{domainStem}-{suffix}.example", "test");
                domains.Add(domain.Id);
                foreach (var local in new[] { "ann", "bob" })
                {
                    var mailbox = await accounts.AddMailboxAsync(new NewMailbox($"{local}@{domain.Name}", TestServe.Password, $"{local} {domainStem}"), "test");
                    mailboxes.Add(mailbox.Id);
                    addresses.Add(mailbox.Address);
                    await Serve.AddTransactionsAsync(
                        AccountsHarness.Transaction(mailbox.Id, mailbox.Address, domain.Id, client.Id, DateTimeOffset.UtcNow.AddMinutes(-5)),
                        AccountsHarness.Transaction(mailbox.Id, mailbox.Address, domain.Id, client.Id, DateTimeOffset.UtcNow.AddMinutes(-1), Core.Policy.Outcome.Held));
                }
            }

            return new Tenant(client.Id, planRow.Id, [.. domains], [.. mailboxes], [.. addresses]);
        }
    }
}
