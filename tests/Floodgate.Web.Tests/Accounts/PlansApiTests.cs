using System.Net;
using System.Net.Http.Json;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Accounts;

public sealed class PlansApiTests : IClassFixture<ServeFixture>
{
    private readonly TestServe _serve;

    public PlansApiTests(ServeFixture fixture) => _serve = fixture.Serve;

    [Fact]
    public async Task APlanAddedWithSomeLimitsTakesTheBuiltInDefaultsForTheRest()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);

        using var response = await http.PostAsJsonAsync("/api/v1/plans", new { name = AccountsHarness.Unique("bulk"), limits = new { maxRecipientsPerMessage = 50, domain = new { externalRecipientsPerDay = 900 } } });
        var plan = await response.ReadAsync<PlanView>();

        var defaults = new PlanLimits();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal((50, 900), (plan.Limits.MaxRecipientsPerMessage, plan.Limits.Domain.ExternalRecipientsPerDay));
        Assert.Equal((defaults.MaxMessageSizeBytes, defaults.Domain.MessagesPerHour, defaults.Mailbox.ExternalRecipientsPerHour),
            (plan.Limits.MaxMessageSizeBytes, plan.Limits.Domain.MessagesPerHour, plan.Limits.Mailbox.ExternalRecipientsPerHour));
        Assert.False(plan.IsDefault);
    }

    [Fact]
    public async Task APatchChangesOnlyTheLimitsGivenAndTheEngineEnforcesThemAtOnce()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var plan = await (await http.PostAsJsonAsync("/api/v1/plans", new { name = AccountsHarness.Unique("tier") })).ReadAsync<PlanView>();
        var seeded = await _serve.SeedClientAsync(AccountsHarness.Unique("Tiered"), AccountsHarness.Unique("tier") + ".example", "m");
        await http.PatchAsJsonAsync($"/api/v1/clients/{seeded.ClientId}", new { planId = plan.Id });

        var changed = await (await http.PatchAsJsonAsync($"/api/v1/plans/{plan.Id}", new { limits = new { client = new { internalRecipientsPerDay = 12 } } })).ReadAsync<PlanView>();

        Assert.Equal(12, changed.Limits.Client.InternalRecipientsPerDay);
        Assert.Equal(plan.Limits.Client.MessagesPerHour, changed.Limits.Client.MessagesPerHour);
        Assert.Equal(plan.Limits.Mailbox.MessagesPerHour, changed.Limits.Mailbox.MessagesPerHour);
        Assert.True(_serve.Get<AccountDirectory>().TryGetClient(seeded.ClientId, out var client));
        Assert.Equal(12, client.Limits.Client.InternalRecipientsPerDay);
    }

    [Fact]
    public async Task NegativeLimitsOrNoLimitsAnswer400AndChangeNothing()
    {
        using var http = await _serve.ApiClientAsync(WebRole.Administrator);
        var plan = await (await http.PostAsJsonAsync("/api/v1/plans", new { name = AccountsHarness.Unique("guarded") })).ReadAsync<PlanView>();

        using var negative = await http.PatchAsJsonAsync($"/api/v1/plans/{plan.Id}", new { limits = new { mailbox = new { messagesPerHour = -1 } } });
        using var empty = await http.PatchAsJsonAsync($"/api/v1/plans/{plan.Id}", new { });
        var after = await (await http.GetAsync($"/api/v1/plans/{plan.Id}")).ReadAsync<PlanView>();

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (negative.StatusCode, empty.StatusCode));
        Assert.Contains("mailbox limits must not be negative", await negative.BodyAsync(), StringComparison.Ordinal);
        Assert.Equal(plan.Limits.Mailbox.MessagesPerHour, after.Limits.Mailbox.MessagesPerHour);
    }
}
