using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Floodgate.Web.Tests.Console;

/// <summary>
/// A serve with what the console shows: a client whose name is markup, a mailbox whose display name
/// is markup, and an offense (detector) with signals and evidence that suspended a second mailbox and
/// opened an incident and a call. Pages that only read share one; tests that change state start their own.
/// </summary>
public sealed class ConsoleWorld : IAsyncLifetime
{
    public const string ScriptName = "<script>alert(1)</script>";
    public const string ImgMarkup = "<img src=x onerror=alert(1)>";

    public TestServe Serve { get; private set; } = null!;

    public int ClientId { get; private set; }

    public int DomainId { get; private set; }

    /// <summary>Active, can send: ann@markup.example.</summary>
    public int MailboxId { get; private set; }

    /// <summary>Suspended by the offense: bob@markup.example.</summary>
    public int OffenderId { get; private set; }

    public long IncidentId { get; private set; }

    public long TaskId { get; private set; }

    public int PlanId { get; private set; }

    public async Task InitializeAsync()
    {
        Serve = await TestServe.StartAsync();
        (ClientId, DomainId, MailboxId, OffenderId, IncidentId, TaskId) = await SeedAsync(Serve);
        PlanId = (await Serve.Get<AccountStore>().ListPlansAsync()).First().Id;
    }

    public async Task DisposeAsync() => await Serve.DisposeAsync();

    /// <summary>The markup client, its two mailboxes and an offense of the second; the directory reloaded.</summary>
    public static async Task<(int Client, int Domain, int Mailbox, int Offender, long Incident, long Task)> SeedAsync(TestServe serve)
    {
        var accounts = serve.Get<AccountStore>();
        var client = await accounts.AddClientAsync(new NewClient("Acme " + ScriptName, "Ann " + ImgMarkup, "+1 555 0100", "contact@markup.example"), "test");
        var domain = await accounts.AddDomainAsync(client.Id, "markup.example", "test");
        var ann = await accounts.AddMailboxAsync(new NewMailbox("ann@markup.example", TestServe.Password, ImgMarkup), "test");
        var bob = await accounts.AddMailboxAsync(new NewMailbox("bob@markup.example", TestServe.Password), "test");
        var at = DateTimeOffset.UtcNow.AddMinutes(-30);
        var recorded = await serve.Get<EnforcementStore>().RecordOffenseAsync(new NewOffense(
            at, client.Id, domain.Id, bob.Id, bob.Address, LadderStep.SuspendMailbox, 2.6, NewOffense.Detector,
            [new Signal("repeat", 2.0, RuleMode.Enforce, "3 near-copies " + ImgMarkup), new Signal("baseline", 0.6, RuleMode.Enforce, "last hour 40 times the usual")],
            [
                new EvidenceMessage(at.AddMinutes(-20), "first." + ImgMarkup + "@spam.example", 180, 180, 0.97, Outcome.Accepted, bob.Id),
                new EvidenceMessage(at.AddMinutes(-10), "second@spam.example", 190, 190, 0.94, Outcome.Held, bob.Id),
                new EvidenceMessage(at, "third@spam.example", 195, 195, 1.0, Outcome.Rejected, bob.Id),
            ],
            "mass mailing of near-identical messages " + ImgMarkup), "enforcement");
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        return (client.Id, domain.Id, ann.Id, bob.Id, recorded.IncidentId, recorded.ContactTaskId);
    }

    /// <summary>Sends one message over SMTP (AUTH, plain on loopback) to <paramref name="recipients"/> external recipients.</summary>
    public static async Task SendAsync(TestServe serve, string sender, int recipients, string tag)
    {
        // A mailbox seeded a moment ago is in the server's directory at its next poll; this is now.
        await serve.Get<IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(sender));
        message.To.Add(MailboxAddress.Parse(sender));
        message.Subject = "Quarterly figures " + tag;
        message.Body = new TextPart("plain") { Text = "The figures for " + tag + " are attached in spirit." };
        using var client = new SmtpClient();
        await client.ConnectAsync(serve.Smtp.Address.ToString(), serve.Smtp.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(sender, TestServe.Password);
        await client.SendAsync(message, MailboxAddress.Parse(sender), Enumerable.Range(0, recipients).Select(i => MailboxAddress.Parse($"{tag}-{i}@example{i}.net")));
        await client.DisconnectAsync(true);
    }
}
