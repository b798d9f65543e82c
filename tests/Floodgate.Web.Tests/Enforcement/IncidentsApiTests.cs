using Floodgate.Storage;
using System.Net;
using Floodgate.Core.Enforcement;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Enforcement;

public sealed class IncidentsApiTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private const string Markup = "<script>alert('x')</script> & \"quotes\" — a trojan on the <b>sales</b> laptop";

    private TestServe Serve => fixture.Serve;

    [Fact]
    public async Task AClientAdministratorGetsNothingOfAnotherClientsIncidents()
    {
        var acme = await Serve.SeedAsync("Acme");
        var globex = await Serve.SeedAsync("Globex");
        var ours = await Serve.OffenseAsync(acme);
        var theirs = await Serve.OffenseAsync(globex);
        using var http = await Serve.ClientAdministratorAsync(acme);

        var all = await (await http.GetAsync("/api/v1/incidents")).ReadAsync<Page<IncidentListItem>>();
        var asked = await (await http.GetAsync($"/api/v1/incidents?clientId={globex.ClientId}&open=true")).ReadAsync<Page<IncidentListItem>>();
        var byId = await http.GetAsync($"/api/v1/incidents/{theirs.IncidentId}");
        var report = await http.PostJsonAsync($"/api/v1/incidents/{theirs.IncidentId}/report", EnforcementWorld.GoodReport);

        Assert.Equal([ours.IncidentId], all.Items.Select(i => i.Id));
        Assert.Empty(asked.Items);
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, report.StatusCode);
        Assert.Equal(IncidentState.Open, (await Serve.Get<Storage.Enforcement.EnforcementStore>().GetIncidentAsync(theirs.IncidentId)).Incident.State);
    }

    [Fact]
    public async Task AClientAdministratorFilesItsReportAndItIsStoredAsGiven()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.ClientAdministratorAsync(acme);

        var change = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/report", EnforcementWorld.GoodReport with { Mechanism = Markup })).ReadAsync<IncidentChange>();
        var detail = await (await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();

        Assert.Equal(IncidentState.ReportSubmitted, change.State);
        Assert.Equal(Markup, detail.Report!.Mechanism);
        Assert.Equal(EnforcementWorld.GoodReport.ClientPolicy, detail.Report.ClientPolicy);
    }

    [Fact]
    public async Task AReportWithMissingOrShortPartsNamesEachFieldAndChangesNothing()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.ClientAdministratorAsync(acme);

        var problems = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/report", new ReportRequest("a virus", null, "  "))).ProblemsAsync();
        var detail = await (await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();

        Assert.Equal(["clientPolicy", "mechanism", "stepsTaken"], problems.Keys.Order());
        Assert.Contains("too short", problems["mechanism"][0], StringComparison.Ordinal);
        Assert.Equal(IncidentState.Open, detail.State);
        Assert.Null(detail.Report);
    }

    [Fact]
    public async Task ARequestWithoutABodyOrWithTheWrongTypesIsA400()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.ClientAdministratorAsync(acme);
        var path = $"/api/v1/incidents/{offense.IncidentId}/report";

        var empty = await http.PostAsync(path, new StringContent("", System.Text.Encoding.UTF8, "application/json"));
        var broken = await http.PostAsync(path, new StringContent("{\"mechanism\": ", System.Text.Encoding.UTF8, "application/json"));
        var wrongType = await http.PostAsync(path, new StringContent("{\"mechanism\": 42}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
    }

    [Fact]
    public async Task AcceptingBeforeAReportIsAConflictInTheTablesWords()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.OperatorAsync();

        var response = await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/accept", new NoteRequest(null));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal($"Incident {offense.IncidentId}: cannot accept the report of an incident that is open.", await response.DetailAsync());
    }

    [Fact]
    public async Task AReturnNeedsANoteAndTheClientSeesIt()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var client = await Serve.ClientAdministratorAsync(acme);
        using var http = await Serve.OperatorAsync();
        (await client.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/report", EnforcementWorld.GoodReport)).EnsureSuccessStatusCode();

        var noNote = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/return", new NoteRequest(" "))).ProblemsAsync();
        var returned = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/return", new NoteRequest("Say which program sent it."))).ReadAsync<IncidentChange>();
        var seen = await (await client.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();

        Assert.True(noNote.ContainsKey("note"));
        Assert.Equal(IncidentState.ReportReturned, returned.State);
        Assert.Contains(IncidentAction.SubmitReport, returned.Actions);
        Assert.Equal("Say which program sent it.", seen.LastReview!.Note);
        Assert.Null(seen.LastReview.By);
    }

    [Fact]
    public async Task TheClientsViewHasNoCallsAndNoOperatorNames()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var client = await Serve.ClientAdministratorAsync(acme);
        using var http = await Serve.OperatorAsync();
        (await http.PostJsonAsync($"/api/v1/contact-tasks/{offense.ContactTaskId}/calls", new CallRequest(ContactOutcome.Reached, "spoke to Ann; she thinks her laptop is infected"))).EnsureSuccessStatusCode();

        var theirs = await (await client.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();
        var raw = await (await client.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).Content.ReadAsStringAsync();
        var ours = await (await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();

        Assert.Null(theirs.ContactTasks);
        Assert.All(theirs.Timeline, t => Assert.Null(t.Actor));
        Assert.All(theirs.Suspensions, s => Assert.Null(s.StartedBy));
        Assert.DoesNotContain("laptop is infected", raw, StringComparison.Ordinal);
        Assert.True(theirs.Offense.Redacted);
        Assert.Equal(IncidentState.Contacted, ours.State);
        Assert.Equal(ContactOutcome.Reached, Assert.Single(ours.ContactTasks!).Outcome);
        Assert.Contains(ours.Timeline, t => t.What.Contains("laptop is infected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnIncidentIsClosedWithANote()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.OperatorAsync();
        var path = $"/api/v1/incidents/{offense.IncidentId}/close";

        var noNote = await (await http.PostJsonAsync(path, new NoteRequest(null))).ProblemsAsync();
        var closed = await (await http.PostJsonAsync(path, new NoteRequest("the client left"))).ReadAsync<IncidentChange>();
        var again = await http.PostJsonAsync(path, new NoteRequest("twice"));
        var open = await (await http.GetAsync($"/api/v1/incidents?clientId={acme.ClientId}&open=true")).ReadAsync<Page<IncidentListItem>>();

        Assert.True(noNote.ContainsKey("note"));
        Assert.Equal(IncidentState.Closed, closed.State);
        Assert.Empty(closed.Actions);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Empty(open.Items);
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("POST", "/report")]
    [InlineData("POST", "/accept")]
    [InlineData("POST", "/reinstate")]
    [InlineData("POST", "/close")]
    public async Task AnUnknownIncidentIs404(string method, string action)
    {
        using var http = await Serve.ApiClientAsync(Storage.Access.WebRole.Administrator);
        var path = "/api/v1/incidents/987654" + action;
        object body = action == "/report" ? EnforcementWorld.GoodReport : action == "/reinstate" ? new ReinstateRequest(null, new ReinstateOverride("test")) : new NoteRequest("a note");

        var response = method == "GET" ? await http.GetAsync(path) : await http.PostJsonAsync(path, body);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task IncidentsAreFilteredByStateAndPaged()
    {
        var acme = await Serve.SeedAsync("Acme");
        var first = await Serve.OffenseAsync(acme);
        var second = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(first.IncidentId);
        using var http = await Serve.OperatorAsync();
        var client = $"clientId={acme.ClientId}";

        var page1 = await (await http.GetAsync($"/api/v1/incidents?{client}&limit=1")).ReadAsync<Page<IncidentListItem>>();
        var page2 = await (await http.GetAsync($"/api/v1/incidents?{client}&limit=1&cursor={page1.Next}")).ReadAsync<Page<IncidentListItem>>();
        var accepted = await (await http.GetAsync($"/api/v1/incidents?{client}&state=ReportAccepted")).ReadAsync<Page<IncidentListItem>>();
        var badState = await http.GetAsync("/api/v1/incidents?state=Sideways");

        Assert.Equal(second.IncidentId, Assert.Single(page1.Items).Id);
        Assert.Equal(first.IncidentId, Assert.Single(page2.Items).Id);
        Assert.Equal(first.IncidentId, Assert.Single(accepted.Items).Id);
        Assert.Equal(HttpStatusCode.BadRequest, badState.StatusCode);
    }
}
