using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Floodgate.Core.Policy;
using Floodgate.Storage.Access;
using Floodgate.Storage.Audit;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Counters;

public sealed class CountersApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public CountersApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task AMailboxsWindowsShowCountsReservationsLimitsAndWhenTheNextUnitFrees()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Support);
        var (clientId, domainId, mailboxId) = await SeedAsync();
        var counters = _serve.Get<ICounterStore>();
        var now = DateTimeOffset.UtcNow;
        counters.Commit(new Reservation(mailboxId, domainId, clientId, 2, 5, 1), now.AddMinutes(-20));
        var inFlight = new Reservation(mailboxId, domainId, clientId, 1, 3, 0);
        Assert.True(counters.TryReserve(in inFlight, new Core.Accounts.PlanLimits(), now, out _));

        var view = await (await http.GetAsync($"/api/v1/mailboxes/{mailboxId}/counters")).ReadAsync<CountersView>();
        counters.Release(in inFlight);

        var windows = view.Windows.ToDictionary(w => w.Window);
        Assert.Equal(["messagesPerHour", "externalRecipientsPerHour", "externalRecipientsPerDay", "internalRecipientsPerHour", "internalRecipientsPerDay"], view.Windows.Select(w => w.Window));
        var external = windows["externalRecipientsPerHour"];
        Assert.Equal((8, 3, 1_000, 992), (external.Used, external.Reserved, external.Limit, external.Remaining));
        Assert.Equal((3, 1), (windows["messagesPerHour"].Used, windows["messagesPerHour"].Reserved));
        Assert.Equal(1, windows["internalRecipientsPerDay"].Used);
        Assert.NotNull(external.NextReleaseAt);
        Assert.InRange(external.NextReleaseAt!.Value, now.AddMinutes(35), now.AddMinutes(41));
        // The day window counts in hour buckets: the unit committed 20 minutes ago leaves when its bucket does.
        Assert.InRange(windows["externalRecipientsPerDay"].NextReleaseAt!.Value, now.AddMinutes(-20 - 60).AddDays(1), now.AddMinutes(-20).AddDays(1));
    }

    [Fact]
    public async Task EachScopeReadsItsOwnLimitsAndAnEmptyWindowFreesNothing()
    {
        using var http = await _serve.ApiClientAsync(WebRole.ReadOnly);
        var (clientId, domainId, _) = await SeedAsync();
        var defaults = new Core.Accounts.PlanLimits();

        var domain = await (await http.GetAsync($"/api/v1/domains/{domainId}/counters")).ReadAsync<CountersView>();
        var client = await (await http.GetAsync($"/api/v1/clients/{clientId}/counters")).ReadAsync<CountersView>();

        Assert.Equal((CounterScope.Domain, defaults.Domain.ExternalRecipientsPerDay), (domain.Scope, domain.Windows[2].Limit));
        Assert.Equal((CounterScope.Client, defaults.Client.MessagesPerHour), (client.Scope, client.Windows[0].Limit));
        Assert.All(client.Windows, w => Assert.Equal((0, null), (w.Used, w.NextReleaseAt)));
    }

    [Fact]
    public async Task AResetWithAReasonClearsTheCountsKeepsReservationsAndAuditsTheTotalsBefore()
    {
        using var http = await _serve.ApiClientAsync(WebRole.AbuseDesk);
        var (clientId, domainId, mailboxId) = await SeedAsync();
        var counters = _serve.Get<ICounterStore>();
        counters.Commit(new Reservation(mailboxId, domainId, clientId, 4, 40, 0), DateTimeOffset.UtcNow.AddMinutes(-2));
        var inFlight = new Reservation(mailboxId, domainId, clientId, 1, 1, 0);
        Assert.True(counters.TryReserve(in inFlight, new Core.Accounts.PlanLimits(), DateTimeOffset.UtcNow, out _));

        using var response = await http.PostAsJsonAsync($"/api/v1/mailboxes/{mailboxId}/counters/reset", new CounterReset("newsletter approved by the client, ticket 4711"));
        var view = await response.ReadAsync<CountersView>();
        var domain = counters.Read(new CounterKey(CounterScope.Domain, domainId), DateTimeOffset.UtcNow);
        counters.Release(in inFlight);

        Assert.Equal((1, 1), (view.Windows[1].Used, view.Windows[1].Reserved));
        Assert.Equal(41, domain.ExternalLastHour);
        var audit = (await _serve.Get<AuditLog>().PageAsync(new AuditQuery(Action: "counters.reset", TargetKind: "mailbox", TargetId: mailboxId))).Items.Single();
        Assert.StartsWith("api-key:", audit.Actor, StringComparison.Ordinal);
        using var details = JsonDocument.Parse(audit.Details!);
        Assert.Equal("newsletter approved by the client, ticket 4711", details.RootElement.GetProperty("reason").GetString());
        Assert.Equal(40, details.RootElement.GetProperty("before").GetProperty("externalLastHour").GetInt32());
        Assert.Equal(1, details.RootElement.GetProperty("before").GetProperty("reservedExternal").GetInt32());
    }

    [Fact]
    public async Task AResetWithoutAReasonAnswers400AndClearsNothing()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var (clientId, domainId, mailboxId) = await SeedAsync();
        var counters = _serve.Get<ICounterStore>();
        counters.Commit(new Reservation(mailboxId, domainId, clientId, 1, 9, 0), DateTimeOffset.UtcNow);

        using var blank = await http.PostAsJsonAsync($"/api/v1/clients/{clientId}/counters/reset", new CounterReset("   "));
        using var missing = await http.PostAsJsonAsync($"/api/v1/clients/{clientId}/counters/reset", new { });

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (blank.StatusCode, missing.StatusCode));
        Assert.Contains("reason is required", await blank.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(9, counters.Read(new CounterKey(CounterScope.Client, clientId), DateTimeOffset.UtcNow).ExternalLastHour);
        Assert.Empty((await _serve.Get<AuditLog>().PageAsync(new AuditQuery(Action: "counters.reset", TargetKind: "client", TargetId: clientId))).Items);
    }

    private async Task<(int ClientId, int DomainId, int MailboxId)> SeedAsync()
    {
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Counted"), AccountsHarness.Unique("c") + ".example", "ann");
        await _serve.RefreshAsync();
        return seeded;
    }
}
