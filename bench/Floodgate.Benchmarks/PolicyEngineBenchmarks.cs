using BenchmarkDotNet.Attributes;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Benchmarks;

/// <summary>
/// The policy engine on the in-process counter store with a populated directory (1,000 clients ×
/// 10 mailboxes, each with windows): one 50-recipient transaction as the gateway drives it, and one
/// window update.
/// </summary>
[MemoryDiagnoser]
public class PolicyEngineBenchmarks
{
    private const int Clients = 1_000;
    private const int MailboxesPerClient = 10;

    private readonly string[] _external = new string[40];
    private readonly string[] _internal = new string[10];
    private AccountDirectory _directory = null!;
    private InProcessCounterStore _counters = null!;
    private PolicyEngine _engine = null!;
    private MailboxState _mailbox = null!;
    private Transaction _transaction = null!;
    private Transaction _recipientTransaction = null!;
    private SlidingWindow _window = null!;
    private DateTimeOffset _at;

    [GlobalSetup]
    public void Setup()
    {
        // Limits that never fire in a benchmark's millions of calls: every rule is evaluated, the
        // accept path is what is measured (a refusal builds its reply text, by design).
        var limits = new PlanLimits { Mailbox = Unlimited(), Domain = Unlimited(), Client = Unlimited() };
        var plan = new Plan { Id = 1, Name = "bench", Limits = limits };
        var clients = new List<Client>(Clients);
        var mailboxId = 1;
        for (var c = 1; c <= Clients; c++)
        {
            var domain = new Domain { Id = c, ClientId = c, Name = $"client{c}.test" };
            for (var m = 0; m < MailboxesPerClient; m++)
            {
                domain.Mailboxes.Add(new Mailbox { Id = mailboxId++, DomainId = c, Address = $"user{m}@client{c}.test" });
            }

            clients.Add(new Client
            {
                Id = c,
                Name = $"Client {c}",
                ContactName = "Bench",
                ContactPhone = "+1 555 0100",
                ContactEmail = $"contact@client{c}.test",
                Plan = plan,
                Domains = [domain],
            });
        }

        _directory = new AccountDirectory();
        _directory.Apply(clients, limits, 1);
        _counters = new InProcessCounterStore();
        _engine = new PolicyEngine(_directory, _counters, TimeProvider.System, new PolicyOptions { SupportContact = "abuse@provider.test" });
        for (var id = 1; id < mailboxId; id++)
        {
            _directory.TryGetMailbox(id, out var m);
            _engine.RecordSent(m.Id, m.Domain.Id, m.Client.Id, 1, 0, DateTimeOffset.UtcNow);
        }

        _directory.TryGetMailbox("user3@client500.test", out _mailbox);
        _transaction = _engine.Open(Door.Gateway);
        _recipientTransaction = _engine.Open(Door.Gateway);
        _recipientTransaction.Begin(_mailbox, _mailbox.Address, 0);
        for (var i = 0; i < _external.Length; i++)
        {
            _external[i] = $"rcpt{i}@example{i % 7}.net";
        }

        for (var i = 0; i < _internal.Length; i++)
        {
            _internal[i] = $"user{i}@client500.test";
        }

        _window = new SlidingWindow();
        _at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    }

    private static ScopeLimits Unlimited() => new()
    {
        MessagesPerHour = 1_000_000_000,
        ExternalRecipientsPerHour = 1_000_000_000,
        ExternalRecipientsPerDay = 1_000_000_000,
        InternalRecipientsPerHour = 1_000_000_000,
        InternalRecipientsPerDay = 1_000_000_000,
    };

    /// <summary>
    /// MAIL FROM, 40 external and 10 internal RCPT TO, each reserved in the mailbox, domain and client
    /// windows, and the message completed as relayed (the reservations become counts; the completion
    /// event goes to no observer here).
    /// </summary>
    [Benchmark]
    public int Transaction50Recipients()
    {
        var mailbox = _mailbox;
        var transaction = _transaction;
        transaction.Begin(mailbox, mailbox.Address, 5_120);
        foreach (var r in _external)
        {
            transaction.AddRecipient(r);
        }

        foreach (var r in _internal)
        {
            transaction.AddRecipient(r);
        }

        var recipients = transaction.Recipients;
        transaction.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        return recipients;
    }

    /// <summary>One RCPT TO decision (external, accept path): the reservation in three windows, given back.</summary>
    [Benchmark]
    public bool CheckRecipient()
    {
        var accepted = _recipientTransaction.AddRecipient(_external[0]).IsAccept;
        _recipientTransaction.LimitRecipients(0);
        return accepted;
    }

    /// <summary>A window update and a read, moving 7 s per call so that buckets roll over.</summary>
    [Benchmark]
    public int SlidingWindowAddRead()
    {
        _at = _at.AddSeconds(7);
        _window.Add(_at, 1, 3, 1);
        return _window.Read(_at).ExternalLastHour;
    }
}
