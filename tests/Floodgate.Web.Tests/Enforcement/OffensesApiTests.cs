using Floodgate.Storage;
using System.Net;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Enforcement;

public sealed class OffensesApiTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private TestServe Serve => fixture.Serve;

    [Fact]
    public async Task AnOperatorSeesTheEvidenceWithTheDetectorsInternals()
    {
        var acme = await Serve.SeedAsync("Acme");
        var recorded = await Serve.OffenseAsync(acme);
        using var http = await Serve.OperatorAsync();

        var offense = await (await http.GetAsync($"/api/v1/offenses/{recorded.OffenseId}")).ReadAsync<OffenseEvidence>();

        Assert.False(offense.Redacted);
        Assert.Equal((3, 600), (offense.Messages, offense.Recipients));
        Assert.Equal(recorded.IncidentId, offense.IncidentId);
        Assert.Equal(1.2, offense.Score);
        Assert.Equal(0.97, offense.Evidence[0].Similarity);
        Assert.Equal("contains 9 anchors of the same text", offense.Evidence[0].Match);
        Assert.All(offense.Evidence, e => Assert.Equal(acme.Address, e.MailboxAddress));
        Assert.Contains(offense.Signals, s => s.Rule == "campaign" && s.Explanation!.Contains("3 clients", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AClientAdministratorSeesWhatWasSentButNotTheDetectorsInternals()
    {
        var acme = await Serve.SeedAsync("Acme");
        var recorded = await Serve.OffenseAsync(acme);
        using var http = await Serve.ClientAdministratorAsync(acme);

        var response = await http.GetAsync($"/api/v1/offenses/{recorded.OffenseId}");
        var raw = await response.Content.ReadAsStringAsync();
        var offense = await response.ReadAsync<OffenseEvidence>();

        Assert.True(offense.Redacted);
        Assert.Equal(EnforcementWorld.Reason, offense.Reason);
        Assert.Equal(["<1@evidence.test>", "<2@evidence.test>", "<3@evidence.test>"], offense.Evidence.Select(e => e.MessageId));
        Assert.All(offense.Evidence, e => Assert.Equal(200, e.Recipients));
        Assert.Null(offense.Score);
        Assert.All(offense.Evidence, e => Assert.Null(e.Similarity));
        Assert.All(offense.Signals, s => Assert.Null(s.Explanation));
        Assert.All(offense.Signals, s => Assert.Null(s.Score));
        Assert.All(offense.Signals, s => Assert.False(string.IsNullOrEmpty(s.Description)));
        Assert.Equal(["repeat", "campaign"], offense.Signals.Select(s => s.Rule));
        Assert.DoesNotContain("anchors", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("3 clients", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("similarity ≥", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientAdministratorGetsNothingOfAnotherClientsOffenses()
    {
        var acme = await Serve.SeedAsync("Acme");
        var globex = await Serve.SeedAsync("Globex");
        var ours = await Serve.OffenseAsync(acme);
        var theirs = await Serve.OffenseAsync(globex);
        using var http = await Serve.ClientAdministratorAsync(acme);

        var all = await (await http.GetAsync("/api/v1/offenses")).ReadAsync<Page<OffenseListItem>>();
        var asked = await (await http.GetAsync($"/api/v1/offenses?clientId={globex.ClientId}")).ReadAsync<Page<OffenseListItem>>();
        var byMailbox = await (await http.GetAsync($"/api/v1/offenses?mailboxId={globex.MailboxId}")).ReadAsync<Page<OffenseListItem>>();
        var byId = await http.GetAsync($"/api/v1/offenses/{theirs.OffenseId}");
        var unknown = await http.GetAsync("/api/v1/offenses/999999");

        Assert.Equal([ours.OffenseId], all.Items.Select(o => o.Id));
        Assert.Empty(asked.Items);
        Assert.Empty(byMailbox.Items);
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal($"There is no offense {theirs.OffenseId}.", await byId.DetailAsync());
    }

    [Fact]
    public async Task OffensesAreFilteredByMailboxAndTimeAndPaged()
    {
        var acme = await Serve.SeedAsync("Acme");
        var bob = await Serve.AddMailboxAsync(acme, "bob");
        var dayAgo = DateTimeOffset.UtcNow.AddDays(-1);
        var old = await Serve.OffenseAsync(acme, at: dayAgo);
        var recent = await Serve.OffenseAsync(acme, mailbox: bob);
        using var http = await Serve.OperatorAsync();
        var client = $"clientId={acme.ClientId}";

        var first = await (await http.GetAsync($"/api/v1/offenses?{client}&limit=1")).ReadAsync<Page<OffenseListItem>>();
        var second = await (await http.GetAsync($"/api/v1/offenses?{client}&limit=1&cursor={first.Next}")).ReadAsync<Page<OffenseListItem>>();
        var since = await (await http.GetAsync($"/api/v1/offenses?{client}&since={Uri.EscapeDataString(dayAgo.AddHours(1).ToString("O"))}")).ReadAsync<Page<OffenseListItem>>();
        var bobs = await (await http.GetAsync($"/api/v1/offenses?mailboxId={bob.Id}")).ReadAsync<Page<OffenseListItem>>();

        Assert.Equal(recent.OffenseId, Assert.Single(first.Items).Id);
        Assert.Equal(old.OffenseId, Assert.Single(second.Items).Id);
        Assert.Null(second.Next);
        Assert.Equal(recent.OffenseId, Assert.Single(since.Items).Id);
        Assert.Equal(recent.OffenseId, Assert.Single(bobs.Items).Id);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "until")]
    public async Task BadQueryParametersAreRefusedNamingTheParameter(string query, string field)
    {
        using var http = await Serve.OperatorAsync();

        var problems = await (await http.GetAsync("/api/v1/offenses?" + query)).ProblemsAsync();

        Assert.True(problems.ContainsKey(field), string.Join(", ", problems.Keys));
    }
}
