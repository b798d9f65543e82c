using System.Buffers;
using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Doors;
using Floodgate.Doors.PolicyDelegation;
using Floodgate.Protocols.PolicyDelegation;
using Floodgate.Storage;
using Floodgate.Storage.Tests;
using Floodgate.Storage.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Doors.Tests.PolicyDelegation;

/// <summary>The per-instance state of the policy door, without Postfix: requests as Postfix sends them.</summary>
public sealed class PolicyDoorTests : IAsyncLifetime
{
    private readonly ManualTime _time = new();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "floodgate-policy-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly IDbContextFactory<FloodgateDbContext> _db;
    private readonly TransactionLogWriter _writer;
    private readonly PolicyDoor _handler;
    private readonly InProcessCounterStore _counters = new();

    public PolicyDoorTests()
    {
        Directory.CreateDirectory(_folder);
        var engine = new PolicyEngine(Acme(), _counters, _time, new PolicyOptions { SupportContact = "abuse@provider.test" });
        // The log on the provider under test (FLOODGATE_TEST_DB), migrated in InitializeAsync.
        _db = TestDatabases.Factory(_folder);
        _writer = new TransactionLogWriter(_db, time: _time);
        engine.AddObserver(new TransactionLogObserver(_writer));
        _handler = new PolicyDoor(engine, new PolicyDelegationOptions { TransactionTimeout = TimeSpan.FromMinutes(15) }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, _time);
    }

    private WindowTotals Window => _counters.Read(new CounterKey(CounterScope.Mailbox, 100), _time.GetUtcNow());

    [Fact]
    public void AnUnknownLoginIsDeferredAndNeverPassed()
    {
        var reply = Decide("RCPT", "i1", "nobody@acme.test", "x@example.net");
        Assert.StartsWith("action=451 4.7.1 Login nobody@acme.test is not provisioned", reply);
        Assert.Equal(0, _handler.OpenTransactions);
    }

    [Fact]
    public void AnUnknownLoginNeverFallsBackToTheSenderItClaims()
    {
        Assert.StartsWith("action=451 4.7.1", Decide("RCPT", "i1b", "nobody@acme.test", "x@example.net", sender: "ann@acme.test"));
    }

    [Fact]
    public void MailWithoutALoginFromAnUntrustedClientIsNotOurs()
    {
        Assert.Equal("action=DUNNO", Decide("RCPT", "i1c", string.Empty, "x@example.net", sender: "ann@acme.test"));
        Assert.Equal(0, _handler.OpenTransactions);
    }

    [Fact]
    public void EveryAcceptedRecipientIsReservedAtOnceAndCountedAtEndOfMessage()
    {
        Decide("RCPT", "i7", "ann@acme.test", "a@example.net");
        Decide("RCPT", "i7", "ann@acme.test", "b@example.net");
        Assert.Equal((2, 2), (Window.ExternalLastHour, Window.ReservedExternal));

        Decide("END-OF-MESSAGE", "i7", "ann@acme.test", string.Empty, recipientCount: 2);
        Assert.Equal((2, 0), (Window.ExternalLastHour, Window.ReservedExternal));
    }

    [Fact]
    public void AMessageWithoutEndOfMessageIsCountedAtTheTimeout()
    {
        foreach (var r in Enumerable.Range(0, 50))
        {
            Decide("RCPT", "i8", "ann@acme.test", $"r{r}@example.net");
        }

        _time.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(1, _handler.Sweep());
        Assert.Equal((50, 0), (Window.ExternalLastHour, Window.ReservedExternal));

        // A late END-OF-MESSAGE is not counted a second time.
        Assert.Equal("action=DUNNO", Decide("END-OF-MESSAGE", "i8", "ann@acme.test", string.Empty, recipientCount: 50));
        Assert.Equal(50, Window.ExternalLastHour);
    }

    [Fact]
    public void RecipientsALaterRestrictionRefusedAreGivenBack()
    {
        foreach (var r in Enumerable.Range(0, 10))
        {
            Decide("RCPT", "i9", "ann@acme.test", $"r{r}@example.net");
        }

        Decide("END-OF-MESSAGE", "i9", "ann@acme.test", string.Empty, recipientCount: 3);
        Assert.Equal((3, 0), (Window.ExternalLastHour, Window.ReservedExternal));
    }

    [Fact]
    public void RecipientBeyondCapGets452AndEndOfMessageFreesTheInstance()
    {
        for (var i = 1; i <= 200; i++)
        {
            Assert.Equal("action=DUNNO", Decide("RCPT", "i2", "ann@acme.test", $"r{i}@example.net"));
        }

        Assert.StartsWith("action=452 4.5.3 Too many recipients", Decide("RCPT", "i2", "ann@acme.test", "r201@example.net"));
        Assert.Equal(1, _handler.OpenTransactions);
        Assert.Equal("action=DUNNO", Decide("END-OF-MESSAGE", "i2", "ann@acme.test", string.Empty, recipientCount: 200));
        Assert.Equal(0, _handler.OpenTransactions);
    }

    [Fact]
    public void AnIdleTransactionIsCompletedAfterTheTimeout()
    {
        Decide("RCPT", "i3", "ann@acme.test", "r@example.net");
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, _handler.Sweep());
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(1, _handler.Sweep());
        Assert.Equal(0, _handler.OpenTransactions);
    }

    [Fact]
    public void SenderNotOwnedByTheLoginIsRefused()
    {
        Assert.StartsWith("action=553 5.7.1", Decide("RCPT", "i4", "ann@acme.test", "r@example.net", sender: "ceo@bank.test"));
    }

    [Fact]
    public void RecipientOfAnOpenMessageAllocatesNothing()
    {
        var first = Request("RCPT", "i5", "ann@acme.test", "r0@example.net");
        var next = Request("RCPT", "i5", "ann@acme.test", "r1@example.net");
        var end = Request("END-OF-MESSAGE", "i5", "ann@acme.test", string.Empty, recipientCount: 1);
        for (var i = 0; i < 1000; i++)
        {
            DecideNow(first);
            DecideNow(next);
            DecideNow(end);
        }

        // The warm-up filled the default windows: a refusal builds its text, the accept path is measured.
        _time.Advance(TimeSpan.FromDays(2));
        DecideNow(first);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            DecideNow(next);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("action=DUNNO", DecideNow(next).ToString());
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void AMessageAllocatesItsStateAndItsLogRecordOnly()
    {
        var first = Request("RCPT", "i6", "ann@acme.test", "r0@example.net");
        var next = Request("RCPT", "i6", "ann@acme.test", "r1@example.net");
        var end = Request("END-OF-MESSAGE", "i6", "ann@acme.test", string.Empty, recipientCount: 5);
        for (var i = 0; i < 1000; i++)
        {
            DecideNow(first);
            DecideNow(end);
        }

        _time.Advance(TimeSpan.FromDays(2));
        const int Messages = 20;
        // The least of three rounds: on PostgreSQL the log writer's flush sometimes runs on this thread
        // (seen once in CI at 1158 bytes), which is not the door's own allocation.
        var perMessage = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Messages; i++)
            {
                DecideNow(first);
                for (var r = 0; r < 4; r++)
                {
                    DecideNow(next);
                }

                DecideNow(end);
            }

            perMessage = Math.Min(perMessage, (GC.GetAllocatedBytesForCurrentThread() - before) / Messages);
        }

        Assert.Equal("action=DUNNO", DecideNow(next).ToString());
        // 747 bytes measured (2026-12-03; 683 before the destination domains and the subject): the
        // instance key, its PolicyTransaction and engine Transaction, the completion event, the
        // transaction log record and its channel slot; the five RCPT requests themselves allocate
        // nothing (the fifth notes its domain from the shared DomainNames).
        Assert.True(perMessage <= 800, $"{perMessage} bytes per message");
    }

    [Fact]
    public async Task AnEndedMessageIsWrittenToTheTransactionLog()
    {
        Decide("RCPT", "i10", "ann@acme.test", "a@example.net");
        Decide("RCPT", "i10", "ann@acme.test", "b@example.net");
        Assert.Equal("action=DUNNO", Decide("END-OF-MESSAGE", "i10", "ann@acme.test", string.Empty, recipientCount: 2));

        await _writer.DisposeAsync(); // writes what is queued
        await using var db = await _db.CreateDbContextAsync();
        var record = Assert.Single(await db.Transactions.AsNoTracking().ToListAsync());
        Assert.Equal(("policy", 100, "ann@acme.test", 2, 2, Outcome.Accepted), (record.FrontDoor, record.MailboxId, record.MailboxAddress, record.RecipientCount, record.ExternalRecipientCount, record.Verdict));
        Assert.Equal(_time.GetUtcNow(), record.Time);
    }

    public Task InitializeAsync() => FloodgateDb.InitializeAsync(_db);

    public async Task DisposeAsync()
    {
        await _writer.DisposeAsync();
        TestDatabases.Release(_folder);
    }

    /// <summary>One client, Acme, with one mailbox: ann@acme.test (mailbox 100, domain 10, client 1).</summary>
    internal static AccountDirectory Acme()
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
        return directory;
    }

    internal static PolicyRequest Request(string state, string instance, string login, string recipient, string? sender = null, int recipientCount = 0)
    {
        var text = $"request=smtpd_access_policy\nprotocol_state={state}\nprotocol_name=ESMTP\nclient_address=127.0.0.1\n" +
            $"instance={instance}\nsasl_method=PLAIN\nsasl_username={login}\nsender={sender ?? login}\nrecipient={recipient}\nrecipient_count={recipientCount}\nsize=500\n\n";
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)));
        var request = new PolicyRequest();
        Assert.True(PolicyRequestParser.TryParse(ref reader, request, out var error), error.ToString());
        return request;
    }

    // The in-process store answers at once: every decision here completes without waiting.
    private PolicyReply DecideNow(PolicyRequest request)
    {
        var pending = _handler.DecideAsync(request);
        Assert.True(pending.IsCompletedSuccessfully, "decided without waiting");
        return pending.Result;
    }

    private string Decide(string state, string instance, string login, string recipient, string? sender = null, int recipientCount = 0)
    {
        var text = $"request=smtpd_access_policy\nprotocol_state={state}\nprotocol_name=ESMTP\nclient_address=127.0.0.1\n" +
            $"instance={instance}\nsasl_method=PLAIN\nsasl_username={login}\nsender={sender ?? login}\nrecipient={recipient}\nrecipient_count={recipientCount}\nsize=500\n\n";
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)));
        var request = new PolicyRequest();
        Assert.True(PolicyRequestParser.TryParse(ref reader, request, out var error), error.ToString());
        return DecideNow(request).ToString();
    }

    internal sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now.UtcTicks;

        public void Advance(TimeSpan by) => _now += by;
    }
}
