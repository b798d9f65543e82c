using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Storage.Tests.Enforcement;

public sealed class OffenseRecordingTests : IAsyncLifetime
{
    private readonly EnforcementFixture _f = new();

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task AnOffenseNamingTwoMailboxesOfOneClientSuspendsBothInOneIncident()
    {
        var offense = _f.Offense(LadderStep.SuspendMailbox) with { OtherMailboxes = [new OffenseMailbox(_f.CarolId, _f.DomainId, "carol@acme.example")] };

        var recorded = await _f.Store.RecordOffenseAsync(offense, EnforcementFixture.Detector);

        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        var statuses = await db.Mailboxes.Where(m => m.Id == _f.BobId || m.Id == _f.CarolId).Select(m => m.Status).ToListAsync();
        Assert.All(statuses, s => Assert.Equal(AccountStatus.Suspended, s));
        Assert.Equal(2, await db.Suspensions.CountAsync(s => s.OffenseId == recorded.OffenseId));
        Assert.Equal(1, await db.Incidents.CountAsync());
        Assert.Equal(1, await db.ContactTasks.CountAsync());
        Assert.Equal(AccountStatus.Active, (await _f.StatusesAsync()).Domain);
    }

    [Fact]
    public async Task ASecondOffenseNamingTwoMailboxesOfOneDomainSuspendsTheDomainOnce()
    {
        var offense = _f.Offense(LadderStep.SuspendDomain) with { OtherMailboxes = [new OffenseMailbox(_f.CarolId, _f.DomainId, "carol@acme.example")] };

        var recorded = await _f.Store.RecordOffenseAsync(offense, EnforcementFixture.Detector);

        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        Assert.Equal(AccountScope.Domain, Assert.Single(await db.Suspensions.Where(s => s.OffenseId == recorded.OffenseId).ToListAsync()).Scope);
    }

    [Fact]
    public async Task AnOffenseRecordedTwiceUnderOneKeyIsWrittenOnce()
    {
        var offense = _f.Offense(LadderStep.SuspendMailbox) with { Key = Guid.NewGuid() };

        var first = await _f.Store.RecordOffenseAsync(offense, EnforcementFixture.Detector);
        var again = await _f.Store.RecordOffenseAsync(offense, EnforcementFixture.Detector);

        Assert.Equal(first.IncidentId, again.IncidentId);
        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        Assert.Equal(1, await db.Offenses.CountAsync());
        Assert.Equal(1, await db.Incidents.CountAsync());
    }

    [Fact]
    public async Task AnOffenseTheDatabaseCannotTakeInTimeIsJournaledAndWrittenAtTheNextStart()
    {
        var journal = Path.Combine(_f.Db.Directory, "offenses.journal");
        var offense = CoreOffense();

        // A store whose database is gone: the write fails, the journal keeps the offense.
        var broken = new EnforcementStore(FloodgateDb.CreateFactory("Data Source=/nonexistent/dir/floodgate.db"), _f.Db.Time, new ContactTaskOptions(), new DamagesOptions());
        await using (var recorder = new DurableOffenseRecorder(broken, journal, TimeProvider.System, NullLogger<DurableOffenseRecorder>.Instance, TimeSpan.FromSeconds(2), shutdownTimeout: TimeSpan.FromMilliseconds(200)))
        {
            await recorder.RecordAsync(offense, CancellationToken.None);
            Assert.False(recorder.IsStored(offense.Key));
        }

        Assert.Contains(offense.Key.ToString(), await File.ReadAllTextAsync(journal));

        // The next start, with the database back: the journal is written and emptied.
        await using var next = new DurableOffenseRecorder(_f.Store, journal, TimeProvider.System, NullLogger<DurableOffenseRecorder>.Instance);
        Assert.Equal(1, await next.ReplayAsync(CancellationToken.None));
        Assert.True(next.IsStored(offense.Key));
        Assert.False(File.Exists(journal));
        Assert.Equal(AccountStatus.Suspended, (await _f.StatusesAsync()).Mailbox);
    }

    [Fact]
    public async Task AnOffenseWrittenBeforeACrashIsNotWrittenAgainFromTheJournal()
    {
        var journal = Path.Combine(_f.Db.Directory, "offenses.journal");
        var offense = CoreOffense();
        await _f.Store.RecordOffenseAsync(DurableOffenseRecorder.ToNew(offense), EnforcementFixture.Detector);
        await File.WriteAllTextAsync(journal, System.Text.Json.JsonSerializer.Serialize(offense, EnforcementStore.EvidenceJson) + "\n");

        await using var recorder = new DurableOffenseRecorder(_f.Store, journal, TimeProvider.System, NullLogger<DurableOffenseRecorder>.Instance);
        await recorder.ReplayAsync(CancellationToken.None);

        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        Assert.Equal(1, await db.Offenses.CountAsync());
    }

    private Offense CoreOffense() => new(
        Guid.NewGuid(), _f.Now, _f.ClientId, [new OffenseMailbox(_f.BobId, _f.DomainId, "bob@acme.example")], LadderStep.SuspendMailbox, 2.0,
        EnforcementFixture.Signals(), EnforcementFixture.Evidence(_f.Now, _f.BobId), "mass mailing detected");
}
