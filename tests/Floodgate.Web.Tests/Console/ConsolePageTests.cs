using System.Net;
using Floodgate.Storage.Access;
using Floodgate.Web.Security;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Console;

/// <summary>Every console page against every role, unknown ids, and markup in the data.</summary>
public sealed class ConsolePageTests(ConsoleWorld world) : IClassFixture<ConsoleWorld>
{
    private static readonly WebRole[] Operators = [WebRole.Administrator, WebRole.AbuseDesk, WebRole.Support, WebRole.ReadOnly];

    /// <summary>Each page with the policy that guards it (Read: the console folder's own).</summary>
    private IEnumerable<(string Url, string Policy)> Pages()
    {
        yield return ("/", AccessPolicies.Read);
        yield return ("/Clients", AccessPolicies.Read);
        yield return ("/Clients?q=markup", AccessPolicies.Read);
        yield return ($"/Clients/{world.ClientId}", AccessPolicies.Read);
        yield return ($"/Domains/{world.DomainId}", AccessPolicies.Read);
        yield return ($"/Mailboxes/{world.MailboxId}", AccessPolicies.Read);
        yield return ($"/Mailboxes/{world.OffenderId}", AccessPolicies.Read);
        yield return ($"/Counters/mailbox/{world.MailboxId}", AccessPolicies.Read);
        yield return ($"/Counters/client/{world.ClientId}", AccessPolicies.Read);
        yield return ("/Calls", AccessPolicies.Read);
        yield return ("/Calls/Queue", AccessPolicies.Read);
        yield return ($"/Calls/{world.TaskId}", AccessPolicies.Read);
        yield return ("/Incidents", AccessPolicies.Read);
        yield return ("/Incidents?state=Open", AccessPolicies.Read);
        yield return ($"/Incidents/{world.IncidentId}", AccessPolicies.Read);
        yield return ("/Transactions", AccessPolicies.Read);
        yield return ("/Transactions?mailbox=ann@markup.example&outcome=Accepted&door=gateway", AccessPolicies.Read);
        yield return ("/Plans", AccessPolicies.Read);
        yield return ($"/Plans/{world.PlanId}/Edit", AccessPolicies.ManageAccounts);
        yield return ("/Operators", AccessPolicies.Administer);
        yield return ("/ApiKeys", AccessPolicies.Administer);
        yield return ("/Audit", AccessPolicies.Audit);
        yield return ("/Audit?actor=enforcement&action=incident.", AccessPolicies.Audit);
        yield return ("/Notifications", AccessPolicies.Read);
        yield return ("/Notifications?type=mailbox.suspended", AccessPolicies.Read);
        yield return ("/Blocklists", AccessPolicies.Read);
    }

    [Fact]
    public async Task EachPageAnswersTheRolesOfItsPolicyAndDeniesTheOthers()
    {
        var failures = new List<string>();
        foreach (var role in Operators)
        {
            using var session = await BrowserSession.SignedInAsync(world.Serve, role);
            foreach (var (url, policy) in Pages())
            {
                var response = await session.Http.GetAsync(url);
                var allowed = AccessPolicies.Allows(policy, role);
                var ok = allowed
                    ? response.StatusCode == HttpStatusCode.OK
                    : response.StatusCode == HttpStatusCode.Redirect && PathOf(response.Headers.Location!).StartsWith("/denied", StringComparison.Ordinal);
                if (!ok)
                    failures.Add($"{role} {url}: {(int)response.StatusCode} {response.Headers.Location} (expected {(allowed ? "200" : "the denied page")})");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task TheDeniedPageAnswers403()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.Support);
        var denied = await session.Http.GetAsync("/Audit");
        Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await session.Http.GetAsync(denied.Headers.Location)).StatusCode);
    }

    [Fact]
    public async Task AClientAdministratorIsSentToItsPortalFromEveryConsolePage()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.ClientAdministrator, world.ClientId);
        foreach (var (url, _) in Pages())
        {
            var response = await session.Http.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location?.OriginalString == "/Portal",
                $"{url}: {(int)response.StatusCode} {response.Headers.Location}");
        }
    }

    [Fact]
    public async Task WithoutASessionEveryPageSendsToTheSignInPage()
    {
        using var session = new BrowserSession(world.Serve.Web);
        foreach (var (url, _) in Pages())
        {
            var response = await session.Http.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.Contains("/login", StringComparison.Ordinal),
                $"{url}: {(int)response.StatusCode} {response.Headers.Location}");
        }
    }

    [Theory]
    [InlineData("/Clients/999999")]
    [InlineData("/Domains/999999")]
    [InlineData("/Mailboxes/999999")]
    [InlineData("/Calls/999999")]
    [InlineData("/Incidents/999999")]
    [InlineData("/Plans/999999/Edit")]
    [InlineData("/Counters/mailbox/999999")]
    [InlineData("/Counters/planet/1")]
    public async Task AnUnknownIdAnswers404(string url)
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.Administrator);
        Assert.Equal(HttpStatusCode.NotFound, (await session.Http.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task MarkupInNamesReasonsAndEvidenceIsShownEscaped()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.Administrator);
        string[] urls =
        [
            "/", "/Clients", $"/Clients/{world.ClientId}", $"/Domains/{world.DomainId}", $"/Mailboxes/{world.MailboxId}",
            $"/Mailboxes/{world.OffenderId}", "/Calls", $"/Calls/{world.TaskId}", "/Incidents", $"/Incidents/{world.IncidentId}", "/Audit", "/Notifications",
        ];
        foreach (var url in urls)
        {
            var html = await session.Http.GetStringAsync(url);
            Assert.DoesNotContain(ConsoleWorld.ScriptName, html, StringComparison.Ordinal);
            Assert.DoesNotContain(ConsoleWorld.ImgMarkup, html, StringComparison.Ordinal);
            Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        }

        var client = await session.Http.GetStringAsync($"/Clients/{world.ClientId}");
        Assert.Contains("Acme &lt;script&gt;alert(1)&lt;/script&gt;", client, StringComparison.Ordinal);
        var domain = await session.Http.GetStringAsync($"/Domains/{world.DomainId}");
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", domain, StringComparison.Ordinal);
        var incident = await session.Http.GetStringAsync($"/Incidents/{world.IncidentId}");
        Assert.Contains("first.&lt;img src=x onerror=alert(1)&gt;@spam.example", incident, StringComparison.Ordinal);
        Assert.Contains("3 near-copies &lt;img src=x onerror=alert(1)&gt;", incident, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheIncidentShowsItsEvidenceSideBySideWithSignalsAndScores()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.ReadOnly);
        var html = await session.Http.GetStringAsync($"/Incidents/{world.IncidentId}");

        Assert.Contains("class=\"side-by-side\"", html, StringComparison.Ordinal);
        Assert.Equal(3, CountOf(html, "<div class=\"evidence"));
        Assert.Contains("similarity 97%", html, StringComparison.Ordinal);
        Assert.Contains("190 recipients, 190 external", html, StringComparison.Ordinal);
        Assert.Contains("the message that decided", html, StringComparison.Ordinal);
        Assert.Contains("<td>repeat</td>", html, StringComparison.Ordinal);
        Assert.Contains("2.6", html, StringComparison.Ordinal);
        Assert.Contains("565 recipients", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMailboxPageShowsTheOffenseInItsHistoryAndItsSuspension()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.AbuseDesk);
        var html = await ReadAsync(session, $"/Mailboxes/{world.OffenderId}");

        Assert.Contains("class=\"timeline\"", html, StringComparison.Ordinal);
        Assert.Contains("offense (detector) by bob@markup.example", html, StringComparison.Ordinal);
        Assert.Contains("mailbox bob@markup.example: active → suspended", html, StringComparison.Ordinal);
        Assert.Contains("Lift the suspended status", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnforcementFormsAreShownOnlyToRolesThatMayEnforce()
    {
        using var support = await BrowserSession.SignedInAsync(world.Serve, WebRole.Support);
        var page = await support.Http.GetStringAsync($"/Mailboxes/{world.MailboxId}");
        Assert.DoesNotContain("handler=Suspend", page, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=Reinstate", await support.Http.GetStringAsync($"/Incidents/{world.IncidentId}"), StringComparison.Ordinal);

        using var desk = await BrowserSession.SignedInAsync(world.Serve, WebRole.AbuseDesk);
        Assert.Contains("handler=Suspend", await desk.Http.GetStringAsync($"/Mailboxes/{world.MailboxId}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCallQueueShowsWhomToCallWithATelLinkAndTheTimeLeft()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.Support);
        var raw = await session.Http.GetStringAsync("/Calls");
        var html = WebUtility.HtmlDecode(raw);

        Assert.Contains("href=\"tel:+15550100\"", html, StringComparison.Ordinal);
        Assert.Contains("Ann &lt;img", raw, StringComparison.Ordinal);

        // The offense was 30 minutes ago and the call was due 15 minutes after it.
        Assert.Contains("overdue by 1", html, StringComparison.Ordinal);
        Assert.Contains("class=\"overdue\"", html, StringComparison.Ordinal);
        Assert.Contains("data-refresh=\"/Calls/Queue\"", html, StringComparison.Ordinal);
        Assert.Contains("Record the call", html, StringComparison.Ordinal);

        using var readOnly = await BrowserSession.SignedInAsync(world.Serve, WebRole.ReadOnly);
        Assert.DoesNotContain("Record the call", await readOnly.Http.GetStringAsync("/Calls"), StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"Outcome\"", await readOnly.Http.GetStringAsync($"/Calls/{world.TaskId}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FragmentsForRefreshingAreTheTableAloneWithoutTheLayout()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.ReadOnly);
        var counters = await session.Http.GetStringAsync($"/Counters/mailbox/{world.MailboxId}");
        var queue = await ReadAsync(session, "/Calls/Queue");

        Assert.DoesNotContain("<html", counters, StringComparison.Ordinal);
        Assert.Contains("external recipients in the last hour", counters, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", queue, StringComparison.Ordinal);
        Assert.Contains("tel:+15550100", queue, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheClientSearchFindsByDomainAndListsTheMatchingMailboxes()
    {
        using var session = await BrowserSession.SignedInAsync(world.Serve, WebRole.ReadOnly);
        var found = await session.Http.GetStringAsync("/Clients?q=ANN%40markup");
        var none = await session.Http.GetStringAsync("/Clients?q=nothing-like-this");

        Assert.Contains($"href=\"/Clients/{world.ClientId}\"", found, StringComparison.Ordinal);
        Assert.Contains($"href=\"/Mailboxes/{world.MailboxId}\"", found, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"/Mailboxes/{world.OffenderId}\"", found, StringComparison.Ordinal);
        Assert.Contains("No client matches.", none, StringComparison.Ordinal);
    }

    private static string PathOf(Uri location) => location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;

    /// <summary>The page as a browser reads it: Razor encodes every character outside ASCII's safe ones (+, →) as an entity.</summary>
    private static async Task<string> ReadAsync(BrowserSession session, string url) => WebUtility.HtmlDecode(await session.Http.GetStringAsync(url));

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
