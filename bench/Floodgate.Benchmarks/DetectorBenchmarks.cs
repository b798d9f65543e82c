using BenchmarkDotNet.Attributes;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Benchmarks;

/// <summary>
/// The detector's cost per message, as a door pays it: a 200-recipient transaction whose content is
/// judged against a mailbox whose memory is full (32 remembered near-cap messages, each different;
/// 1,000 recipients written to before). <see cref="TransactionOnly"/> is the same transaction without
/// the content check, so the difference is the detector. Only public API that existed before issue 11,
/// so the same file measures both sides.
/// </summary>
[MemoryDiagnoser]
public class DetectorBenchmarks
{
    private const int Recipients = 200;

    private readonly string[] _recipients = new string[Recipients];
    private PolicyEngine _engine = null!;
    private MailboxState _mailbox = null!;
    private Transaction _transaction = null!;
    private MessageFacts _facts = null!;

    [GlobalSetup]
    public void Setup()
    {
        var limits = new PlanLimits
        {
            MaxRecipientsPerMessage = Recipients,
            Mailbox = Unlimited(),
            Domain = Unlimited(),
            Client = Unlimited(),
        };
        var client = new Client
        {
            Id = 1,
            Name = "Bench",
            ContactName = "Bench",
            ContactPhone = "+1 555 0100",
            ContactEmail = "contact@bench.test",
            Plan = new Plan { Id = 1, Name = "bench", Limits = limits },
            Domains = [new Domain { Id = 1, ClientId = 1, Name = "bench.test", Mailboxes = [new Mailbox { Id = 1, DomainId = 1, Address = "ann@bench.test" }] }],
        };
        var directory = new AccountDirectory();
        directory.Apply([client], limits, 1);
        directory.TryGetMailbox("ann@bench.test", out _mailbox);
        // Thresholds out of reach: the full evaluation runs and the message is allowed, every time.
        var detector = new MassMailDetector(new DetectionOptions { HoldScore = 1e9, OffenseScore = 1e9 });
        _engine = new PolicyEngine(directory, new InProcessCounterStore(), TimeProvider.System, new PolicyOptions { SupportContact = "abuse@provider.test" }, detector);

        var random = new Random(1);
        // The mailbox's past: 5 messages of 200 to 1,000 recipients, then 32 different near-cap messages.
        for (var i = 0; i < 5; i++)
        {
            Relay(Enumerable.Range(i * 200, 200).Select(r => $"known{r}@customer{r % 50}.example"), Text(random, 300, "https://shop.partner" + i + ".example/offer"));
        }

        for (var i = 0; i < 32; i++)
        {
            Relay(Enumerable.Range(0, Recipients).Select(r => $"old{i}-{r}@list{r % 40}.example"), Text(random, 300, "https://news.site" + i + ".example/read"));
        }

        for (var i = 0; i < _recipients.Length; i++)
        {
            _recipients[i] = $"new{i}@target{i % 60}.example";
        }

        _facts = new MessageFacts { Size = 5_000, MessageId = "bench@bench.test", Fingerprint = Fingerprinter.Shared.Compute(Raw(Text(random, 300, "https://promo.other.example/x"))) };
        _transaction = _engine.Open(Door.Gateway);
    }

    /// <summary>MAIL, 200 external RCPT (each reserved), released: what every message costs without the detector.</summary>
    [Benchmark(Baseline = true)]
    public int TransactionOnly()
    {
        var t = _transaction;
        t.Begin(_mailbox, _mailbox.Address, 5_000);
        foreach (var r in _recipients)
        {
            t.AddRecipient(r);
        }

        var n = t.External;
        t.Abandon();
        return n;
    }

    /// <summary>The same, and the end of data: the detector judges the content against the mailbox's memory.</summary>
    [Benchmark]
    public int TransactionAndDetector()
    {
        var t = _transaction;
        t.Begin(_mailbox, _mailbox.Address, 5_000);
        foreach (var r in _recipients)
        {
            t.AddRecipient(r);
        }

        var verdict = t.CheckContentAsync(_facts, CancellationToken.None).GetAwaiter().GetResult();
        t.Abandon();
        return verdict.Code;
    }

    private void Relay(IEnumerable<string> recipients, string text)
    {
        var t = _engine.Open(Door.Gateway);
        t.Begin(_mailbox, _mailbox.Address, 0);
        foreach (var r in recipients)
        {
            t.AddRecipient(r);
        }

        var facts = new MessageFacts { Size = 5_000, MessageId = Guid.NewGuid().ToString("N") + "@bench.test", Fingerprint = Fingerprinter.Shared.Compute(Raw(text)) };
        t.CheckContentAsync(facts, CancellationToken.None).GetAwaiter().GetResult();
        t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
    }

    private static ReadOnlyMemory<byte> Raw(string text) =>
        System.Text.Encoding.UTF8.GetBytes("From: ann@bench.test\r\nTo: list@example.net\r\nSubject: News\r\n\r\n" + text.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n");

    private static string Text(Random random, int words, string link)
    {
        string[] vocabulary =
        [
            "market", "report", "season", "growth", "garden", "winter", "travel", "recipe", "family", "school", "health", "museum",
            "coffee", "summer", "island", "bridge", "castle", "forest", "planet", "harbor", "engine", "rocket", "silver", "yellow",
        ];
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < words; i++)
        {
            sb.Append(vocabulary[random.Next(vocabulary.Length)]).Append(i % 40 == 39 ? "\n\n" : " ");
        }

        return sb.Append('\n').Append(link).Append('\n').ToString();
    }

    private static ScopeLimits Unlimited() => new()
    {
        MessagesPerHour = 1_000_000_000,
        ExternalRecipientsPerHour = 1_000_000_000,
        ExternalRecipientsPerDay = 1_000_000_000,
        InternalRecipientsPerHour = 1_000_000_000,
        InternalRecipientsPerDay = 1_000_000_000,
    };
}
