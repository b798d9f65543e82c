using System.Net.Http.Json;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Audit;

public sealed class AuditApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public AuditApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task TheLogFiltersByActorActionPrefixAndTargetWithDetailsAsJson()
    {
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);
        var me = await (await admin.GetAsync("/api/v1/me")).ReadAsync<Me>();
        var client = await (await admin.PostAsJsonAsync("/api/v1/clients", new ClientCreate(AccountsHarness.Unique("Audited"), "Ann", "+1 555 010 0100", "ann@a.example", null))).ReadAsync<ClientView>();
        await admin.PatchAsJsonAsync($"/api/v1/clients/{client.Id}", new { contactName = "Bea" });
        using var auditor = await _serve.ApiClientAsync(WebRole.ReadOnly);

        var byActor = await (await auditor.GetAsync($"/api/v1/audit?actor={me.Actor}")).ReadAsync<Page<AuditView>>();
        var byPrefix = await (await auditor.GetAsync($"/api/v1/audit?action=client.*&targetKind=client&targetId={client.Id}")).ReadAsync<Page<AuditView>>();

        Assert.Equal(["client.update", "client.add"], byActor.Items.Select(a => a.Action));
        Assert.Equal(["client.update", "client.add"], byPrefix.Items.Select(a => a.Action));
        Assert.Equal("Bea", byPrefix.Items[0].Details!.Value.GetProperty("changes").GetProperty("contactName").GetProperty("to").GetString());
        Assert.Equal("127.0.0.1", byPrefix.Items[0].Origin);
    }

    [Fact]
    public async Task PagesAreNewestFirstAndWalkEveryEntryOnce()
    {
        using var auditor = await _serve.ApiClientAsync(WebRole.AbuseDesk);
        for (var i = 0; i < 5; i++)
            await _serve.SeedClientAsync(AccountsHarness.Unique("Walk"), AccountsHarness.Unique("w") + ".example", "m");

        var seen = new List<long>();
        long? cursor = null;
        do
        {
            var page = await (await auditor.GetAsync($"/api/v1/audit?action=domain.add&limit=2{(cursor is null ? "" : $"&cursor={cursor}")}")).ReadAsync<Page<AuditView>>();
            seen.AddRange(page.Items.Select(a => a.Id));
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.True(seen.Count >= 5);
        Assert.Equal(seen.Distinct().OrderDescending(), seen);
    }
}
