using System.Net.Http.Json;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.Web.Tests.Enforcement;

/// <summary>One serve for a test class: each test seeds clients of its own (unique names), so tests do not see each other's ids.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public TestServe Serve { get; private set; } = null!;

    public async Task InitializeAsync() => Serve = await TestServe.StartAsync();

    public async Task DisposeAsync() => await Serve.DisposeAsync();
}

/// <summary>A client seeded for one test: one domain, mailbox ann@ with <see cref="TestServe.Password"/>.</summary>
public sealed record SeededClient(int ClientId, int DomainId, int MailboxId, string Name, string Domain)
{
    public string Address => "ann@" + Domain;
}

/// <summary>Offenses, reports and SMTP sessions for the enforcement tests, through the real stores and the real gateway.</summary>
internal static class EnforcementWorld
{
    public const string Reason = "mass mailing: the same message to 200 recipients, 3 times";

    public static readonly ReportRequest GoodReport = new(
        "A password-stealing trojan on the sales laptop sent it",
        "Wiped the laptop, reset every password, enabled MFA for all staff",
        "Bulk mail only through the opt-in list service; staff are trained yearly");

    public static async Task<SeededClient> SeedAsync(this TestServe serve, string name)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var unique = name + " " + tag;

        // The name may carry markup (escaping tests); the domain takes only its letters and digits.
        var domain = new string([.. name.Where(char.IsAsciiLetterOrDigit)]).ToLowerInvariant() + "-" + tag + ".test";
        var (clientId, domainId, mailboxId) = await serve.SeedClientAsync(unique, domain, "ann");

        // The running directory learns of it now, not at its next poll.
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        return new SeededClient(clientId, domainId, mailboxId, unique, domain);
    }

    /// <summary>A second mailbox of the client, with a password.</summary>
    public static async Task<(int Id, string Address)> AddMailboxAsync(this TestServe serve, SeededClient client, string local, string? password = TestServe.Password)
    {
        var m = await serve.Get<AccountStore>().AddMailboxAsync(new NewMailbox(local + "@" + client.Domain, password), "test");
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        return (m.Id, m.Address);
    }

    /// <summary>Two relayed messages of 200 recipients and the held one that decided, as the detector keeps them.</summary>
    public static IReadOnlyList<EvidenceMessage> Evidence(DateTimeOffset at, int mailboxId) =>
    [
        new(at.AddMinutes(-10), "<1@evidence.test>", 200, 200, 0.97, Outcome.Accepted, mailboxId) { Match = "contains 9 anchors of the same text" },
        new(at.AddMinutes(-5), "<2@evidence.test>", 200, 200, 0.98, Outcome.Accepted, mailboxId),
        new(at, "<3@evidence.test>", 200, 200, 1.0, Outcome.Held, mailboxId),
    ];

    public static IReadOnlyList<Signal> Signals() =>
    [
        new("repeat", 0.7, RuleMode.Enforce, "the same e-mail (similarity ≥ 0.80) sent 3 times within 1 hour, each to at least 180 external recipients (cap 200)"),
        new("campaign", 0.3, RuleMode.Enforce, "the same content sent by 4 mailboxes of 3 clients within 1 hour"),
    ];

    /// <summary>Records an offense as the engine would (suspension, incident, contact task) and reloads the running directory.</summary>
    public static async Task<RecordedOffense> OffenseAsync(
        this TestServe serve,
        SeededClient client,
        LadderStep step = LadderStep.SuspendMailbox,
        DateTimeOffset? at = null,
        IReadOnlyList<OffenseMailbox>? others = null,
        (int Id, string Address)? mailbox = null)
    {
        var now = at ?? DateTimeOffset.UtcNow;
        var (mailboxId, address) = mailbox ?? (client.MailboxId, client.Address);
        var recorded = await serve.Get<EnforcementStore>().RecordOffenseAsync(
            new NewOffense(now, client.ClientId, client.DomainId, mailboxId, address, step, 1.2, NewOffense.Detector,
                Signals(), Evidence(now, mailboxId), Reason, others),
            "enforcement");
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        return recorded;
    }

    /// <summary>The report submitted and accepted, through the store: the incident may be reinstated.</summary>
    public static async Task AcceptedAsync(this TestServe serve, long incidentId)
    {
        var store = serve.Get<EnforcementStore>();
        await store.SubmitReportAsync(incidentId, new IncidentReport(GoodReport.Mechanism!, GoodReport.StepsTaken!, GoodReport.ClientPolicy!), "test");
        await store.AcceptReportAsync(incidentId, "complete", "test");
    }

    public static Task<HttpClient> OperatorAsync(this TestServe serve) => serve.ApiClientAsync(WebRole.AbuseDesk);

    public static Task<HttpClient> ClientAdministratorAsync(this TestServe serve, SeededClient client) => serve.ApiClientAsync(WebRole.ClientAdministrator, client.ClientId);

    public static async Task<SmtpClient> SmtpAsync(this TestServe serve, string login, string password)
    {
        var smtp = new SmtpClient();
        await smtp.ConnectAsync(serve.Smtp.Address.ToString(), serve.Smtp.Port, SecureSocketOptions.None);
        await smtp.AuthenticateAsync(login, password);
        return smtp;
    }

    public static Task<string> SendAsync(this SmtpClient smtp, string from, string subject = "Hello")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("friend@example.net"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Lunch on Friday?" };
        return smtp.SendAsync(message);
    }

    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient http, string path, T body) => http.PostAsJsonAsync(path, body, HttpJson.Json);

    /// <summary>The problem details' errors of a 400, by field.</summary>
    public static async Task<Dictionary<string, string[]>> ProblemsAsync(this HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ValidationProblemDetails>();
        return problem!.Errors.ToDictionary(e => e.Key, e => e.Value);
    }

    public static async Task<string> DetailAsync(this HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>();
        return problem!.Detail ?? "";
    }
}
