using Floodgate.Core.Policy;
using System.Diagnostics;
using Floodgate.Storage.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests;

public sealed class TransactionLogTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    private static TransactionRecord Record(int i, DateTimeOffset? time = null, Outcome verdict = Outcome.Accepted, string mailbox = "bob@acme.example") => new()
    {
        Time = time ?? T0.AddSeconds(i),
        MailboxId = 1,
        MailboxAddress = mailbox,
        DomainId = 2,
        ClientId = 3,
        ClientAddress = "192.0.2.10",
        FrontDoor = "smtp",
        EnvelopeSender = mailbox,
        RecipientCount = 5,
        ExternalRecipientCount = 4,
        SizeBytes = 1234,
        MessageId = $"<{i}@acme.example>",
        Verdict = verdict,
        VerdictCode = verdict == Outcome.Accepted ? "250 2.0.0" : "550 5.7.1",
        TotalMicros = 900,
    };

    private async Task<int> CountAsync()
    {
        await using var db = await _db.Factory.CreateDbContextAsync();
        return await db.Transactions.CountAsync();
    }

    [Fact]
    public async Task ATimeWithAnotherOffsetIsStoredAndQueriedAsTheSameInstant()
    {
        // PostgreSQL's timestamptz takes only UTC from Npgsql; SQLite keeps Unix milliseconds.
        var plusTwo = new DateTimeOffset(2025, 3, 1, 14, 0, 5, TimeSpan.FromHours(2));
        var writer = new TransactionLogWriter(_db.Factory);
        Assert.True(writer.TryWrite(Record(1, plusTwo)));
        await writer.DisposeAsync();

        var found = await new TransactionLog(_db.Factory).QueryAsync(new TransactionQuery(Since: T0.ToOffset(TimeSpan.FromHours(-5))));

        Assert.Equal(T0.AddSeconds(5), Assert.Single(found).Time);
    }

    [Fact]
    public async Task DisposeFlushesWhatIsQueued()
    {
        var writer = new TransactionLogWriter(_db.Factory);
        for (var i = 0; i < 10; i++)
            Assert.True(writer.TryWrite(Record(i)));

        await writer.DisposeAsync();

        Assert.Equal(10, await CountAsync());
        Assert.Equal(10, writer.Written);
        Assert.False(writer.TryWrite(Record(11)));
    }

    [Fact]
    public async Task EveryFieldReadsBackAsWritten()
    {
        // Times are kept as Unix milliseconds (UTC): FloodgateDbContext's convention.
        var written = Record(1, T0.AddMilliseconds(123), Outcome.Held);
        written.RecipientDomains = "example.net,example.org";
        written.VerdictReason = "mass-mail";
        written.UpstreamReply = "250 2.0.0 Ok: queued";
        written.Fingerprint = [1, 2, 3, 250];
        written.PolicyMicros = 11;
        written.RelayMicros = 22;
        await using (var writer = new TransactionLogWriter(_db.Factory))
            Assert.True(writer.TryWrite(written));

        await using var db = await _db.Factory.CreateDbContextAsync();
        var read = await db.Transactions.AsNoTracking().SingleAsync();
        Assert.True(read.Id > 0);
        read.Id = written.Id;
        Assert.Equivalent(written, read, strict: true);
    }

    [Fact]
    public async Task RecordsAreWrittenInBatchesOfAtMost500()
    {
        var factory = new GatedFactory(_db.Factory);
        var writer = new TransactionLogWriter(factory);
        for (var i = 0; i < 1200; i++)
            writer.TryWrite(Record(i));
        factory.Open();

        await writer.DisposeAsync();

        Assert.Equal(1200, await CountAsync());
        Assert.InRange(factory.Contexts, 3, 4);
        Assert.All(factory.BatchSizes, size => Assert.InRange(size, 1, 500));
    }

    [Fact]
    public async Task FullQueueDropsInsteadOfBlocking()
    {
        var factory = new GatedFactory(_db.Factory);
        var writer = new TransactionLogWriter(factory, new TransactionLogWriterOptions { Capacity = 10, MaxBatchSize = 5 });
        var clock = Stopwatch.StartNew();
        var accepted = 0;
        for (var i = 0; i < 1000; i++)
            accepted += writer.TryWrite(Record(i)) ? 1 : 0;
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"TryWrite took {clock.Elapsed}");
        Assert.InRange(accepted, 10, 15);
        Assert.Equal(1000 - accepted, writer.Dropped);
        factory.Open();
        await writer.DisposeAsync();
        Assert.Equal(accepted, await CountAsync());
    }

    [Fact]
    public async Task DatabaseErrorsAreRetriedNotFatal()
    {
        var factory = new GatedFactory(_db.Factory, failures: 2);
        factory.Open();
        var writer = new TransactionLogWriter(factory, new TransactionLogWriterOptions { FirstRetryDelay = TimeSpan.FromMilliseconds(10) });
        writer.TryWrite(Record(1));

        await writer.DisposeAsync();

        Assert.Equal(2, writer.Failures);
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task QueryFiltersNewestFirst()
    {
        await using (var writer = new TransactionLogWriter(_db.Factory))
        {
            writer.TryWrite(Record(1));
            writer.TryWrite(Record(2, verdict: Outcome.Rejected));
            writer.TryWrite(Record(3, mailbox: "eve@acme.example"));
            writer.TryWrite(Record(4));
        }

        var log = new TransactionLog(_db.Factory);

        Assert.Equal(["<4@acme.example>", "<3@acme.example>", "<2@acme.example>", "<1@acme.example>"],
            (await log.QueryAsync(new TransactionQuery())).Select(t => t.MessageId));
        Assert.Equal(["<4@acme.example>", "<2@acme.example>"],
            (await log.QueryAsync(new TransactionQuery(Since: T0.AddSeconds(2), Mailbox: "BOB@acme.example"))).Select(t => t.MessageId));
        Assert.Equal(["<2@acme.example>"],
            (await log.QueryAsync(new TransactionQuery(Verdict: Outcome.Rejected))).Select(t => t.MessageId));
        Assert.Single(await log.QueryAsync(new TransactionQuery(Limit: 1)));
    }

    [Fact]
    public async Task LoadSinceReturnsSlimRowsOldestFirst()
    {
        await using (var writer = new TransactionLogWriter(_db.Factory))
        {
            writer.TryWrite(Record(1, T0.AddDays(-2)));
            writer.TryWrite(Record(2, T0.AddHours(-1).AddMilliseconds(5)));
            writer.TryWrite(Record(3, T0.AddHours(-23)));
        }

        var rows = await new TransactionLog(_db.Factory).LoadSinceAsync(T0.AddDays(-1));

        Assert.Equal([T0.AddHours(-23), T0.AddHours(-1).AddMilliseconds(5)], rows.Select(r => r.Time));
        Assert.All(rows, r => Assert.Equal((1, 2, 3, 5, 4), (r.MailboxId!.Value, r.DomainId!.Value, r.ClientId!.Value, r.Recipients, r.ExternalRecipients)));
    }

    /// <summary>Holds every batch until opened; counts contexts (one per batch attempt); can fail the first attempts.</summary>
    private sealed class GatedFactory(IDbContextFactory<FloodgateDbContext> inner, int failures = 0) : IDbContextFactory<FloodgateDbContext>
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _failures = failures;

        public int Contexts { get; private set; }

        public List<int> BatchSizes { get; } = [];

        public void Open() => _gate.TrySetResult();

        public FloodgateDbContext CreateDbContext() => throw new NotSupportedException();

        public async Task<FloodgateDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
        {
            await _gate.Task.WaitAsync(cancellationToken);
            Contexts++;
            if (_failures-- > 0)
                throw new InvalidOperationException("database is down");
            var db = await inner.CreateDbContextAsync(cancellationToken);
            db.SavingChanges += (_, _) => BatchSizes.Add(db.ChangeTracker.Entries<TransactionRecord>().Count());
            return db;
        }
    }
}
