using Floodgate.Storage;
using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;
using MailKit.Net.Smtp;

namespace Floodgate.Web.Tests.Enforcement;

public sealed class SuspensionsApiTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private TestServe Serve => fixture.Serve;

    [Fact]
    public async Task ASuspensionByHandStopsALoggedInSessionAtItsNextMessageAndALiftLetsItSendAgain()
    {
        var acme = await Serve.SeedAsync("Acme");
        using var smtp = await Serve.SmtpAsync(acme.Address, TestServe.Password);
        await smtp.SendAsync(acme.Address, "before");
        using var http = await Serve.OperatorAsync();

        var suspended = await (await http.PostJsonAsync("/api/v1/suspensions", new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, "complaints from a blocklist operator"))).ReadAsync<SuspensionResult>();
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(acme.Address, "while suspended"));
        var lifted = await (await http.PostJsonAsync("/api/v1/suspensions/lift", new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, "the client cleaned its list"))).ReadAsync<SuspensionResult>();
        await smtp.SendAsync(acme.Address, "after the lift");

        Assert.Equal((AccountStatus.Active, AccountStatus.Suspended), (suspended.From, suspended.To));
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, refused.StatusCode);
        Assert.Contains("complaints from a blocklist operator", refused.Message, StringComparison.Ordinal);
        Assert.Equal(AccountStatus.Active, lifted.To);
    }

    [Fact]
    public async Task ADomainSuspendedByHandRefusesEachOfItsMailboxes()
    {
        var acme = await Serve.SeedAsync("Acme");
        var bob = await Serve.AddMailboxAsync(acme, "bob");
        using var smtp = await Serve.SmtpAsync(bob.Address, TestServe.Password);
        using var http = await Serve.OperatorAsync();

        (await http.PostJsonAsync("/api/v1/suspensions", new SuspensionRequest(AccountScope.Domain, acme.DomainId, "spam trap hits"))).EnsureSuccessStatusCode();
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => smtp.SendAsync(bob.Address));

        Assert.Contains($"Domain {acme.Domain} is suspended", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"targetId\": 1, \"reason\": \"r\"}", "scope")]
    [InlineData("{\"scope\": \"Mailbox\", \"reason\": \"r\"}", "targetId")]
    [InlineData("{\"scope\": \"Mailbox\", \"targetId\": 1}", "reason")]
    [InlineData("{\"scope\": \"Mailbox\", \"targetId\": 1, \"reason\": \"   \"}", "reason")]
    [InlineData("{\"scope\": 7, \"targetId\": 1, \"reason\": \"r\"}", "scope")]
    public async Task ASuspensionRequestWithAFieldMissingNamesIt(string json, string field)
    {
        using var http = await Serve.OperatorAsync();

        var problems = await (await http.PostAsync("/api/v1/suspensions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"))).ProblemsAsync();

        Assert.Equal([field], problems.Keys);
    }

    [Fact]
    public async Task SuspendingTwiceAndLiftingWhatIsActiveAreConflicts()
    {
        var acme = await Serve.SeedAsync("Acme");
        using var http = await Serve.OperatorAsync();
        var request = new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, "by hand");

        var lift = await http.PostJsonAsync("/api/v1/suspensions/lift", request);
        (await http.PostJsonAsync("/api/v1/suspensions", request)).EnsureSuccessStatusCode();
        var twice = await http.PostJsonAsync("/api/v1/suspensions", request);

        Assert.Equal(HttpStatusCode.Conflict, lift.StatusCode);
        Assert.Contains("not suspended: nothing to lift", await lift.DetailAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
    }

    [Fact]
    public async Task SuspendingAnUnknownMailboxIs404()
    {
        using var http = await Serve.OperatorAsync();

        var response = await http.PostJsonAsync("/api/v1/suspensions", new SuspensionRequest(AccountScope.Mailbox, 987654, "who?"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData(WebRole.ClientAdministrator)]
    [InlineData(WebRole.Support)]
    [InlineData(WebRole.ReadOnly)]
    public async Task OnlyTheAbuseDeskAndAdministratorsSuspend(WebRole role)
    {
        var acme = await Serve.SeedAsync("Acme");
        using var http = await Serve.ApiClientAsync(role, role == WebRole.ClientAdministrator ? acme.ClientId : null);

        var suspend = await http.PostJsonAsync("/api/v1/suspensions", new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, "no"));
        var lift = await http.PostJsonAsync("/api/v1/suspensions/lift", new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, "no"));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (suspend.StatusCode, lift.StatusCode));
    }

    [Fact]
    public async Task AClientAdministratorSeesOnlyItsClientsSuspensionsWithoutOperatorNames()
    {
        var acme = await Serve.SeedAsync("Acme");
        var globex = await Serve.SeedAsync("Globex");
        var ours = await Serve.OffenseAsync(acme);
        await Serve.OffenseAsync(globex);
        using var http = await Serve.ClientAdministratorAsync(acme);
        using var operatorHttp = await Serve.OperatorAsync();

        var all = await (await http.GetAsync("/api/v1/suspensions")).ReadAsync<Page<SuspensionItem>>();
        var asked = await (await http.GetAsync($"/api/v1/suspensions?clientId={globex.ClientId}")).ReadAsync<Page<SuspensionItem>>();
        var byTarget = await (await http.GetAsync($"/api/v1/suspensions?scope=Mailbox&targetId={globex.MailboxId}")).ReadAsync<Page<SuspensionItem>>();
        var theirs = await (await operatorHttp.GetAsync($"/api/v1/suspensions?clientId={globex.ClientId}&active=true")).ReadAsync<Page<SuspensionItem>>();

        var item = Assert.Single(all.Items);
        Assert.Equal((ours.SuspensionId, acme.ClientId, ours.IncidentId), (item.Id, item.ClientId, item.IncidentId));
        Assert.Null(item.StartedBy);
        Assert.Empty(asked.Items);
        Assert.Empty(byTarget.Items);
        Assert.Equal("enforcement", Assert.Single(theirs.Items).StartedBy);
    }
}
