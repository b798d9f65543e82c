using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Storage.Transactions;
using MimeKit;

namespace Floodgate.Storage.Tests;

/// <summary>The hot state a restart rebuilds from what every door wrote to the transaction log.</summary>
public sealed class TransactionLogReplayTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task TheMilterBesideThePolicyDoorIsRememberedByTheDetectorAfterARestartButNotCountedTwice()
    {
        var before = World();
        await using (var writer = new TransactionLogWriter(_db.Factory))
        {
            before.Engine.AddObserver(new TransactionLogObserver(writer));

            // Postfix with both doors: the policy door counts the message, the milter inspects it.
            var policy = before.Begin(Door.Policy, enforces: true);
            var milter = before.Begin(Door.Milter, enforces: false);
            foreach (var r in Enumerable.Range(0, 200).Select(i => $"r{i}@example.net"))
            {
                policy.AddRecipient(r);
                milter.AddRecipient(r);
            }

            policy.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
            Assert.True((await milter.CheckContentAsync(Facts("a@acme.test"), CancellationToken.None)).IsAccept);
            milter.Complete(Outcome.Accepted, "250", PolicyReasons.Inspected);
        }

        var after = World();
        var rows = await new TransactionLog(_db.Factory).LoadSinceAsync(_db.Time.GetUtcNow().AddHours(-24));
        Assert.Equal(1, TransactionLogReplay.Apply(rows, after.Engine, after.Detector, _db.Time.GetUtcNow()));

        // Counted once (the policy door's row), remembered once (the milter's row, with its fingerprint).
        var window = after.Engine.Counters.Read(new CounterKey(CounterScope.Mailbox, 100), _db.Time.GetUtcNow());
        Assert.Equal((1, 200), (window.MessagesLastHour, window.ExternalLastHour));
        var (recent, _) = after.Detector.Describe(100, _db.Time.GetUtcNow());
        var remembered = Assert.Single(recent);
        Assert.Equal("a@acme.test", remembered.MessageId);

        // What a person reads in the evidence survives the restart too: the subject and where it went.
        Assert.Equal("Spring offer", remembered.Subject);
        Assert.Equal("example.net", remembered.DestinationDomains);
        var milterRow = Assert.Single(rows, r => r.Fingerprint is not null);
        Assert.Equal(("Spring offer", "example.net"), (milterRow.Subject, milterRow.DestinationDomains));

        // The next copy after the restart is the second of a run: held.
        var copy = after.Begin(Door.Milter, enforces: false);
        foreach (var r in Enumerable.Range(200, 200).Select(i => $"r{i}@example.net"))
        {
            copy.AddRecipient(r);
        }

        Assert.Equal(Outcome.Held, (await copy.CheckContentAsync(Facts("b@acme.test"), CancellationToken.None)).Outcome);
    }

    private static MessageFacts Facts(string messageId)
    {
        var message = new MimeMessage { Subject = "Spring offer" };
        message.From.Add(MailboxAddress.Parse("ann@acme.test"));
        message.To.Add(MailboxAddress.Parse("list@example.net"));
        message.Body = new TextPart("plain")
        {
            Text = "Dear customer, our spring offer is here. Buy two cartridges and get the third one free. " +
                "The offer runs until the end of the month and applies to every printer model we sell. " +
                "Order today at our web shop and pay on delivery.",
        };
        return new MessageFacts { Size = 2000, MessageId = messageId, Fingerprint = Fingerprinter.Shared.Compute(message) };
    }

    private Node World() => new(_db.Time);

    private sealed class Node
    {
        public Node(TimeProvider time)
        {
            var directory = new AccountDirectory();
            directory.Apply(
            [
                new Client
                {
                    Id = 1, Name = "Acme", ContactName = "Ann", ContactPhone = "+1 555 0100", ContactEmail = "ann@acme.test",
                    Domains = [new Domain { Id = 10, ClientId = 1, Name = "acme.test", Mailboxes = [new Mailbox { Id = 100, DomainId = 10, Address = "ann@acme.test" }] }],
                },
            ], new PlanLimits(), 1);
            Detector = new MassMailDetector(new DetectionOptions());
            // The bulk opt-out rule off: these tests replay a 200-recipient message that must pass, and are about the log, not content rules.
            Engine = new PolicyEngine(directory, new InProcessCounterStore(), time, new PolicyOptions { BulkOptOut = { Mode = BulkOptOutMode.Off } }, Detector);
            Mailbox = directory.TryGetMailbox("ann@acme.test", out var m) ? m : throw new InvalidOperationException();
        }

        public PolicyEngine Engine { get; }

        public MassMailDetector Detector { get; }

        public MailboxState Mailbox { get; }

        public Transaction Begin(Door door, bool enforces)
        {
            var t = Engine.Open(door, enforces);
            Assert.True(t.Begin(Mailbox, "ann@acme.test", 0).IsAccept);
            return t;
        }
    }
}
