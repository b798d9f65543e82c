using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Accounts;

public sealed class ClientsApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public ClientsApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task AnAddedClientIsAnswered201AuditedWithTheKeyAndAddressAndKnownToTheEngineAtOnce()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var name = AccountsHarness.Unique("Acme");

        using var response = await http.PostAsJsonAsync("/api/v1/clients", new ClientCreate(name, "Ann Contact", "+1 555 010 0100", "Ann@Contact.example", null));
        var client = await response.ReadAsync<ClientView>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/v1/clients/{client.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal((name, "ann@contact.example", "default"), (client.Name, client.Contact.Email, client.Plan?.Name));
        var audit = (await _serve.Get<AuditLog>().PageAsync(new AuditQuery(Action: "client.add", TargetId: client.Id))).Items.Single();
        Assert.StartsWith("api-key:", audit.Actor, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", audit.Origin);
        Assert.True(_serve.Get<AccountDirectory>().TryGetClient(client.Id, out var state));
        Assert.Equal(name, state.Name);
    }

    [Fact]
    public async Task PagesWalkEveryMatchingClientOnceInIdOrder()
    {
        using var http = await _serve.ApiClientAsync(WebRole.ReadOnly);
        var stem = AccountsHarness.Unique("Paged");
        var ids = new List<int>();
        for (var i = 0; i < 5; i++)
            ids.Add((await _serve.SeedClientAsync($"{stem} {i}", AccountsHarness.Unique("paged") + ".example", "m")).ClientId);

        var seen = new List<int>();
        var pages = 0;
        long? cursor = null;
        do
        {
            var page = await (await http.GetAsync($"/api/v1/clients?search={Uri.EscapeDataString(stem)}&limit=2{(cursor is null ? "" : $"&cursor={cursor}")}")).ReadAsync<Page<ClientView>>();
            seen.AddRange(page.Items.Select(c => c.Id));
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(ids, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task TheListFiltersByStatusAndSearchesTheContactToo()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Support);
        var stem = AccountsHarness.Unique("Filtered");
        var active = await _serve.SeedClientAsync(stem + " one", AccountsHarness.Unique("f") + ".example", "m");
        var suspended = await _serve.SeedClientAsync(stem + " two", AccountsHarness.Unique("f") + ".example", "m");
        await _serve.Get<AccountStore>().SetStatusAsync(AccountScope.Client, suspended.ClientId, AccountStatus.Suspended, "mass mailing", "test");

        var bySuspension = await (await http.GetAsync($"/api/v1/clients?status=suspended&search={Uri.EscapeDataString(stem)}")).ReadAsync<Page<ClientView>>();
        var byContact = await (await http.GetAsync($"/api/v1/clients?search={Uri.EscapeDataString("ANN " + stem + " ONE")}")).ReadAsync<Page<ClientView>>();

        var only = Assert.Single(bySuspension.Items);
        Assert.Equal((suspended.ClientId, AccountStatus.Suspended, "mass mailing"), (only.Id, only.Status, only.StatusReason));
        Assert.Equal([active.ClientId], byContact.Items.Select(c => c.Id));
    }

    [Fact]
    public async Task APatchChangesOnlyTheFieldsGivenAndAuditsEachFromTo()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Patched"), AccountsHarness.Unique("p") + ".example", "m");
        var before = await (await http.GetAsync($"/api/v1/clients/{seeded.ClientId}")).ReadAsync<ClientView>();

        var after = await (await http.PatchAsJsonAsync($"/api/v1/clients/{seeded.ClientId}", new { contactPhone = "+44 20 7946 0000" })).ReadAsync<ClientView>();

        var expected = before with { Contact = before.Contact with { Phone = "+44 20 7946 0000" } };
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(after));
        var audit = (await _serve.Get<AuditLog>().PageAsync(new AuditQuery(Action: "client.update", TargetId: seeded.ClientId))).Items.Single();
        using var details = JsonDocument.Parse(audit.Details!);
        var changes = details.RootElement.GetProperty("changes");
        Assert.Equal(["contactPhone"], changes.EnumerateObject().Select(p => p.Name));
        Assert.Equal("+1 555 0100", changes.GetProperty("contactPhone").GetProperty("from").GetString());
    }

    [Fact]
    public async Task AssigningAPlanMakesTheEngineEnforceItsLimitsAtOnce()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Planned"), AccountsHarness.Unique("pl") + ".example", "m");
        var plan = await (await http.PostAsJsonAsync("/api/v1/plans", new { name = AccountsHarness.Unique("small"), limits = new { mailbox = new { messagesPerHour = 7 } } })).ReadAsync<PlanView>();

        var client = await (await http.PatchAsJsonAsync($"/api/v1/clients/{seeded.ClientId}", new { planId = plan.Id })).ReadAsync<ClientView>();

        Assert.Equal(plan.Id, client.Plan?.Id);
        Assert.True(_serve.Get<AccountDirectory>().TryGetMailbox(seeded.MailboxId, out var mailbox));
        Assert.Equal(7, mailbox.Client.Limits.Mailbox.MessagesPerHour);
    }

    [Fact]
    public async Task ANameAlreadyTakenAnswers409AndChangesNothing()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var first = await _serve.SeedClientAsync(AccountsHarness.Unique("Taken"), AccountsHarness.Unique("t") + ".example", "m");
        var second = await _serve.SeedClientAsync(AccountsHarness.Unique("Other"), AccountsHarness.Unique("t") + ".example", "m");
        var firstName = (await _serve.Get<AccountStore>().GetClientAsync(first.ClientId)).Name;

        using var response = await http.PatchAsJsonAsync($"/api/v1/clients/{second.ClientId}", new { name = firstName });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEqual(firstName, (await _serve.Get<AccountStore>().GetClientAsync(second.ClientId)).Name);
    }

    [Fact]
    public async Task InvalidFieldsAnswer400NamingEachProblemAndAddNothing()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var name = AccountsHarness.Unique("Invalid");

        using var response = await http.PostAsJsonAsync("/api/v1/clients", new ClientCreate(name, "", "call me", "not-an-address", null));
        using var noPlan = await http.PostAsJsonAsync("/api/v1/clients", new ClientCreate(name, "Ann", "+1 555 010 0100", "ann@x.example", 999999));
        var body = await response.BodyAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("contact name is empty", body, StringComparison.Ordinal);
        Assert.Contains("contact phone", body, StringComparison.Ordinal);
        Assert.Contains("contact e-mail", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noPlan.StatusCode);
        Assert.Contains("planId", await noPlan.BodyAsync(), StringComparison.Ordinal);
        Assert.Empty((await _serve.Get<AccountStore>().QueryClientsAsync(new AccountQuery(Search: name))).Items);
    }
}
