using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Storage.Tests.Enforcement;

/// <summary>
/// Two serve nodes over one database, each wired as the host wires it: its own connection factory,
/// account directory loaded from the database, enforcement store, durable recorder and enforcement
/// service with the ladder loaded at start.
/// </summary>
public sealed class SharedLadderTests : IAsyncLifetime
{
    private const int Rounds = 5;
    private readonly EnforcementFixture _f = new();
    private readonly List<Node> _nodes = [];
    private readonly List<(int ClientId, int DomainId, int MailboxId)> _raceClients = [];

    public async Task InitializeAsync()
    {
        await _f.InitializeAsync();
        for (var i = 0; i < Rounds; i++)
        {
            var (clientId, domainId) = await _f.Db.AddClientWithDomainAsync($"Race {i}", $"race{i}.example");
            var mailbox = await _f.Db.Store.AddMailboxAsync(new NewMailbox($"run@race{i}.example"), TestDatabase.Actor);
            _raceClients.Add((clientId, domainId, mailbox.Id));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        await _f.DisposeAsync();
    }

    [Fact]
    public async Task AnOffenseRecordedByAnotherNodeCountsForTheNextStep()
    {
        var a = await NodeAsync("a");
        var b = await NodeAsync("b");

        var first = await a.RaiseAsync(_f.BobId, _f.Now);
        _f.Db.Time.Advance(TimeSpan.FromHours(1));
        var second = await b.RaiseAsync(_f.CarolId, _f.Now);

        Assert.Contains("mailbox bob@acme.example is suspended (1st offense", first.Text, StringComparison.Ordinal);
        Assert.Contains("domain acme.example is suspended (2nd offense", second.Text, StringComparison.Ordinal);
        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        Assert.Equal([LadderStep.SuspendMailbox, LadderStep.SuspendDomain],
            await db.Offenses.Where(o => o.ClientId == _f.ClientId).OrderBy(o => o.Id).Select(o => o.Step).ToListAsync());
        Assert.Equal(AccountStatus.Suspended, (await _f.StatusesAsync()).Domain);
        // Node B applied the recorded step at once, and learnt the client's history for its next offense.
        Assert.False(b.Mailbox(_f.CarolId).Domain.Status.IsActive);
        Assert.Equal(2, b.Enforcement.OffenseTimes(_f.ClientId).Count);
    }

    [Fact]
    public async Task TwoNodesCatchingOneMailboxAtOnceTakeOneStep()
    {
        var a = await NodeAsync("a");
        var b = await NodeAsync("b");

        foreach (var (clientId, domainId, mailboxId) in _raceClients)
        {
            var now = _f.Now;
            var verdicts = await Task.WhenAll(
                Task.Run(() => a.RaiseAsync(mailboxId, now)),
                Task.Run(() => b.RaiseAsync(mailboxId, now)));

            await using var db = await _f.Db.Factory.CreateDbContextAsync();
            var offense = Assert.Single(await db.Offenses.Where(o => o.ClientId == clientId).ToListAsync());
            Assert.Equal(LadderStep.SuspendMailbox, offense.Step);
            Assert.Equal(AccountStatus.Suspended, await db.Mailboxes.Where(m => m.Id == mailboxId).Select(m => m.Status).SingleAsync());
            Assert.Equal(AccountStatus.Active, await db.Domains.Where(d => d.Id == domainId).Select(d => d.Status).SingleAsync());
            Assert.Equal(1, await db.AuditEntries.CountAsync(e => e.Action == "offense.repeat" && e.TargetId == offense.Id));
            // Both replies name the step that was recorded.
            Assert.All(verdicts, v => Assert.Contains("is suspended (1st offense", v.Text, StringComparison.Ordinal));
            // Both written in time: neither lost a race to a busy database and fell back to its journal.
            Assert.All(_nodes, n => Assert.False(n.Journaled));
            _f.Db.Time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    [Fact]
    public async Task ADetectionAfterTheSuspensionWasLiftedIsTheNextStep()
    {
        var a = await NodeAsync("a");
        var b = await NodeAsync("b");
        await a.RaiseAsync(_f.BobId, _f.Now);
        await _f.Store.LiftAsync(AccountScope.Mailbox, _f.BobId, "the client cleaned up", TestDatabase.Actor);
        _f.Db.Time.Advance(TimeSpan.FromMinutes(1));

        var again = await b.RaiseAsync(_f.BobId, _f.Now);

        Assert.Contains("domain acme.example is suspended (2nd offense", again.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADetectionOfAMailboxSetActiveByHandIsTheNextStep()
    {
        // The suspension stays open (no lift), but the sender is active again: memory would count it, so does the database.
        var a = await NodeAsync("a");
        var b = await NodeAsync("b");
        await a.RaiseAsync(_f.BobId, _f.Now);
        await _f.Db.Store.SetStatusAsync(AccountScope.Mailbox, _f.BobId, AccountStatus.Active, null, TestDatabase.Actor);
        _f.Db.Time.Advance(TimeSpan.FromMinutes(1));

        var again = await b.RaiseAsync(_f.BobId, _f.Now);

        Assert.Contains("domain acme.example is suspended (2nd offense", again.Text, StringComparison.Ordinal);
    }

    private async Task<Node> NodeAsync(string name)
    {
        var node = await Node.StartAsync(_f.Db, Path.Combine(_f.Db.Directory, name + ".journal"));
        _nodes.Add(node);
        return node;
    }

    private sealed class Node : IAsyncDisposable
    {
        private readonly DurableOffenseRecorder _recorder;
        private readonly string _journal;

        private Node(AccountDirectory directory, EnforcementService enforcement, DurableOffenseRecorder recorder, string journal)
        {
            _journal = journal;
            Directory = directory;
            Enforcement = enforcement;
            _recorder = recorder;
        }

        public AccountDirectory Directory { get; }

        public EnforcementService Enforcement { get; }

        public static async Task<Node> StartAsync(TestDatabase db, string journal)
        {
            var ladder = new LadderOptions();
            var factory = FloodgateDb.CreateFactory(db.ConnectionString, db.Provider);
            var accounts = new AccountStore(factory, db.Hasher, db.Time);
            var store = new EnforcementStore(factory, db.Time, new ContactTaskOptions(), new DamagesOptions());
            var recorder = new DurableOffenseRecorder(store, journal, db.Time, NullLogger<DurableOffenseRecorder>.Instance, ladder: ladder);
            var directory = new AccountDirectory();
            var snapshot = await accounts.LoadDirectoryAsync();
            directory.Apply(snapshot.Clients, snapshot.DefaultPlan.Limits, snapshot.Version);
            var enforcement = new EnforcementService(directory, ladder, new PolicyOptions(), recorder, NullLogger<EnforcementService>.Instance);
            enforcement.Load(await store.LoadAllOffenseTimesAsync(db.Time.GetUtcNow() - ladder.LookBack));
            return new Node(directory, enforcement, recorder, journal);
        }

        public MailboxState Mailbox(int id) =>
            Directory.TryGetMailbox(id, out var mailbox) ? mailbox : throw new InvalidOperationException($"no mailbox {id}");

        public async Task<Verdict> RaiseAsync(int mailboxId, DateTimeOffset now)
        {
            var result = new DetectionResult(DetectionAction.Offense, 1.0, EnforcementFixture.Signals(), EnforcementFixture.Evidence(now, mailboxId), [], DetectionAction.Offense);
            return await Enforcement.RaiseOffenseAsync(Mailbox(mailboxId), result, now, CancellationToken.None);
        }

        // A journaled offense is appended to the file before it waits for the database.
        public bool Journaled => File.Exists(_journal);

        public ValueTask DisposeAsync() => _recorder.DisposeAsync();
    }
}
