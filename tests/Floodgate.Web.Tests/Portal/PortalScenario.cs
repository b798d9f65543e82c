using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;
using Floodgate.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Web.Tests.Portal;

/// <summary>One client's seeded state: a suspended mailbox with its offense, incident and damages, and a second mailbox still active.</summary>
public sealed record SeededClient(string Name, string Domain, string Mailbox, string OtherMailbox, int ClientId, int DomainId, int MailboxId, int OtherMailboxId, RecordedOffense Offense);

/// <summary>
/// Two clients as the detector leaves them: each had one mailbox blast three near-identical copies
/// of 180 recipients, two delivered and the third held, and was suspended for it. B's evidence
/// reuses A's Message-IDs (a spammer's tool stamps them), so a join that forgets the client shows it.
/// </summary>
public static class PortalScenario
{
    public const int Recipients = 180;

    public static readonly DateTimeOffset At = new(2026, 11, 30, 9, 30, 0, TimeSpan.Zero);

    /// <summary>Signals as <see cref="MassMailDetector"/> words them, thresholds and anchors included: the portal must not show these words.</summary>
    public static IReadOnlyList<Signal> Signals() =>
    [
        new("repeat", 2, RuleMode.Enforce, "the same e-mail (similarity ≥ 0.80) sent 3 times within 1 h, each to at least 160 external recipients (cap 200)"),
        new("contained", 2, RuleMode.Enforce, "the same text (up to 14 shared anchors, at least 9: about 56 four-word shingles) inside 3 different-looking copies within 1 h, each to at least 160 external recipients"),
        new("campaign", 1, RuleMode.Enforce, "the same content sent by 7 mailboxes of 4 clients within 6 h"),
        new("burst", 1, RuleMode.Observe, "512 of the last hour's 540 external recipients are first contacts (this message: 170 of 180), against a usual 3.5 an hour (threshold 400)"),
    ];

    public static readonly string[] DetectorWords = ["similarity ≥", "anchors", "shingles", "cap 200", "4 clients", "threshold", "first contacts"];

    public static IReadOnlyList<EvidenceMessage> Evidence(int mailboxId) =>
    [
        new(At.AddMinutes(-12), "20261130091800.4410@mail.example", Recipients, Recipients, 0.96, Outcome.Accepted, mailboxId) { Match = "contains 12 anchors of the same text" },
        new(At.AddMinutes(-6), "20261130092400.4411@mail.example", Recipients, Recipients, 0.98, Outcome.Accepted, mailboxId) { Subject = "Spring <b>offer</b> 2" },
        new(At, "20261130093000.4412@mail.example", Recipients, Recipients, 1.0, Outcome.Held, mailboxId) { Subject = "Spring offer 3", DestinationDomains = "evidence.example,mail.example.net" },
    ];

    public static async Task<SeededClient> SeedAsync(TestServe serve, string name, string domain)
    {
        var (clientId, domainId, mailboxId) = await serve.SeedClientAsync(name, domain, "sales");
        var other = await serve.Get<Floodgate.Storage.Accounts.AccountStore>().AddMailboxAsync(new Floodgate.Storage.Accounts.NewMailbox("billing@" + domain, TestServe.Password), "test");
        var address = "sales@" + domain;
        var reason = PolicyTexts.OffenseReason(PolicyTexts.MassMailing, At, LadderStep.SuspendMailbox);
        var recorded = await serve.Get<EnforcementStore>().RecordOffenseAsync(
            new NewOffense(At, clientId, domainId, mailboxId, address, LadderStep.SuspendMailbox, 6, NewOffense.Detector, Signals(), Evidence(mailboxId), reason),
            "enforcement");

        // The log's rows of the same messages, with the recipient domains the detail page shows.
        await using var db = await serve.Get<IDbContextFactory<FloodgateDbContext>>().CreateDbContextAsync();
        foreach (var e in Evidence(mailboxId))
        {
            db.Transactions.Add(new TransactionRecord
            {
                Time = e.At,
                MailboxId = mailboxId,
                MailboxAddress = address,
                DomainId = domainId,
                ClientId = clientId,
                FrontDoor = "smtp",
                EnvelopeSender = address,
                RecipientCount = e.Recipients,
                ExternalRecipientCount = e.External,
                RecipientDomains = $"inbox-of-{domain},mail.example.net",
                MessageId = e.MessageId,
                Verdict = e.Outcome,
            });
        }

        await db.SaveChangesAsync();
        return new SeededClient(name, domain, address, other.Address, clientId, domainId, mailboxId, other.Id, recorded);
    }
}
