using System.Net;
using System.Net.Http.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Floodgate.Web.Security;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Enforcement;

/// <summary>
/// A change made with a session cookie must bring the CSRF token of that session: without it, or with a
/// forged one, every enforcement change is a 400 that says so, and nothing changes (state, password,
/// audit). The same request with the session's token goes through, so the refusal is the token's alone.
/// </summary>
public sealed class CsrfTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private const string NewPassword = "a brand new passphrase 42";

    private TestServe Serve => fixture.Serve;

    public static TheoryData<string> Changes => ["suspend", "lift", "report", "return", "accept", "reinstate", "close", "call"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task AChangeWithoutTheSessionsCsrfTokenIsRefusedAndChangesNothing(string change)
    {
        var (path, body, role, clientId, probe) = await ArrangeAsync(change);
        using var session = await CookieSession.SignedInAsync(Serve, role, clientId);
        var before = await probe();

        var response = await session.Http.PostAsJsonAsync(path, body, HttpJson.Json);

        await AssertCsrfRefusalAsync(response);
        Assert.Equal(before, await probe());
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task AChangeWithAForgedCsrfTokenIsRefusedAndChangesNothingButTheRealTokenWorks(string change)
    {
        var (path, body, role, clientId, probe) = await ArrangeAsync(change);
        using var session = await CookieSession.SignedInAsync(Serve, role, clientId);
        var token = await session.CsrfTokenAsync();
        var othersToken = await OtherSessionsTokenAsync();
        var before = await probe();

        var forged = await PostAsync(session, path, body, "CfDJ8" + new string('A', 80));
        var otherSessions = await PostAsync(session, path, body, othersToken);
        var after = await probe();
        var real = await PostAsync(session, path, body, token);

        await AssertCsrfRefusalAsync(forged);
        await AssertCsrfRefusalAsync(otherSessions);
        Assert.Equal(before, after);
        Assert.True(real.IsSuccessStatusCode, $"{(int)real.StatusCode}: {await real.Content.ReadAsStringAsync()}");
        Assert.NotEqual(before, await probe());
    }

    [Fact]
    public async Task ReadingNeedsNoCsrfToken()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        using var session = await CookieSession.SignedInAsync(Serve, WebRole.ClientAdministrator, acme.ClientId);

        var incident = await (await session.Http.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();

        Assert.Equal(acme.ClientId, incident.ClientId);
    }

    private static async Task<HttpResponseMessage> PostAsync(CookieSession session, string path, object body, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: HttpJson.Json) };
        request.Headers.Add(WebSecurity.CsrfHeader, token);
        return await session.Http.SendAsync(request);
    }

    /// <summary>A real token, of another user's session: it does not belong to this session's cookie.</summary>
    private async Task<string> OtherSessionsTokenAsync()
    {
        using var other = await CookieSession.SignedInAsync(Serve, WebRole.AbuseDesk);
        return await other.CsrfTokenAsync();
    }

    private static async Task AssertCsrfRefusalAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>();
        Assert.Equal("CSRF token missing or invalid", problem!.Title);
        Assert.Contains(WebSecurity.CsrfHeader, problem.Detail, StringComparison.Ordinal);
    }

    /// <summary>A change that would succeed, and a probe of everything it could change: the mailbox, the incident, the calls and the audit log.</summary>
    private async Task<(string Path, object Body, WebRole Role, int? ClientId, Func<Task<string>> Probe)> ArrangeAsync(string change)
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        var enforcement = Serve.Get<EnforcementStore>();
        var incident = $"/api/v1/incidents/{offense.IncidentId}";
        switch (change)
        {
            case "lift":
                break;
            case "suspend":
                await enforcement.LiftAsync(AccountScope.Mailbox, acme.MailboxId, "arranged", "test");
                break;
            case "return" or "accept":
                await enforcement.SubmitReportAsync(offense.IncidentId, new IncidentReport(EnforcementWorld.GoodReport.Mechanism!, EnforcementWorld.GoodReport.StepsTaken!, EnforcementWorld.GoodReport.ClientPolicy!), "test");
                break;
            case "reinstate":
                await Serve.AcceptedAsync(offense.IncidentId);
                break;
        }

        async Task<string> Probe()
        {
            var mailbox = await Serve.Get<AccountStore>().GetMailboxAsync(acme.MailboxId);
            var detail = await enforcement.GetIncidentAsync(offense.IncidentId);
            var audit = await Serve.Get<AuditLog>().QueryAsync(limit: 100_000);
            return $"{mailbox.Status} {mailbox.PasswordHash} {detail.Incident.State} {detail.ContactTasks.Sum(t => t.Attempts.Count)} {audit.Count}";
        }

        return change switch
        {
            "suspend" => ("/api/v1/suspensions", new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, "by hand"), WebRole.AbuseDesk, null, Probe),
            "lift" => ("/api/v1/suspensions/lift", new SuspensionRequest(AccountScope.Mailbox, acme.MailboxId, "by hand"), WebRole.AbuseDesk, null, Probe),
            "report" => ($"{incident}/report", EnforcementWorld.GoodReport, WebRole.ClientAdministrator, acme.ClientId, Probe),
            "return" => ($"{incident}/return", new NoteRequest("say which program sent it"), WebRole.AbuseDesk, null, Probe),
            "accept" => ($"{incident}/accept", new NoteRequest("complete"), WebRole.AbuseDesk, null, Probe),
            "reinstate" => ($"{incident}/reinstate", new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], null), WebRole.Administrator, null, Probe),
            "close" => ($"{incident}/close", new NoteRequest("the client left"), WebRole.Administrator, null, Probe),
            "call" => ($"/api/v1/contact-tasks/{offense.ContactTaskId}/calls", new CallRequest(ContactOutcome.NoAnswer, "rang out"), WebRole.Support, null, Probe),
            _ => throw new ArgumentOutOfRangeException(nameof(change), change, null),
        };
    }
}
