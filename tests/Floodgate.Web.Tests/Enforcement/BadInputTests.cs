using Floodgate.Storage;
using System.Net;
using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Enforcement;

/// <summary>
/// Broken JSON, JSON of the wrong shape, wrong types and bodies over the limit, at every enforcement
/// change: a 4xx and nothing changed. Markup in a text field comes back as the text it was, as JSON only.
/// </summary>
public sealed class BadInputTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private TestServe Serve => fixture.Serve;

    public static TheoryData<string, string, string, string> Bodies()
    {
        var data = new TheoryData<string, string, string, string>();
        var bodies = new (string Json, string Why)[]
        {
            ("{\"reason\": ", "the JSON ends in the middle"),
            ("not json at all", "not JSON"),
            ("[1, 2, 3]", "an array where an object belongs"),
            ("\"a string\"", "a string where an object belongs"),
        };
        foreach (var endpoint in new[] { "suspend", "lift", "report", "return", "accept", "reinstate", "close", "call" })
        {
            foreach (var (json, why) in bodies)
                data.Add(endpoint, json, "$", why);
        }

        // Each field of the wrong type, endpoint by endpoint.
        data.Add("suspend", "{\"scope\": \"Mailbox\", \"targetId\": \"seven\", \"reason\": \"r\"}", "$.targetId", "targetId is a string");
        data.Add("suspend", "{\"scope\": \"Sideways\", \"targetId\": 1, \"reason\": \"r\"}", "$.scope", "scope is no scope");
        data.Add("lift", "{\"scope\": \"Mailbox\", \"targetId\": 1, \"reason\": [\"r\"]}", "$.reason", "reason is an array");
        data.Add("report", "{\"mechanism\": {\"a\": 1}, \"stepsTaken\": \"x\", \"clientPolicy\": \"y\"}", "$.mechanism", "mechanism is an object");
        data.Add("return", "{\"note\": 42}", "$.note", "note is a number");
        data.Add("reinstate", "{\"newPasswords\": {\"mailboxId\": 1}}", "$.newPasswords", "newPasswords is an object, not a list");
        data.Add("reinstate", "{\"newPasswords\": [{\"mailboxId\": \"one\", \"password\": \"p\"}]}", "$.newPasswords[0].mailboxId", "mailboxId is a string");
        data.Add("reinstate", "{\"override\": \"because\"}", "$.override", "override is a string, not an object with a reason");
        data.Add("close", "{\"note\": true}", "$.note", "note is a boolean");
        data.Add("call", "{\"outcome\": \"Shouted\"}", "$.outcome", "outcome is no outcome");
        data.Add("call", "{\"outcome\": \"Reached\", \"notes\": 7}", "$.notes", "notes is a number");
        return data;
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task ABodyThatIsNotTheRequestIsA400ThatSaysWhereAndChangesNothing(string change, string json, string jsonPath, string why)
    {
        var (path, probe) = await ArrangeAsync(change);
        using var http = await Serve.ApiClientAsync(WebRole.Administrator);
        var before = await probe();

        var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode} {text}");
        var problem = System.Text.Json.JsonSerializer.Deserialize<Microsoft.AspNetCore.Mvc.ProblemDetails>(text, HttpJson.Json)!;
        Assert.Equal("The request is not valid", problem.Title);
        Assert.Contains($"Path: {jsonPath}", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await probe());
    }

    [Theory]
    [InlineData("suspend")]
    [InlineData("report")]
    [InlineData("reinstate")]
    [InlineData("call")]
    public async Task ABodyOverTheLimitIs413AndChangesNothing(string change)
    {
        var (path, probe) = await ArrangeAsync(change);
        using var http = await Serve.ApiClientAsync(WebRole.Administrator);
        var before = await probe();
        var huge = "{\"reason\": \"" + new string('x', 2 * 1024 * 1024) + "\"}";

        var response = await http.PostAsync(path, new StringContent(huge, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await probe());
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIsRefusedAsTheWrongMediaType()
    {
        var (path, probe) = await ArrangeAsync("suspend");
        using var http = await Serve.ApiClientAsync(WebRole.Administrator);
        var before = await probe();

        var response = await http.PostAsync(path, new StringContent("scope=Mailbox&targetId=1&reason=r", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(before, await probe());
    }

    /// <summary>
    /// JSON carries the text as it was given; what keeps a browser from running it is that it is JSON
    /// (application/json, and nosniff forbids reading it as anything else). The pages encode it as HTML.
    /// </summary>
    [Fact]
    public async Task MarkupInAReasonComesBackAsTheSameTextInJsonABrowserWillNotRender()
    {
        const string Markup = "<script>alert('x')</script> & <b>bold</b>";
        var acme = await Serve.SeedAsync("Acme");
        using var http = await Serve.OperatorAsync();

        (await http.PostJsonAsync("/api/v1/suspensions", new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, Markup))).EnsureSuccessStatusCode();
        var response = await http.GetAsync($"/api/v1/suspensions?clientId={acme.ClientId}&active=true");
        var list = await response.ReadAsync<Page<SuspensionItem>>();

        Assert.Equal(Markup, Assert.Single(list.Items).Reason);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/api/v1/offenses/abc")]
    [InlineData("/api/v1/incidents/-1/damages")]
    [InlineData("/api/v1/contact-tasks/1.5/calls")]
    public async Task AnIdThatIsNotANumberMatchesNoEndpoint(string path)
    {
        using var http = await Serve.OperatorAsync();

        var response = path.EndsWith("/calls", StringComparison.Ordinal) ? await http.PostJsonAsync(path, new { }) : await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>A change that would succeed with a good body, and a probe of all it could change.</summary>
    private async Task<(string Path, Func<Task<string>> Probe)> ArrangeAsync(string change)
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        var enforcement = Serve.Get<EnforcementStore>();
        if (change is "suspend")
            await enforcement.LiftAsync(AccountScope.Mailbox, acme.MailboxId, "arranged", "test");
        if (change is "return" or "accept")
            await enforcement.SubmitReportAsync(offense.IncidentId, new(EnforcementWorld.GoodReport.Mechanism!, EnforcementWorld.GoodReport.StepsTaken!, EnforcementWorld.GoodReport.ClientPolicy!), "test");
        if (change is "reinstate")
            await Serve.AcceptedAsync(offense.IncidentId);

        async Task<string> Probe()
        {
            var mailbox = await Serve.Get<AccountStore>().GetMailboxAsync(acme.MailboxId);
            var detail = await enforcement.GetIncidentAsync(offense.IncidentId);
            var audit = await Serve.Get<AuditLog>().QueryAsync(limit: 100_000);
            return $"{mailbox.Status} {mailbox.PasswordHash} {detail.Incident.State} {detail.ContactTasks.Sum(t => t.Attempts.Count)} {audit.Count}";
        }

        var incident = $"/api/v1/incidents/{offense.IncidentId}";
        var path = change switch
        {
            "suspend" => "/api/v1/suspensions",
            "lift" => "/api/v1/suspensions/lift",
            "call" => $"/api/v1/contact-tasks/{offense.ContactTaskId}/calls",
            _ => $"{incident}/{change}",
        };
        return (path, Probe);
    }
}
