using Floodgate.Core.Policy;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests.Enforcement;

/// <summary>A migrated database with client Acme (acme.example, bob@ and carol@) and an enforcement store on the fake clock.</summary>
public sealed class EnforcementFixture : IAsyncLifetime
{
    public const string Detector = "enforcement";

    public TestDatabase Db { get; } = new();

    public EnforcementStore Store { get; private set; } = null!;

    public int ClientId { get; private set; }

    public int DomainId { get; private set; }

    public int BobId { get; private set; }

    public int CarolId { get; private set; }

    public DateTimeOffset Now => Db.Time.GetUtcNow();

    public async Task InitializeAsync()
    {
        await Db.InitializeAsync();
        (ClientId, DomainId) = await Db.AddClientWithDomainAsync();
        BobId = (await Db.Store.AddMailboxAsync(new NewMailbox("bob@acme.example"), TestDatabase.Actor)).Id;
        CarolId = (await Db.Store.AddMailboxAsync(new NewMailbox("carol@acme.example"), TestDatabase.Actor)).Id;
        Store = new EnforcementStore(Db.Factory, Db.Time, new ContactTaskOptions(), new DamagesOptions());
    }

    public Task DisposeAsync() => Db.DisposeAsync();

    /// <summary>Two relayed messages of 200 recipients and one held of 200, the last one deciding.</summary>
    public static IReadOnlyList<EvidenceMessage> Evidence(DateTimeOffset at, int mailboxId) =>
    [
        new(at.AddMinutes(-10), "<1@acme.example>", 200, 200, 0.97, Outcome.Accepted, mailboxId),
        new(at.AddMinutes(-5), "<2@acme.example>", 200, 200, 0.98, Outcome.Accepted, mailboxId),
        new(at, "<3@acme.example>", 200, 200, 1.0, Outcome.Held, mailboxId),
    ];

    public static IReadOnlyList<Signal> Signals() =>
    [
        new("repeat", 0.7, RuleMode.Enforce, "the same content 3 times in 15 minutes, each near the 200-recipient cap"),
        new("volume", 0.3, RuleMode.Enforce, "600 external recipients in 15 minutes, 40x the mailbox's baseline"),
    ];

    public NewOffense Offense(LadderStep step, int? mailboxId = null, string source = "detector") => new(
        Now, ClientId, DomainId, mailboxId ?? BobId, mailboxId == CarolId ? "carol@acme.example" : "bob@acme.example",
        step, 1.0, source, Signals(), Evidence(Now, mailboxId ?? BobId), "mass mailing: the same message to 200 recipients, 3 times");

    public async Task<long> StateVersionAsync() => await Db.Store.GetStateVersionAsync();

    public async Task<(AccountStatus Mailbox, AccountStatus Domain, AccountStatus Client)> StatusesAsync()
    {
        await using var db = await Db.Factory.CreateDbContextAsync();
        return (
            await db.Mailboxes.Where(m => m.Id == BobId).Select(m => m.Status).SingleAsync(),
            await db.Domains.Where(d => d.Id == DomainId).Select(d => d.Status).SingleAsync(),
            await db.Clients.Where(c => c.Id == ClientId).Select(c => c.Status).SingleAsync());
    }

    public async Task<List<string>> AuditActionsSinceAsync(long afterId)
    {
        await using var db = await Db.Factory.CreateDbContextAsync();
        return await db.AuditEntries.Where(a => a.Id > afterId).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync();
    }

    public async Task<long> LastAuditIdAsync()
    {
        await using var db = await Db.Factory.CreateDbContextAsync();
        return await db.AuditEntries.MaxAsync(a => (long?)a.Id) ?? 0;
    }

    /// <summary>An offense carried to ReportAccepted: contact reached, report submitted and accepted.</summary>
    public async Task<RecordedOffense> AcceptedAsync(LadderStep step)
    {
        var recorded = await Store.RecordOffenseAsync(Offense(step), Detector);
        await Store.SubmitReportAsync(recorded.IncidentId, GoodReport, "portal:acme");
        await Store.AcceptReportAsync(recorded.IncidentId, "thorough", TestDatabase.Actor);
        return recorded;
    }

    public static readonly IncidentReport GoodReport = new(
        "A compromised WordPress plugin sent through bob's mailbox with a stolen password.",
        "We removed the plugin, reset every password and turned on two-factor logins.",
        "Our mailings go only to opted-in members through the provider's hosted lists, with an opt-out link.");
}
