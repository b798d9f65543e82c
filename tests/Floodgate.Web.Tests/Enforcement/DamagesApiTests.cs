using System.Net;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Enforcement;

public sealed class DamagesApiTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private TestServe Serve => fixture.Serve;

    [Fact]
    public async Task TheStatementChargesEachRecipientOfARelayedMessage()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.ClientAdministratorAsync(acme);

        var statement = await (await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}/damages")).ReadAsync<DamagesView>();

        Assert.Equal((400L, 200L, 1200.00m, "USD"), (statement.Pieces, statement.NotRelayedAttempts, statement.Total, statement.Currency));
        Assert.Equal([600.00m, 600.00m, 0m], statement.Lines.Select(l => l.Amount));
    }

    [Fact]
    public async Task TheCsvIsATextCsvFileWithATotalLine()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var http = await Serve.OperatorAsync();

        var response = await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}/damages.csv");
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"damages-incident-{offense.IncidentId}.csv", response.Content.Headers.ContentDisposition!.FileName);
        Assert.StartsWith("incident,client,time_utc,message_id,recipients,relayed,outcome,pieces,amount,currency", csv, StringComparison.Ordinal);
        Assert.EndsWith($"{offense.IncidentId},{acme.Name},total,,,,,400,1200.00,USD\n", csv.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePrintablePageEncodesTheClientsNameTheReportAndTheMessageIds()
    {
        var evil = await Serve.SeedAsync("<img src=x onerror=alert(1)> & Co");
        var offense = await Serve.OffenseAsync(evil);
        using var client = await Serve.ClientAdministratorAsync(evil);
        var report = EnforcementWorld.GoodReport with { StepsTaken = "<script>alert('steps')</script> we wiped the laptop and reset passwords" };
        (await client.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/report", report)).EnsureSuccessStatusCode();

        var response = await client.GetAsync($"/api/v1/incidents/{offense.IncidentId}/damages.html");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<1@evidence.test>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &amp; Co", html, StringComparison.Ordinal);
        Assert.Contains("&lt;1@evidence.test&gt;", html, StringComparison.Ordinal);
        Assert.Contains("1200.00 USD", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientAdministratorGetsNoneOfAnotherClientsStatementsInAnyForm()
    {
        var acme = await Serve.SeedAsync("Acme");
        var globex = await Serve.SeedAsync("Globex");
        var ours = await Serve.OffenseAsync(acme);
        var theirs = await Serve.OffenseAsync(globex);
        using var http = await Serve.ClientAdministratorAsync(acme);

        foreach (var form in new[] { "damages", "damages.csv", "damages.html" })
        {
            var own = await http.GetAsync($"/api/v1/incidents/{ours.IncidentId}/{form}");
            var other = await http.GetAsync($"/api/v1/incidents/{theirs.IncidentId}/{form}");
            var unknown = await http.GetAsync($"/api/v1/incidents/987654/{form}");

            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.DoesNotContain(globex.Name, await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
