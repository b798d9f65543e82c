using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Core.Tests.Policy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Core.Tests.Enforcement;

public sealed class EnforcementServiceTests
{
    private readonly PolicyFixture _f = new();
    private readonly Recorder _recorder = new();

    [Fact]
    public async Task ACampaignWithSeveralMailboxesOfOneClientIsOneStepOfItsLadder()
    {
        var service = Service();
        var ann = _f.Mailbox("ann@acme.test");

        var verdict = await service.RaiseOffenseAsync(ann, Campaign(101, 200), _f.Time.GetUtcNow(), CancellationToken.None);

        Assert.Equal(550, verdict.Code);
        var acme = Assert.Single(_recorder.Offenses, o => o.ClientId == 1);
        Assert.Equal(LadderStep.SuspendMailbox, acme.Step);
        Assert.Equal(["ann@acme.test", "bob@acme.test"], acme.Mailboxes.Select(m => m.Address));
        Assert.Equal(AccountStatus.Suspended, _f.Mailbox("bob@acme.test").Status.Status);
        Assert.True(ann.Domain.Status.IsActive);
        Assert.Single(service.OffenseTimes(1));
    }

    [Fact]
    public async Task EachOtherClientOfACampaignTakesAStepOfItsOwn()
    {
        var service = Service();
        await service.RaiseOffenseAsync(_f.Mailbox("ann@acme.test"), Campaign(101, 200), _f.Time.GetUtcNow(), CancellationToken.None);

        var other = Assert.Single(_recorder.Offenses, o => o.ClientId == 2);
        Assert.Equal(["olga@other.test"], other.Mailboxes.Select(m => m.Address));
        Assert.Equal(AccountStatus.Suspended, _f.Mailbox("olga@other.test").Status.Status);
    }

    [Fact]
    public async Task TheVerdictWaitsUntilTheOffenseIsDurable()
    {
        _recorder.Gate = new TaskCompletionSource();
        var service = Service();
        var pending = service.RaiseOffenseAsync(_f.Mailbox("ann@acme.test"), Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);

        Assert.False(pending.IsCompleted);
        // The suspension applies at once in every session, before the write completes.
        Assert.False(_f.Mailbox("ann@acme.test").Status.IsActive);
        _recorder.Gate.SetResult();
        Assert.Equal(550, (await pending).Code);
    }

    [Fact]
    public async Task ASecondDetectionOfTheSameClientSuspendsItsDomain()
    {
        var service = Service();
        await service.RaiseOffenseAsync(_f.Mailbox("ann@acme.test"), Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);
        _f.Time.Advance(TimeSpan.FromHours(1));
        await service.RaiseOffenseAsync(_f.Mailbox("bob@acme.test"), Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);

        Assert.Equal(LadderStep.SuspendDomain, _recorder.Offenses[^1].Step);
        Assert.False(_f.Mailbox("bob@acme.test").Domain.Status.IsActive);
    }

    [Fact]
    public async Task AStatusNotYetStoredSurvivesADirectoryReload()
    {
        var service = Service();
        await service.RaiseOffenseAsync(_f.Mailbox("ann@acme.test"), Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);
        _f.Directory.Apply(_f.Clients, new PlanLimits(), 2);
        Assert.True(_f.Mailbox("ann@acme.test").Status.IsActive);

        service.ReapplyPending();
        Assert.False(_f.Mailbox("ann@acme.test").Status.IsActive);

        _recorder.Stored.Add(_recorder.Offenses[0].Key);
        _f.Directory.Apply(_f.Clients, new PlanLimits(), 3);
        service.ReapplyPending();
        Assert.True(_f.Mailbox("ann@acme.test").Status.IsActive);
    }

    [Fact]
    public async Task ADetectionOfAMailboxItsClientsOffenseJustSuspendedTakesNoStep()
    {
        // Two sessions of one run: the second passed its status check before the first's offense.
        var service = Service();
        var ann = _f.Mailbox("ann@acme.test");
        await service.RaiseOffenseAsync(ann, Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);
        _f.Time.Advance(TimeSpan.FromSeconds(1));

        var again = await service.RaiseOffenseAsync(ann, Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);

        Assert.Contains("mailbox ann@acme.test is suspended (1st offense", again.Text, StringComparison.Ordinal);
        Assert.True(_recorder.Offenses[^1].Repeat);
        Assert.Equal(LadderStep.SuspendMailbox, _recorder.Offenses[^1].Step);
        Assert.Single(service.OffenseTimes(1));
        Assert.True(ann.Domain.Status.IsActive);
    }

    [Fact]
    public async Task ADetectionAfterTheRepeatWindowIsTheNextStep()
    {
        var service = Service();
        var ann = _f.Mailbox("ann@acme.test");
        await service.RaiseOffenseAsync(ann, Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);
        _f.Time.Advance(new LadderOptions().RepeatWindow + TimeSpan.FromSeconds(1));

        var again = await service.RaiseOffenseAsync(ann, Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);

        Assert.Contains("domain acme.test is suspended (2nd offense", again.Text, StringComparison.Ordinal);
        Assert.False(_recorder.Offenses[^1].Repeat);
    }

    [Fact]
    public async Task TheRecordedStepWinsOverMemorysAndTheReplyNamesIt()
    {
        // Another process recorded an offense of the client an hour ago; this one had not heard of it.
        var earlier = _f.Time.GetUtcNow().AddHours(-1);
        _recorder.Answer = o => new RecordedStep(LadderStep.SuspendDomain, false, [earlier, o.At]);
        var service = Service();
        var ann = _f.Mailbox("ann@acme.test");

        var verdict = await service.RaiseOffenseAsync(ann, Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);

        Assert.Contains("domain acme.test is suspended (2nd offense", verdict.Text, StringComparison.Ordinal);
        Assert.Equal(LadderStep.SuspendMailbox, _recorder.Offenses[^1].Step);
        Assert.False(ann.Domain.Status.IsActive);
        Assert.Contains("2nd offense", ann.Domain.Status.Reason, StringComparison.Ordinal);
        Assert.Equal(2, service.OffenseTimes(1).Count);
        // The mailbox's own suspension was memory's guess: the next poll reloads the directory.
        Assert.Equal(-1, _f.Directory.Version);
    }

    [Fact]
    public async Task ARepeatTheDatabaseFoundTakesNoStepInMemoryEither()
    {
        _recorder.Answer = _ => new RecordedStep(LadderStep.SuspendMailbox, true, []);
        var service = Service();

        var verdict = await service.RaiseOffenseAsync(_f.Mailbox("ann@acme.test"), Campaign(), _f.Time.GetUtcNow(), CancellationToken.None);

        Assert.Contains("mailbox ann@acme.test is suspended (1st offense", verdict.Text, StringComparison.Ordinal);
        Assert.Empty(service.OffenseTimes(1));
        Assert.Equal(-1, _f.Directory.Version);
    }

    private EnforcementService Service() =>
        new(_f.Directory, new LadderOptions(), new PolicyOptions(), _recorder, NullLogger<EnforcementService>.Instance);

    private static DetectionResult Campaign(params int[] others) => new(
        DetectionAction.Offense, 2.0, [new Signal("campaign", 2.0, RuleMode.Enforce, "the same content")], [], others, DetectionAction.Offense);

    private sealed class Recorder : IOffenseRecorder
    {
        public List<Offense> Offenses { get; } = [];

        public HashSet<Guid> Stored { get; } = [];

        public TaskCompletionSource? Gate { get; set; }

        /// <summary>What the database decided; null: memory's step.</summary>
        public Func<Offense, RecordedStep>? Answer { get; set; }

        public async Task<RecordedStep> RecordAsync(Offense offense, CancellationToken cancellationToken)
        {
            Offenses.Add(offense);
            if (Gate is { } gate)
                await gate.Task;
            return Answer?.Invoke(offense) ?? RecordedStep.AsDecided(offense);
        }

        public bool IsStored(Guid key) => Stored.Contains(key);
    }
}
