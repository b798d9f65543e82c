using System.Net;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Enforcement;

public sealed class ContactTasksApiTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private TestServe Serve => fixture.Serve;

    [Fact]
    public async Task TheQueueListsOpenCallsByDueTimeWithTheTimeLeftAndOverdueOnes()
    {
        var late = await Serve.SeedAsync("Late");
        var fresh = await Serve.SeedAsync("Fresh");
        var overdue = await Serve.OffenseAsync(late, at: DateTimeOffset.UtcNow.AddHours(-1));
        var due = await Serve.OffenseAsync(fresh);
        using var http = await Serve.ApiClientAsync(WebRole.Support);

        var queue = await (await http.GetAsync("/api/v1/contact-tasks")).ReadAsync<ContactTaskList>();

        var ours = queue.Items.Where(t => t.Id == overdue.ContactTaskId || t.Id == due.ContactTaskId).ToList();
        Assert.Equal([overdue.ContactTaskId, due.ContactTaskId], ours.Select(t => t.Id));
        Assert.True(ours[0].Overdue);
        Assert.InRange(ours[0].SecondsLeft!.Value, -46 * 60, -44 * 60);
        Assert.False(ours[1].Overdue);
        Assert.InRange(ours[1].SecondsLeft!.Value, 14 * 60, 15 * 60);
        Assert.Equal(("Ann " + late.Name, "+1 555 0100"), (ours[0].ContactName, ours[0].ContactPhone));
    }

    [Fact]
    public async Task ACallThatReachedTheContactCompletesTheTaskAndLeavesTheQueue()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.ApiClientAsync(WebRole.Support);
        var path = $"/api/v1/contact-tasks/{offense.ContactTaskId}/calls";

        var noAnswer = await (await http.PostJsonAsync(path, new CallRequest(ContactOutcome.NoAnswer, null))).ReadAsync<ContactTaskItem>();
        var reached = await (await http.PostJsonAsync(path, new CallRequest(ContactOutcome.Reached, "Ann will write the report"))).ReadAsync<ContactTaskItem>();
        var queue = await (await http.GetAsync("/api/v1/contact-tasks")).ReadAsync<ContactTaskList>();
        var all = await (await http.GetAsync("/api/v1/contact-tasks?all=true")).ReadAsync<ContactTaskList>();
        var afterDone = await http.PostJsonAsync(path, new CallRequest(ContactOutcome.Reached, null));

        Assert.Null(noAnswer.DoneAt);
        Assert.Single(noAnswer.Attempts);
        Assert.NotNull(reached.DoneAt);
        Assert.Null(reached.SecondsLeft);
        Assert.Equal(2, reached.Attempts.Count);
        Assert.DoesNotContain(queue.Items, t => t.Id == offense.ContactTaskId);
        Assert.Contains(all.Items, t => t.Id == offense.ContactTaskId);
        Assert.Equal(HttpStatusCode.Conflict, afterDone.StatusCode);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"outcome\": 9}")]
    [InlineData("{\"notes\": \"no outcome\"}")]
    public async Task ACallWithoutAKnownOutcomeNamesTheField(string json)
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.ApiClientAsync(WebRole.Support);

        var problems = await (await http.PostAsync($"/api/v1/contact-tasks/{offense.ContactTaskId}/calls",
            new StringContent(json, System.Text.Encoding.UTF8, "application/json"))).ProblemsAsync();

        Assert.Equal(["outcome"], problems.Keys);
    }

    [Fact]
    public async Task TheQueueIsPagedByOffset()
    {
        var acme = await Serve.SeedAsync("Acme");
        await Serve.OffenseAsync(acme, at: DateTimeOffset.UtcNow.AddDays(-3));
        await Serve.OffenseAsync(acme, at: DateTimeOffset.UtcNow.AddDays(-2));
        using var http = await Serve.ApiClientAsync(WebRole.Support);

        var first = await (await http.GetAsync("/api/v1/contact-tasks?limit=1")).ReadAsync<ContactTaskList>();
        var second = await (await http.GetAsync($"/api/v1/contact-tasks?limit=1&offset={first.NextOffset}")).ReadAsync<ContactTaskList>();
        var badLimit = await (await http.GetAsync("/api/v1/contact-tasks?limit=0")).ProblemsAsync();
        var badOffset = await (await http.GetAsync("/api/v1/contact-tasks?offset=-1")).ProblemsAsync();

        Assert.Equal(1, first.NextOffset);
        Assert.True(Assert.Single(first.Items).DueAt <= Assert.Single(second.Items).DueAt);
        Assert.True(badLimit.ContainsKey("limit"));
        Assert.True(badOffset.ContainsKey("offset"));
    }

    [Fact]
    public async Task ACallToAnUnknownTaskIs404()
    {
        using var http = await Serve.ApiClientAsync(WebRole.Support);

        var response = await http.PostJsonAsync("/api/v1/contact-tasks/987654/calls", new CallRequest(ContactOutcome.Reached, null));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData(WebRole.ClientAdministrator)]
    [InlineData(WebRole.ReadOnly)]
    public async Task TheCallQueueIsNotForClientAdministratorsOrReadOnlyOperators(WebRole role)
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.ApiClientAsync(role, role == WebRole.ClientAdministrator ? acme.ClientId : null);

        var list = await http.GetAsync("/api/v1/contact-tasks");
        var call = await http.PostJsonAsync($"/api/v1/contact-tasks/{offense.ContactTaskId}/calls", new CallRequest(ContactOutcome.Reached, null));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (list.StatusCode, call.StatusCode));
    }
}
