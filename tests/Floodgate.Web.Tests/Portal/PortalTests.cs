using System.Net;
using Floodgate.Core.Enforcement;
using Floodgate.Storage;
using Floodgate.Storage.Access;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Web.Tests.Portal;

public sealed class PortalTests : IAsyncLifetime
{
    private TestServe _serve = null!;
    private SeededClient _a = null!;
    private SeededClient _b = null!;

    private static readonly Dictionary<string, string> GoodReport = new()
    {
        ["Mechanism"] = "A stolen password: the sales mailbox's password was phished and used from a botnet.",
        ["StepsTaken"] = "We reset the password, removed the phishing mail from every inbox and turned on two-factor logins.",
        ["ClientPolicy"] = "Mailings go only to customers who opted in, through our list provider, each with an unsubscribe link; staff are trained yearly.",
    };

    public async Task InitializeAsync()
    {
        _serve = await TestServe.StartAsync();
        _a = await PortalScenario.SeedAsync(_serve, "Acme Widgets", "acme.example");
        _b = await PortalScenario.SeedAsync(_serve, "Borealis Trading", "borealis.example");
    }

    public async Task DisposeAsync() => await _serve.DisposeAsync();

    private Task<BrowserSession> ClientAdminAsync(SeededClient client, string? login = null) =>
        BrowserSession.SignedInAsync(_serve, WebRole.ClientAdministrator, client.ClientId, login);

    // The page's own encoder: Razor writes ' as &#x27;.
    private static string Html(string text) => System.Text.Encodings.Web.HtmlEncoder.Default.Encode(text);

    private static long Incident(SeededClient client) => client.Offense.IncidentId;

    private async Task<(IncidentState State, int ReportAudits)> IncidentStateAsync(long incidentId)
    {
        await using var db = await _serve.Get<IDbContextFactory<FloodgateDbContext>>().CreateDbContextAsync();
        var state = await db.Incidents.Where(i => i.Id == incidentId).Select(i => i.State).SingleAsync();
        var audits = await db.AuditEntries.CountAsync(a => a.Action == "incident.report-submit" && a.TargetId == (int)incidentId);
        return (state, audits);
    }

    [Fact]
    public async Task AClientAdministratorSeesItsClientDomainsMailboxesIncidentAndDamages()
    {
        using var session = await ClientAdminAsync(_a);

        var page = await session.Http.GetStringAsync("/Portal");

        Assert.Contains("Acme Widgets", page, StringComparison.Ordinal);
        Assert.Contains("acme.example", page, StringComparison.Ordinal);
        Assert.Contains("sales@acme.example", page, StringComparison.Ordinal);
        Assert.Contains("billing@acme.example", page, StringComparison.Ordinal);
        Assert.Contains("File your report", page, StringComparison.Ordinal);
        Assert.Contains($"/Portal/Incidents/{Incident(_a)}", page, StringComparison.Ordinal);

        // Two delivered copies of 180 recipients at 3.00 each; the held copy costs nothing.
        Assert.Contains("1080.00 USD", page, StringComparison.Ordinal);

        // The suspended mailbox comes first, with its reason.
        Assert.True(page.IndexOf("sales@acme.example", StringComparison.Ordinal) < page.IndexOf("billing@acme.example", StringComparison.Ordinal));
        Assert.Contains("mass mailing detected 2026-11-30 09:30 UTC, 1st offense: mailbox suspended", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherClientsMailboxIncidentAndDamagesAnswer404IncludingTheCsv()
    {
        using var session = await ClientAdminAsync(_a);

        foreach (var url in new[]
        {
            $"/Portal/Mailboxes/{_b.MailboxId}",
            $"/Portal/Mailboxes/{_b.OtherMailboxId}",
            $"/Portal/Incidents/{Incident(_b)}",
            $"/Portal/Damages/{Incident(_b)}",
            $"/Portal/Damages/{Incident(_b)}?handler=Csv",
            $"/Portal/Incidents/{Incident(_b)}?clientId={_b.ClientId}",
            $"/Portal/Damages/{Incident(_b)}?handler=Csv&clientId={_b.ClientId}",
            "/Portal/Incidents/999999",
        })
        {
            var response = await session.Http.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{url}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task NoneOfAnotherClientsNamesAppearOnAnyPageTheClientCanOpen()
    {
        using var session = await ClientAdminAsync(_a);
        var incident = Incident(_a);
        var pages = new[]
        {
            "/Portal",
            $"/Portal?clientId={_b.ClientId}",
            $"/Portal/Mailboxes/{_a.MailboxId}",
            $"/Portal/Mailboxes/{_a.OtherMailboxId}",
            $"/Portal/Incidents/{incident}",
            $"/Portal/Damages/{incident}",
            $"/Portal/Damages/{incident}?handler=Csv",
        };

        foreach (var url in pages)
        {
            var response = await session.Http.GetAsync(url);
            Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync();
            foreach (var name in new[] { _b.Name, "Borealis", _b.Domain, _b.Mailbox, _b.OtherMailbox })
                Assert.False(body.Contains(name, StringComparison.OrdinalIgnoreCase), $"{url} shows {name}");
        }
    }

    [Fact]
    public async Task AClientIdInTheQueryDoesNotSwitchAClientAdministratorToAnotherClient()
    {
        using var session = await ClientAdminAsync(_a);

        var page = await session.Http.GetStringAsync($"/Portal?clientId={_b.ClientId}");
        var mailbox = await session.Http.GetAsync($"/Portal/Mailboxes/{_b.MailboxId}?clientId={_b.ClientId}");

        Assert.Contains("Acme Widgets", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Borealis", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, mailbox.StatusCode);
    }

    [Fact]
    public async Task TheMailboxPageShowsWhatWasSentWhenAndToHowMany()
    {
        using var session = await ClientAdminAsync(_a);

        var page = await session.Http.GetStringAsync($"/Portal/Mailboxes/{_a.MailboxId}");

        Assert.Contains("3 messages to 540 recipients", page, StringComparison.Ordinal);
        Assert.Contains("2026-11-30 09:18:00 UTC", page, StringComparison.Ordinal);
        Assert.Contains("20261130092400.4411@mail.example", page, StringComparison.Ordinal);
        Assert.Contains("inbox-of-acme.example, mail.example.net", page, StringComparison.Ordinal);
        Assert.Contains("held, not delivered", page, StringComparison.Ordinal);

        // Subjects as sent, escaped; the evidence's own destination domains win over the log's.
        Assert.Contains("Spring &lt;b&gt;offer&lt;/b&gt; 2", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>offer</b>", page, StringComparison.Ordinal);
        Assert.Contains("evidence.example, mail.example.net", page, StringComparison.Ordinal);
        Assert.Contains("First offense: the mailbox was suspended.", page, StringComparison.Ordinal);

        // The timeline: detected, then suspended.
        Assert.Contains("Mass mailing detected from sales@acme.example", page, StringComparison.Ordinal);
        Assert.Contains("Suspended: mailbox sales@acme.example", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMailboxPageNamesTheSignalsInPlainWordsWithoutTheDetectorsInternals()
    {
        using var session = await ClientAdminAsync(_a);

        var page = await session.Http.GetStringAsync($"/Portal/Mailboxes/{_a.MailboxId}");

        Assert.Contains("The same message, again and again", page, StringComparison.Ordinal);
        Assert.Contains("The same text in disguised copies", page, StringComparison.Ordinal);
        Assert.Contains("Part of a wider campaign", page, StringComparison.Ordinal);

        // An observe-only rule did not decide, and the detector's own wording stays in the console.
        Assert.DoesNotContain("Mostly strangers", page, StringComparison.Ordinal);
        foreach (var word in PortalScenario.DetectorWords)
            Assert.DoesNotContain(Html(word), page, StringComparison.Ordinal);
        Assert.DoesNotContain("0.96", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilingTheReportMovesTheIncidentToReportedAndAuditsTheClientAdministrator()
    {
        using var session = await ClientAdminAsync(_a, "acme-admin");
        var url = $"/Portal/Incidents/{Incident(_a)}";

        var response = await session.PostFormAsync(url, url, GoodReport);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal((IncidentState.ReportSubmitted, 1), await IncidentStateAsync(Incident(_a)));
        await using var db = await _serve.Get<IDbContextFactory<FloodgateDbContext>>().CreateDbContextAsync();
        var audit = await db.AuditEntries.SingleAsync(a => a.Action == "incident.report-submit");
        Assert.Equal(("client-admin:acme-admin", (int?)(int)Incident(_a)), (audit.Actor, audit.TargetId));
        var after = await session.Http.GetStringAsync(url);
        Assert.Contains("Your report was filed", after, StringComparison.Ordinal);
        Assert.Contains("Report under review", after, StringComparison.Ordinal);
        Assert.DoesNotContain("<textarea", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIncompleteReportNamesTheMissingPartsAndChangesNothing()
    {
        using var session = await ClientAdminAsync(_a);
        var url = $"/Portal/Incidents/{Incident(_a)}";

        var response = await session.PostFormAsync(url, url, new Dictionary<string, string>
        {
            ["Mechanism"] = GoodReport["Mechanism"],
            ["StepsTaken"] = "fixed it",
            ["ClientPolicy"] = "",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("The report was not filed", page, StringComparison.Ordinal);
        Assert.Contains("steps taken to stop it and prevent more&#x27; is too short", page, StringComparison.Ordinal);
        Assert.Contains("the report must state the client&#x27;s own mass-mailing policy", page, StringComparison.Ordinal);
        Assert.DoesNotContain("must state mechanism", page, StringComparison.Ordinal);

        // What the client typed stays in the form.
        Assert.Contains(Html(GoodReport["Mechanism"]), page, StringComparison.Ordinal);
        Assert.Equal((IncidentState.Open, 0), await IncidentStateAsync(Incident(_a)));
    }

    [Fact]
    public async Task MarkupInTheReportIsShownEscaped()
    {
        using var session = await ClientAdminAsync(_a);
        var url = $"/Portal/Incidents/{Incident(_a)}";
        var markup = "<script>alert('owned')</script><img src=x onerror=alert(1)> a phished password";

        var response = await session.PostFormAsync(url, url, new Dictionary<string, string>(GoodReport) { ["Mechanism"] = markup });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var page = await session.Http.GetStringAsync(url);
        Assert.Contains("&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AForgedReportWithoutTheCsrfTokenIsRefusedAndChangesNothing()
    {
        using var session = await ClientAdminAsync(_a);
        var url = $"/Portal/Incidents/{Incident(_a)}";

        var response = await session.Http.PostAsync(url, new FormUrlEncodedContent(GoodReport));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((IncidentState.Open, 0), await IncidentStateAsync(Incident(_a)));
    }

    [Fact]
    public async Task AReadOnlyOperatorSeesTheClientsPortalButCannotFileTheReport()
    {
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.ReadOnly);
        var url = $"/Portal/Incidents/{Incident(_a)}?clientId={_a.ClientId}";

        var overview = await session.Http.GetStringAsync($"/Portal?clientId={_a.ClientId}");
        var incident = await session.Http.GetStringAsync(url);
        var post = await session.PostFormAsync(url, url, GoodReport);

        Assert.Contains("Acme Widgets", overview, StringComparison.Ordinal);
        Assert.Contains("sales@acme.example", overview, StringComparison.Ordinal);
        Assert.DoesNotContain("<textarea", incident, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal((IncidentState.Open, 0), await IncidentStateAsync(Incident(_a)));
    }

    [Fact]
    public async Task AnOperatorOpensTheClientItNamesAndOnlyThatClientsIds()
    {
        using var session = await BrowserSession.SignedInAsync(_serve, WebRole.Support);

        var unnamed = await session.Http.GetStringAsync("/Portal");
        var b = await session.Http.GetStringAsync($"/Portal?clientId={_b.ClientId}");
        var mismatched = await session.Http.GetAsync($"/Portal/Mailboxes/{_a.MailboxId}?clientId={_b.ClientId}");
        var withoutClient = await session.Http.GetAsync($"/Portal/Incidents/{Incident(_a)}");

        Assert.Contains("name=\"clientId\"", unnamed, StringComparison.Ordinal);
        Assert.Contains("Borealis Trading", b, StringComparison.Ordinal);
        Assert.DoesNotContain("Acme", b, StringComparison.Ordinal);
        Assert.Contains($"/Portal/Mailboxes/{_b.MailboxId}?clientId={_b.ClientId}", b, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, mismatched.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withoutClient.StatusCode);
    }

    [Fact]
    public async Task AReturnedReportShowsTheOperatorsNoteAndCanBeFiledAgain()
    {
        using var session = await ClientAdminAsync(_a);
        var url = $"/Portal/Incidents/{Incident(_a)}";
        var store = _serve.Get<EnforcementStore>();
        await store.RecordContactAsync(_a.Offense.ContactTaskId, ContactOutcome.Reached, "internal: Ann sounded annoyed", "operator:support");
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostFormAsync(url, url, GoodReport)).StatusCode);
        await store.ReturnReportAsync(Incident(_a), "Say which program sent the mail & how the password leaked <b>exactly</b>.", "operator:desk");

        var returned = await session.Http.GetStringAsync(url);
        var overview = await session.Http.GetStringAsync("/Portal");
        var again = await session.PostFormAsync(url, url, new Dictionary<string, string>(GoodReport) { ["Mechanism"] = GoodReport["Mechanism"] + " It came in through a fake invoice." });

        const string note = "Say which program sent the mail &amp; how the password leaked &lt;b&gt;exactly&lt;/b&gt;.";
        Assert.Contains(note, returned, StringComparison.Ordinal);
        Assert.Contains("File the report again", returned, StringComparison.Ordinal);
        Assert.Contains(Html(GoodReport["StepsTaken"]), returned, StringComparison.Ordinal);
        Assert.Contains(note, overview, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal((IncidentState.ReportSubmitted, 2), await IncidentStateAsync(Incident(_a)));
        var timeline = await session.Http.GetStringAsync(url);
        Assert.Contains("Report returned for more", timeline, StringComparison.Ordinal);
        Assert.Contains("Your primary contact was called: reached", timeline, StringComparison.Ordinal);
        Assert.DoesNotContain("sounded annoyed", timeline, StringComparison.Ordinal);
        Assert.DoesNotContain("operator:", timeline, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIncidentPastReviewTakesNoReport()
    {
        using var session = await ClientAdminAsync(_a);
        var url = $"/Portal/Incidents/{Incident(_a)}";
        var store = _serve.Get<EnforcementStore>();
        Assert.Equal(HttpStatusCode.Redirect, (await session.PostFormAsync(url, url, GoodReport)).StatusCode);
        await store.AcceptReportAsync(Incident(_a), "Thank you, thorough.", "operator:desk");

        var page = await session.Http.GetStringAsync(url);
        var late = await session.PostFormAsync(url, url, GoodReport);

        Assert.Contains("Your report was accepted", page, StringComparison.Ordinal);
        Assert.Contains("new password", page, StringComparison.Ordinal);
        Assert.Contains("your provider&#x27;s support desk", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<textarea", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal((IncidentState.ReportAccepted, 1), await IncidentStateAsync(Incident(_a)));
    }

    [Fact]
    public async Task TheDamagesStatementIsPrintableAndDownloadsAsCsv()
    {
        using var session = await ClientAdminAsync(_a);
        var url = $"/Portal/Damages/{Incident(_a)}";

        var page = await session.Http.GetStringAsync(url);
        var csv = await session.Http.GetAsync(url + "?handler=Csv");

        Assert.Contains("3.00 USD per piece of spam", page, StringComparison.Ordinal);
        Assert.Contains("<th class=\"right\" id=\"total\">1080.00 USD</th>", page, StringComparison.Ordinal);
        Assert.Contains("@media print", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", csv.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("incident,client,time_utc,message_id", lines[0], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);
        Assert.EndsWith(",total,,,,,360,1080.00,USD", lines[^1].TrimEnd('\r'), StringComparison.Ordinal);
    }
}
