using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Core.Tests.Policy;

/// <summary>Two clients: acme (acme.test: ann, bob; acme-mail.test: carl) and other (other.test: olga).</summary>
internal sealed class PolicyFixture
{
    public PolicyFixture(PlanLimits? limits = null)
    {
        Limits = limits ?? new PlanLimits();
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
        var acme = new Client
        {
            Id = 1,
            Name = "Acme",
            ContactName = "Ann",
            ContactPhone = "+1 555 0100",
            ContactEmail = "ann@acme.test",
            Plan = new Plan { Id = 1, Name = "test", Limits = Limits },
            Domains =
            [
                new Domain
                {
                    Id = 10, ClientId = 1, Name = "acme.test",
                    Mailboxes =
                    [
                        new Mailbox { Id = 100, DomainId = 10, Address = "ann@acme.test", AllowedSenders = "sales@acme.test,*@acme-mail.test" },
                        new Mailbox { Id = 101, DomainId = 10, Address = "bob@acme.test" },
                    ],
                },
                new Domain { Id = 11, ClientId = 1, Name = "acme-mail.test", Mailboxes = [new Mailbox { Id = 102, DomainId = 11, Address = "carl@acme-mail.test" }] },
            ],
        };
        var other = new Client
        {
            Id = 2,
            Name = "Other",
            ContactName = "Olga",
            ContactPhone = "+1 555 0200",
            ContactEmail = "olga@other.test",
            Domains = [new Domain { Id = 20, ClientId = 2, Name = "other.test", Mailboxes = [new Mailbox { Id = 200, DomainId = 20, Address = "olga@other.test" }] }],
        };
        Clients = [acme, other];
        Directory.Apply(Clients, new PlanLimits(), 1);
        Engine = new PolicyEngine(Directory, Counters, Time, new PolicyOptions { SupportContact = "abuse@provider.test" });
    }

    public PlanLimits Limits { get; }

    public FakeTimeProvider Time { get; }

    public List<Client> Clients { get; }

    public AccountDirectory Directory { get; } = new();

    public InProcessCounterStore Counters { get; } = new();

    public PolicyEngine Engine { get; }

    public MailboxState Mailbox(string address)
    {
        Assert.True(Directory.TryGetMailbox(address, out var m));
        return m;
    }

    /// <summary>Runs one transaction through MAIL and RCPT and completes it as relayed; returns the verdicts.</summary>
    public List<Verdict> Send(string sender, IEnumerable<string> recipients)
    {
        var m = Mailbox(sender);
        var transaction = Engine.Open(Door.Gateway);
        var verdicts = new List<Verdict> { transaction.Begin(m, sender, 0) };
        if (!verdicts[0].IsAccept)
        {
            return verdicts;
        }

        foreach (var r in recipients)
        {
            verdicts.Add(transaction.AddRecipient(r));
        }

        if (transaction.Recipients > 0)
        {
            transaction.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        }
        else
        {
            transaction.Abandon();
        }

        return verdicts;
    }

    /// <summary>A transaction of <paramref name="sender"/> begun (MAIL accepted).</summary>
    public Transaction Begin(string sender, Door door = Door.Gateway, bool enforces = true)
    {
        var transaction = Engine.Open(door, enforces);
        Assert.True(transaction.Begin(Mailbox(sender), sender, 0).IsAccept);
        return transaction;
    }

    public static IEnumerable<string> External(int count, int start = 0) =>
        Enumerable.Range(start, count).Select(i => $"r{i}@example{i % 7}.net");
}
