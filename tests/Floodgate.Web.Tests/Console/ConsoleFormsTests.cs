using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Console;

/// <summary>The console's changes: each a form with the CSRF token, through the stores, audited as the operator, refused to roles without the policy.</summary>
public sealed partial class ConsoleFormsTests
{
    [Fact]
    public async Task FormsWithoutTheCsrfTokenAreRefusedAndChangeNothing()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        var plan = (await serve.Get<AccountStore>().ListPlansAsync()).First();
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Administrator);
        var before = (await serve.Get<AuditLog>().QueryAsync(limit: 1000)).Count;

        (string Url, Dictionary<string, string> Fields)[] forms =
        [
            ($"/Mailboxes/{w.Mailbox}?handler=Suspend", new() { ["Reason"] = "forged" }),
            ($"/Mailboxes/{w.Offender}?handler=Lift", new() { ["Reason"] = "forged" }),
            ($"/Incidents/{w.Incident}?handler=Close", new() { ["Note"] = "forged" }),
            ($"/Calls/{w.Task}", new() { ["Outcome"] = "Reached" }),
            ($"/Plans/{plan.Id}/Edit", new() { ["Limits.MaxRecipientsPerMessage"] = "1" }),
            ("/Operators?handler=Add", new() { ["Login"] = "mallory", ["DisplayName"] = "M", ["Role"] = "Administrator", ["Password"] = "a long enough password" }),
            ("/ApiKeys?handler=Create", new() { ["Name"] = "forged", ["Role"] = "Administrator" }),
        ];
        foreach (var (url, fields) in forms)
        {
            var response = await session.Http.PostAsync(url, new FormUrlEncodedContent(fields));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)response.StatusCode}");
        }

        Assert.Equal(before, (await serve.Get<AuditLog>().QueryAsync(limit: 1000)).Count);
        Assert.Equal(AccountStatus.Active, (await serve.Get<AccountStore>().GetMailboxAsync(w.Mailbox)).Status);
        Assert.Equal(IncidentState.Open, (await serve.Get<EnforcementStore>().GetIncidentAsync(w.Incident)).Incident.State);
    }

    [Fact]
    public async Task TheAbuseDeskSuspendsAndLiftsAMailboxAndTheAuditNamesTheOperator()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk, login: "dana");
        var page = $"/Mailboxes/{w.Mailbox}";

        var suspended = await session.PostFormAsync(page, page + "?handler=Suspend", new Dictionary<string, string> { ["Reason"] = "phished, calling the client" });

        Assert.Equal(HttpStatusCode.Redirect, suspended.StatusCode);
        Assert.Equal(page, suspended.Headers.Location?.OriginalString);
        Assert.Equal(AccountStatus.Suspended, (await serve.Get<AccountStore>().GetMailboxAsync(w.Mailbox)).Status);
        Assert.True(serve.Get<AccountDirectory>().TryGetMailbox(w.Mailbox, out var live));
        Assert.Equal(AccountStatus.Suspended, live.Status.Status);
        var after = await session.Http.GetStringAsync(page);
        Assert.Contains("Suspended: phished, calling the client", after, StringComparison.Ordinal);

        var lifted = await session.PostFormAsync(page, page + "?handler=Lift", new Dictionary<string, string> { ["Reason"] = "client called back" });
        Assert.Equal(HttpStatusCode.Redirect, lifted.StatusCode);
        Assert.Equal(AccountStatus.Active, live.Status.Status);
        var audit = await serve.Get<AuditLog>().QueryAsync("suspension");
        Assert.Contains(audit, a => a.Action == "suspension.start" && a.Actor == "operator:dana" && a.Origin == "127.0.0.1");
        Assert.Contains(audit, a => a.Action == "suspension.lift" && a.Actor == "operator:dana");
    }

    [Fact]
    public async Task AnAdministratorTurnsMailboxesOnFirstSightOffForADomainAndTheAbuseDeskMayNot()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        var page = $"/Domains/{w.Domain}";
        using var desk = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk);
        using var admin = await BrowserSession.SignedInAsync(serve, WebRole.Administrator, login: "ada");

        var deskPage = await desk.Http.GetStringAsync(page);
        var refused = await desk.PostFormAsync(page, page + "?handler=AutoCreate", new Dictionary<string, string> { ["enabled"] = "false" });
        Assert.True(serve.Get<AccountDirectory>().TryGetDomain(w.Domain, out var live));
        Assert.True(live.AutoCreateMailboxes);
        var turned = await admin.PostFormAsync(page, page + "?handler=AutoCreate", new Dictionary<string, string> { ["enabled"] = "false" });

        Assert.Contains("Mailboxes on first sight: <strong>on</strong>", deskPage, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=AutoCreate", deskPage, StringComparison.Ordinal);
        Assert.StartsWith("/denied", refused.Headers.Location!.PathAndQuery(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, turned.StatusCode);
        Assert.True(serve.Get<AccountDirectory>().TryGetDomain(w.Domain, out live));
        Assert.False(live.AutoCreateMailboxes);
        Assert.Contains("Mailboxes on first sight: <strong>off</strong>", await admin.Http.GetStringAsync(page), StringComparison.Ordinal);
        Assert.Contains(await serve.Get<AuditLog>().QueryAsync("domain"), a => a.Actor == "operator:ada" && a.TargetId == w.Domain && a.Action.Contains("auto", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReadOnlyOperatorCannotSuspendEvenWithTheToken()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.ReadOnly);
        var page = $"/Mailboxes/{w.Mailbox}";

        var response = await session.PostFormAsync(page, page + "?handler=Suspend", new Dictionary<string, string> { ["Reason"] = "curious" });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/denied", response.Headers.Location!.PathAndQuery(), StringComparison.Ordinal);
        Assert.Equal(AccountStatus.Active, (await serve.Get<AccountStore>().GetMailboxAsync(w.Mailbox)).Status);
    }

    [Fact]
    public async Task ASuspensionWithoutAReasonIsRefusedWithAMessage()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk);
        var page = $"/Domains/{w.Domain}";

        await session.PostFormAsync(page, page + "?handler=Suspend", new Dictionary<string, string> { ["Reason"] = "  " });

        Assert.Contains("Not done: A reason is required to suspend.", await session.Http.GetStringAsync(page), StringComparison.Ordinal);
        Assert.Equal(AccountStatus.Active, (await serve.Get<AccountStore>().GetClientAsync(w.Client)).Domains.Single().Status);
    }

    [Fact]
    public async Task SupportRecordsACallAndTheIncidentBecomesContacted()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Support, login: "sam");
        var page = $"/Calls/{w.Task}";

        var noAnswer = await session.PostFormAsync(page, page, new Dictionary<string, string> { ["Outcome"] = "NoAnswer", ["Notes"] = "voicemail full" });
        Assert.Equal(page, noAnswer.Headers.Location?.OriginalString);
        var reached = await session.PostFormAsync(page, page, new Dictionary<string, string> { ["Outcome"] = "Reached", ["Notes"] = "Ann will file the report " + ConsoleWorld.ImgMarkup });

        Assert.Equal("/Calls", reached.Headers.Location?.OriginalString);
        var incident = await serve.Get<EnforcementStore>().GetIncidentAsync(w.Incident);
        Assert.Equal(IncidentState.Contacted, incident.Incident.State);
        var task = Assert.Single(incident.ContactTasks);
        Assert.Equal([ContactOutcome.NoAnswer, ContactOutcome.Reached], task.Attempts.Select(a => a.Outcome));
        Assert.All(task.Attempts, a => Assert.Equal("operator:sam", a.By));
        var calls = await session.Http.GetStringAsync("/Calls");
        Assert.Contains("No call is waiting.", calls, StringComparison.Ordinal);
        Assert.Contains("Ann will file the report &lt;img", calls, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOutcomeThatIsNotOneOfTheChoicesIsRefused()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Support);
        var page = $"/Calls/{w.Task}";

        await session.PostFormAsync(page, page, new Dictionary<string, string> { ["Outcome"] = "Maybe" });

        Assert.Contains("Not done: Outcome:", await session.Http.GetStringAsync(page), StringComparison.Ordinal);
        Assert.Empty(Assert.Single((await serve.Get<EnforcementStore>().GetIncidentAsync(w.Incident)).ContactTasks).Attempts);
    }

    [Fact]
    public async Task AReadOnlyOperatorCannotRecordACall()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.ReadOnly);
        var page = $"/Calls/{w.Task}";

        var response = await session.PostFormAsync(page, page, new Dictionary<string, string> { ["Outcome"] = "Reached" });

        Assert.StartsWith("/denied", response.Headers.Location!.PathAndQuery(), StringComparison.Ordinal);
        Assert.Empty(Assert.Single((await serve.Get<EnforcementStore>().GetIncidentAsync(w.Incident)).ContactTasks).Attempts);
    }

    [Fact]
    public async Task TheReportIsAcceptedAndTheMailboxReinstatedWithANewPassword()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        var store = serve.Get<EnforcementStore>();
        await store.SubmitReportAsync(w.Incident, Report(), "client-admin:ann");
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk);
        var page = $"/Incidents/{w.Incident}";
        var before = await session.Http.GetStringAsync(page);
        Assert.Contains("A trojan on the reception PC sent it", before, StringComparison.Ordinal);
        Assert.Contains("handler=Accept", before, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=Reinstate", before, StringComparison.Ordinal);

        var acceptedAnswer = await session.PostFormAsync(page, page + "?handler=Accept", new Dictionary<string, string> { ["Note"] = "thorough" });
        Assert.True(acceptedAnswer.StatusCode == System.Net.HttpStatusCode.Redirect, await acceptedAnswer.Content.ReadAsStringAsync());
        var flash = await session.Http.GetStringAsync(acceptedAnswer.Headers.Location!.OriginalString);
        Assert.DoesNotContain("Not done", flash, StringComparison.Ordinal);
        Assert.Equal(IncidentState.ReportAccepted, (await store.GetIncidentAsync(w.Incident)).Incident.State);
        Assert.Contains("handler=Reinstate", await session.Http.GetStringAsync(page), StringComparison.Ordinal);
        var neither = await session.PostFormAsync(page, page + "?handler=Reinstate", new Dictionary<string, string>());
        Assert.Contains("a new password is required for bob@markup.example", await session.Http.GetStringAsync(neither.Headers.Location!.OriginalString), StringComparison.Ordinal);
        Assert.Equal(IncidentState.ReportAccepted, (await store.GetIncidentAsync(w.Incident)).Incident.State);

        Assert.Contains($"name=\"NewPasswords[{w.Offender}]\"", await session.Http.GetStringAsync(page), StringComparison.Ordinal);
        await session.PostFormAsync(page, page + "?handler=Reinstate", new Dictionary<string, string> { [$"NewPasswords[{w.Offender}]"] = "a brand new long password" });

        Assert.Equal(IncidentState.Reinstated, (await store.GetIncidentAsync(w.Incident)).Incident.State);
        var offender = await serve.Get<AccountStore>().GetMailboxAsync(w.Offender);
        Assert.Equal(AccountStatus.Active, offender.Status);
        Assert.True(serve.Get<PasswordHasher>().Verify("a brand new long password", offender.PasswordHash!));
        Assert.True(serve.Get<AccountDirectory>().TryGetMailbox(w.Offender, out var live));
        Assert.True(live.Status.IsActive);
    }

    [Fact]
    public async Task AnOverrideReinstatesWithTheOldPasswordAndTheAuditKeepsItsReason()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        var store = serve.Get<EnforcementStore>();
        await store.SubmitReportAsync(w.Incident, Report(), "client-admin:ann");
        await store.AcceptReportAsync(w.Incident, "ok", "operator:dana");
        var oldHash = (await serve.Get<AccountStore>().GetMailboxAsync(w.Offender)).PasswordHash;
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk, login: "dana");
        var page = $"/Incidents/{w.Incident}";

        await session.PostFormAsync(page, page + "?handler=Reinstate", new Dictionary<string, string> { ["OverrideReason"] = "the client rotated it in its own directory, ticket 77" });

        Assert.Equal(IncidentState.Reinstated, (await store.GetIncidentAsync(w.Incident)).Incident.State);
        Assert.Equal(oldHash, (await serve.Get<AccountStore>().GetMailboxAsync(w.Offender)).PasswordHash);
        var audit = await serve.Get<AuditLog>().QueryAsync(limit: 200);
        var entry = Assert.Single(audit, e => e.Action == "incident.reinstate-override");
        Assert.Equal("operator:dana", entry.Actor);
        Assert.Contains("ticket 77", entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdministratorChangesAPlansLimitsAndTheServerAppliesThem()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        var plan = (await serve.Get<AccountStore>().ListPlansAsync()).Single(p => p.Name == AccountStore.DefaultPlanName);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Administrator);
        var page = $"/Plans/{plan.Id}/Edit";
        var fields = new Dictionary<string, string> { ["Limits.MaxRecipientsPerMessage"] = "50", ["Limits.MaxMessageSizeBytes"] = "1048576" };
        foreach (var scope in new[] { "Mailbox", "Domain", "Client" })
        {
            foreach (var window in new[] { "MessagesPerHour", "ExternalRecipientsPerHour", "ExternalRecipientsPerDay", "InternalRecipientsPerHour", "InternalRecipientsPerDay" })
                fields[$"Limits.{scope}.{window}"] = scope == "Mailbox" && window == "MessagesPerHour" ? "42" : "100000";
        }

        var response = await session.PostFormAsync(page, page, fields);

        Assert.Equal("/Plans", response.Headers.Location?.OriginalString);
        var saved = (await serve.Get<AccountStore>().ListPlansAsync()).Single(p => p.Id == plan.Id).Limits;
        Assert.Equal((50, 42), (saved.MaxRecipientsPerMessage, saved.Mailbox.MessagesPerHour));
        Assert.True(serve.Get<AccountDirectory>().TryGetClient(w.Client, out var client));
        Assert.Equal(42, client.Limits.Mailbox.MessagesPerHour);
        Assert.Contains("audit", string.Join(",", (await serve.Get<AuditLog>().QueryAsync("plan")).Select(a => a.Action == "plan.limits" ? "audit" : a.Action)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdministratorAddsAnOperatorWhoSignsInAndThenDisablesIt()
    {
        await using var serve = await TestServe.StartAsync();
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Administrator);

        var added = await session.PostFormAsync("/Operators", "/Operators?handler=Add", new Dictionary<string, string>
        {
            ["Login"] = "Grace",
            ["DisplayName"] = "Grace " + ConsoleWorld.ScriptName,
            ["Role"] = "Support",
            ["Password"] = "a long enough password",
        });
        Assert.Equal("/Operators", added.Headers.Location?.OriginalString);
        var list = await session.Http.GetStringAsync("/Operators");
        Assert.Contains("Grace &lt;script&gt;", list, StringComparison.Ordinal);
        using var grace = new BrowserSession(serve.Web);
        Assert.Equal(HttpStatusCode.Redirect, (await grace.SignInAsync("grace", "a long enough password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await grace.Http.GetAsync("/Calls")).StatusCode);

        var id = (await serve.Get<AccessStore>().ListUsersAsync()).Single(u => u.Login == "grace").Id;
        await session.PostFormAsync("/Operators", $"/Operators?handler=Disable&id={id}", new Dictionary<string, string> { ["disabled"] = "true" });

        Assert.True((await serve.Get<AccessStore>().FindUserAsync(id))!.Disabled);
        Assert.Equal(HttpStatusCode.Redirect, (await grace.Http.GetAsync("/Calls")).StatusCode);
    }

    [Fact]
    public async Task ANewApiKeysTokenIsShownOnceAndWorks()
    {
        await using var serve = await TestServe.StartAsync();
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Administrator);

        var created = await session.PostFormAsync("/ApiKeys", "/ApiKeys?handler=Create", new Dictionary<string, string> { ["Name"] = "ticketing", ["Role"] = "ReadOnly" });

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.True(created.Headers.CacheControl?.NoStore, "the answer that carries the token must not be cached");
        var token = Token().Match(await created.Content.ReadAsStringAsync());
        Assert.True(token.Success);
        using var machine = new HttpClient { BaseAddress = serve.Web };
        machine.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        Assert.Equal(HttpStatusCode.OK, (await machine.GetAsync("/api/v1/me")).StatusCode);
        Assert.DoesNotContain(token.Value, await session.Http.GetStringAsync("/ApiKeys"), StringComparison.Ordinal);

        var id = (await serve.Get<AccessStore>().ListApiKeysAsync()).Single(k => k.Name == "ticketing").Id;
        await session.PostFormAsync("/ApiKeys", $"/ApiKeys?handler=Revoke&id={id}", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await machine.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task AnAdministratorChangesAnOperatorsRoleWhichEndsItsSessions()
    {
        await using var serve = await TestServe.StartAsync();
        using var admin = await BrowserSession.SignedInAsync(serve, WebRole.Administrator, login: "root2");
        using var grace = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk, login: "grace");
        var id = (await serve.Get<AccessStore>().ListUsersAsync()).Single(u => u.Login == "grace").Id;

        var changed = await admin.PostFormAsync("/Operators", $"/Operators?handler=Role&id={id}", new Dictionary<string, string> { ["Role"] = "Support" });

        Assert.Equal("/Operators", changed.Headers.Location?.OriginalString);
        Assert.Equal(WebRole.Support, (await serve.Get<AccessStore>().FindUserAsync(id))!.Role);
        Assert.Equal(HttpStatusCode.Redirect, (await grace.Http.GetAsync("/Calls")).StatusCode);
        var audit = await serve.Get<AuditLog>().QueryAsync("user", id);
        Assert.Contains(audit, a => a.Action == "user.role" && a.Actor == "operator:root2" && a.Origin == "127.0.0.1");
    }

    [Fact]
    public async Task AnAdministratorCannotTakeTheAdministratorRoleFromItself()
    {
        await using var serve = await TestServe.StartAsync();
        using var admin = await BrowserSession.SignedInAsync(serve, WebRole.Administrator, login: "root2");
        var id = (await serve.Get<AccessStore>().ListUsersAsync()).Single(u => u.Login == "root2").Id;

        await admin.PostFormAsync("/Operators", $"/Operators?handler=Role&id={id}", new Dictionary<string, string> { ["Role"] = "ReadOnly" });

        Assert.Contains("Not done: You cannot take the Administrator role", await admin.Http.GetStringAsync("/Operators"), StringComparison.Ordinal);
        Assert.Equal(WebRole.Administrator, (await serve.Get<AccessStore>().FindUserAsync(id))!.Role);
    }

    [Fact]
    public async Task CallsAccountsAndKeysMadeInTheConsoleAreAuditedAsTheOperatorFromItsAddress()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var sam = await BrowserSession.SignedInAsync(serve, WebRole.Support, login: "sam");
        using var root = await BrowserSession.SignedInAsync(serve, WebRole.Administrator, login: "root2");

        await sam.PostFormAsync($"/Calls/{w.Task}", $"/Calls/{w.Task}", new Dictionary<string, string> { ["Outcome"] = "NoAnswer" });
        await root.PostFormAsync("/Operators", "/Operators?handler=Add", new Dictionary<string, string>
        {
            ["Login"] = "heidi",
            ["DisplayName"] = "Heidi",
            ["Role"] = "ReadOnly",
            ["Password"] = "a long enough password",
        });
        await root.PostFormAsync("/ApiKeys", "/ApiKeys?handler=Create", new Dictionary<string, string> { ["Name"] = "phones", ["Role"] = "Support" });

        var audit = await serve.Get<AuditLog>().QueryAsync(limit: 1000);
        Assert.Contains(audit, a => a.Action == "contact-task.call" && a.TargetId == (int)w.Task && a.Actor == "operator:sam" && a.Origin == "127.0.0.1");
        Assert.Contains(audit, a => a.Action == "user.add" && a.Actor == "operator:root2" && a.Details!.Contains("heidi", StringComparison.Ordinal));
        Assert.Contains(audit, a => a.Action == "api-key.create" && a.Actor == "operator:root2" && a.Details!.Contains("phones", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SupportCannotSuspendOrReinstateEvenWithTheToken()
    {
        await using var serve = await TestServe.StartAsync();
        var w = await ConsoleWorld.SeedAsync(serve);
        using var session = await BrowserSession.SignedInAsync(serve, WebRole.Support);
        var incident = $"/Incidents/{w.Incident}";

        var suspend = await session.PostFormAsync($"/Clients/{w.Client}", $"/Clients/{w.Client}?handler=Suspend", new Dictionary<string, string> { ["Reason"] = "support is not the abuse desk" });
        var close = await session.PostFormAsync(incident, incident + "?handler=Close", new Dictionary<string, string> { ["Note"] = "done" });

        Assert.StartsWith("/denied", suspend.Headers.Location!.PathAndQuery(), StringComparison.Ordinal);
        Assert.StartsWith("/denied", close.Headers.Location!.PathAndQuery(), StringComparison.Ordinal);
        Assert.Equal(AccountStatus.Active, (await serve.Get<AccountStore>().GetClientAsync(w.Client)).Status);
        Assert.Equal(IncidentState.Open, (await serve.Get<EnforcementStore>().GetIncidentAsync(w.Incident)).Incident.State);
    }

    private static IncidentReport Report() => new(
        "A trojan on the reception PC sent it with the mailbox's password.",
        "The PC was wiped, every password of the office was changed.",
        "Bulk mail goes only through our newsletter provider, with consent.");

    [GeneratedRegex("fgk_[0-9]+_[A-Za-z0-9_-]+")]
    private static partial Regex Token();
}

internal static class UriPaths
{
    public static string PathAndQuery(this Uri uri) => uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString;
}
