using System.Net;
using System.Net.Http.Json;
using Floodgate.Core.Accounts;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Accounts;

public sealed class DomainsApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public DomainsApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task AnAddedDomainIsStoredAsALabelAndKnownToTheEngineAtOnce()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Domains"), AccountsHarness.Unique("d") + ".example", "m");
        var stem = AccountsHarness.Unique("bücher");

        using var response = await http.PostAsJsonAsync("/api/v1/domains", new DomainCreate(seeded.ClientId, stem + ".Example"));
        var domain = await response.ReadAsync<DomainView>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.StartsWith("xn--", domain.Name, StringComparison.Ordinal);
        Assert.Equal((seeded.ClientId, 0), (domain.Client.Id, domain.Mailboxes));
        Assert.True(_serve.Get<AccountDirectory>().TryGetDomain(domain.Name, out var state));
        Assert.Equal(seeded.ClientId, state.Client.Id);
    }

    [Fact]
    public async Task MailboxesOnFirstSightAreOnByDefaultAndTurnedOffByPatchAtOnceAndAudited()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Auto"), AccountsHarness.Unique("auto") + ".example", "m");

        var before = await (await http.GetAsync($"/api/v1/domains/{seeded.DomainId}")).ReadAsync<DomainView>();
        using var off = await http.PatchAsJsonAsync($"/api/v1/domains/{seeded.DomainId}", new DomainUpdate(false));
        var after = await off.ReadAsync<DomainView>();
        using var missing = await http.PatchAsJsonAsync("/api/v1/domains/999999", new DomainUpdate(true));

        Assert.True(before.AutoCreateMailboxes);
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.False(after.AutoCreateMailboxes);
        Assert.True(_serve.Get<AccountDirectory>().TryGetDomain(seeded.DomainId, out var state));
        Assert.False(state.AutoCreateMailboxes);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var audit = await _serve.Get<Floodgate.Storage.Audit.AuditLog>().PageAsync(new Floodgate.Storage.Audit.AuditQuery(TargetId: seeded.DomainId));
        Assert.Contains(audit.Items, a => a.Action.Contains("auto", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheListFiltersByClientAndCountsMailboxes()
    {
        using var http = await _serve.ApiClientAsync(WebRole.ReadOnly);
        var one = await _serve.SeedClientAsync(AccountsHarness.Unique("One"), AccountsHarness.Unique("one") + ".example", "m");
        await _serve.SeedClientAsync(AccountsHarness.Unique("Two"), AccountsHarness.Unique("two") + ".example", "m");

        var page = await (await http.GetAsync($"/api/v1/domains?clientId={one.ClientId}")).ReadAsync<Page<DomainView>>();

        var domain = Assert.Single(page.Items);
        Assert.Equal((one.DomainId, 1), (domain.Id, domain.Mailboxes));
        Assert.Equal("Ann " + domain.Client.Name, domain.Contact.Name);
    }

    [Fact]
    public async Task AnUnknownClientOrAMissingOneAnswers400NamingClientId()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var name = AccountsHarness.Unique("orphan") + ".example";

        using var unknown = await http.PostAsJsonAsync("/api/v1/domains", new DomainCreate(999999, name));
        using var missing = await http.PostAsJsonAsync("/api/v1/domains", new { name });

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (unknown.StatusCode, missing.StatusCode));
        Assert.Contains("\"clientId\"", await unknown.BodyAsync(), StringComparison.Ordinal);
        Assert.Contains("clientId is required", await missing.BodyAsync(), StringComparison.Ordinal);
        Assert.False(_serve.Get<AccountDirectory>().TryGetDomain(name, out _));
    }
}
