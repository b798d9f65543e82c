using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests.Enforcement;

public sealed class EnforcementStoreTests : IAsyncLifetime
{
    private readonly EnforcementFixture _f = new();

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task FirstOffenseSuspendsTheMailboxWithAllItsRecords()
    {
        var version = await _f.StateVersionAsync();
        var auditBefore = await _f.LastAuditIdAsync();

        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);

        Assert.Equal((AccountStatus.Suspended, AccountStatus.Active, AccountStatus.Active), await _f.StatusesAsync());
        Assert.Equal(version + 1, await _f.StateVersionAsync());
        Assert.True(recorded.StatusChanged);
        Assert.Equal((AccountScope.Mailbox, _f.BobId), (recorded.Scope, recorded.TargetId));
        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        var offense = await db.Offenses.SingleAsync();
        Assert.Equal((recorded.IncidentId, "detector", LadderStep.SuspendMailbox), (offense.IncidentId!.Value, offense.Source, offense.Step));
        var suspension = await db.Suspensions.SingleAsync();
        Assert.Equal((AccountScope.Mailbox, _f.BobId, "bob@acme.example", AccountStatus.Suspended, offense.Id), (suspension.Scope, suspension.TargetId, suspension.TargetName, suspension.Status, suspension.OffenseId!.Value));
        var incident = await db.Incidents.SingleAsync();
        Assert.Equal((IncidentState.Open, offense.Id, _f.ClientId), (incident.State, incident.OffenseId, incident.ClientId));
        var task = await db.ContactTasks.SingleAsync();
        Assert.Equal(("Ann Contact", "+1 555 010 0100", incident.Id), (task.ContactName, task.ContactPhone, task.IncidentId));
        Assert.Equal(
            ["mailbox.status", "offense.record", "suspension.start", "incident.open", "contact-task.open"],
            await _f.AuditActionsSinceAsync(auditBefore));
    }

    [Fact]
    public async Task SecondOffenseSuspendsTheDomain()
    {
        var version = await _f.StateVersionAsync();

        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendDomain), EnforcementFixture.Detector);

        Assert.Equal((AccountStatus.Active, AccountStatus.Suspended, AccountStatus.Active), await _f.StatusesAsync());
        Assert.Equal(version + 1, await _f.StateVersionAsync());
        Assert.Equal((AccountScope.Domain, _f.DomainId), (recorded.Scope, recorded.TargetId));
        var detail = await _f.Store.GetIncidentAsync(recorded.IncidentId);
        Assert.Equal("acme.example", Assert.Single(detail.Suspensions).TargetName);
    }

    [Fact]
    public async Task ThirdOffenseTerminatesTheClient()
    {
        var version = await _f.StateVersionAsync();

        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.TerminateClient), EnforcementFixture.Detector);

        Assert.Equal((AccountStatus.Active, AccountStatus.Active, AccountStatus.Terminated), await _f.StatusesAsync());
        Assert.Equal(version + 1, await _f.StateVersionAsync());
        Assert.Equal(AccountStatus.Terminated, Assert.Single((await _f.Store.GetIncidentAsync(recorded.IncidentId)).Suspensions).Status);
    }

    [Fact]
    public async Task OffenseOnAnAlreadySuspendedMailboxIsRecordedWithoutAStatusChange()
    {
        await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        var version = await _f.StateVersionAsync();

        var second = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);

        Assert.False(second.StatusChanged);
        Assert.Equal(version, await _f.StateVersionAsync());
        Assert.Equal(2, (await _f.Store.LoadOffenseTimesAsync(_f.ClientId)).Count);
    }

    [Fact]
    public async Task OffenseTimesLoadPerClientAndSinceAGivenTime()
    {
        await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        var first = _f.Now;
        _f.Db.Time.Advance(TimeSpan.FromDays(2));
        await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendDomain, _f.CarolId), EnforcementFixture.Detector);

        var all = await _f.Store.LoadAllOffenseTimesAsync(first.AddDays(1));

        Assert.Equal([first, first.AddDays(2)], await _f.Store.LoadOffenseTimesAsync(_f.ClientId));
        Assert.Equal([first.AddDays(2)], all[_f.ClientId]);
        Assert.Equal(LadderStep.TerminateClient, Ladder.StepFor(await _f.Store.LoadOffenseTimesAsync(_f.ClientId), _f.Now, new LadderOptions()));
    }

    [Fact]
    public async Task ContactTaskIsDueFifteenMinutesAfterTheOffenseAndOverdueOnlyAfterThat()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        var at = _f.Now;

        var task = Assert.Single(await _f.Store.ListContactTasksAsync());
        _f.Db.Time.Advance(TimeSpan.FromMinutes(14));
        var at14 = Assert.Single(await _f.Store.ListContactTasksAsync());
        _f.Db.Time.Advance(TimeSpan.FromMinutes(2));
        var at16 = Assert.Single(await _f.Store.ListContactTasksAsync());

        Assert.Equal(at.AddMinutes(15), task.DueAt);
        Assert.Equal(recorded.ContactTaskId, task.Id);
        Assert.False(at14.IsOverdue);
        Assert.True(at16.IsOverdue);
    }

    [Fact]
    public async Task NoAnswerKeepsTheTaskOpenAndReachedClosesItAndMarksTheIncidentContacted()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        _f.Db.Time.Advance(TimeSpan.FromMinutes(16));

        var afterNoAnswer = await _f.Store.RecordContactAsync(recorded.ContactTaskId, ContactOutcome.NoAnswer, "voicemail full", "cli:support");
        var stateAfterNoAnswer = (await _f.Store.GetIncidentAsync(recorded.IncidentId)).Incident.State;
        var afterReached = await _f.Store.RecordContactAsync(recorded.ContactTaskId, ContactOutcome.Reached, "Ann will send the report", "cli:support");

        Assert.True(afterNoAnswer.IsOverdue);
        Assert.Null(afterNoAnswer.DoneAt);
        Assert.Equal(IncidentState.Open, stateAfterNoAnswer);
        Assert.False(afterReached.IsOverdue);
        Assert.Equal((ContactOutcome.Reached, _f.Now), (afterReached.Outcome!.Value, afterReached.DoneAt!.Value));
        Assert.Equal([ContactOutcome.NoAnswer, ContactOutcome.Reached], afterReached.Attempts.Select(a => a.Outcome));
        Assert.Empty(await _f.Store.ListContactTasksAsync(openOnly: true));
        Assert.Equal(IncidentState.Contacted, (await _f.Store.GetIncidentAsync(recorded.IncidentId)).Incident.State);
        var done = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.RecordContactAsync(recorded.ContactTaskId, ContactOutcome.Reached, null, "cli:support"));
        Assert.Equal(EnforcementError.Conflict, done.Error);
    }

    [Fact]
    public async Task ReportMissingAPartIsRefusedNamingThePart()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);

        var ex = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.SubmitReportAsync(
            recorded.IncidentId, EnforcementFixture.GoodReport with { ClientPolicy = " " }, "portal:acme"));

        Assert.Equal(EnforcementError.Invalid, ex.Error);
        Assert.Contains("mass-mailing policy", Assert.Single(ex.Details), StringComparison.Ordinal);
        Assert.Contains("mass-mailing policy", ex.Message, StringComparison.Ordinal);
        Assert.Equal(IncidentState.Open, (await _f.Store.GetIncidentAsync(recorded.IncidentId)).Incident.State);
    }

    [Fact]
    public async Task ReinstateIsRefusedBeforeTheReportIsAccepted()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        await _f.Store.SubmitReportAsync(recorded.IncidentId, EnforcementFixture.GoodReport, "portal:acme");

        var ex = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.ReinstateAsync(recorded.IncidentId, TestDatabase.Actor));

        Assert.Equal(EnforcementError.Conflict, ex.Error);
        Assert.Contains("cannot reinstate an incident that is report submitted", ex.Message, StringComparison.Ordinal);
        Assert.Equal(AccountStatus.Suspended, (await _f.StatusesAsync()).Mailbox);
    }

    [Fact]
    public async Task ReinstateAfterAcceptLiftsTheSuspension()
    {
        var recorded = await _f.AcceptedAsync(LadderStep.SuspendMailbox);
        var version = await _f.StateVersionAsync();

        var incident = await _f.Store.ReinstateAsync(recorded.IncidentId, TestDatabase.Actor);

        Assert.Equal(IncidentState.Reinstated, incident.State);
        Assert.Equal(AccountStatus.Active, (await _f.StatusesAsync()).Mailbox);
        Assert.Equal(version + 1, await _f.StateVersionAsync());
        var suspension = Assert.Single((await _f.Store.GetIncidentAsync(recorded.IncidentId)).Suspensions);
        Assert.Equal((_f.Now, TestDatabase.Actor), (suspension.LiftedAt!.Value, suspension.LiftedBy!));
    }

    [Fact]
    public async Task ReturnedReportCanBeResubmitted()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        await _f.Store.SubmitReportAsync(recorded.IncidentId, EnforcementFixture.GoodReport, "portal:acme");

        var returned = await _f.Store.ReturnReportAsync(recorded.IncidentId, "say which plugin version", TestDatabase.Actor);
        var resubmitted = await _f.Store.SubmitReportAsync(recorded.IncidentId, EnforcementFixture.GoodReport, "portal:acme");

        Assert.Equal(IncidentState.ReportReturned, returned.State);
        Assert.Equal(IncidentState.ReportSubmitted, resubmitted.State);
    }

    [Fact]
    public async Task TerminationIncidentCannotBeReinstatedOnlyClosed()
    {
        var recorded = await _f.AcceptedAsync(LadderStep.TerminateClient);

        var ex = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.ReinstateAsync(recorded.IncidentId, TestDatabase.Actor));
        var closed = await _f.Store.CloseAsync(recorded.IncidentId, "terminated per policy", TestDatabase.Actor);

        Assert.Equal(EnforcementError.Conflict, ex.Error);
        Assert.Contains("cannot be reinstated", ex.Message, StringComparison.Ordinal);
        Assert.Equal(IncidentState.Closed, closed.State);
        Assert.Equal(AccountStatus.Terminated, (await _f.StatusesAsync()).Client);
    }

    [Fact]
    public async Task DamagesArePiecesOfRelayedEvidenceTimesThreeDollars()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);

        var damages = await _f.Store.GetDamagesAsync(recorded.IncidentId);

        Assert.Equal(400, damages.Pieces);
        Assert.Equal(200, damages.NotRelayedAttempts);
        Assert.Equal(1200.00m, damages.Total);
        Assert.Equal("Acme", damages.ClientName);
        Assert.Equal(["<1@acme.example>", "<2@acme.example>", "<3@acme.example>"], damages.Lines.Select(l => l.MessageId));
        Assert.Equal("held", damages.Lines[2].Outcome);
        Assert.Contains("Total due: 1200.00 USD", damages.ToText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IncidentDetailParsesTheEvidenceAndOrdersTheTimeline()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        _f.Db.Time.Advance(TimeSpan.FromMinutes(20));
        await _f.Store.RecordContactAsync(recorded.ContactTaskId, ContactOutcome.LeftMessage, "left a message with the office", "cli:support");
        _f.Db.Time.Advance(TimeSpan.FromHours(3));
        await _f.Store.SubmitReportAsync(recorded.IncidentId, EnforcementFixture.GoodReport, "portal:acme");
        _f.Db.Time.Advance(TimeSpan.FromHours(1));
        await _f.Store.AcceptReportAsync(recorded.IncidentId, null, TestDatabase.Actor);
        await _f.Store.ReinstateAsync(recorded.IncidentId, TestDatabase.Actor);

        var detail = await _f.Store.GetIncidentAsync(recorded.IncidentId);

        Assert.Equal(2, detail.Offense.Signals.Count);
        Assert.Equal("repeat", detail.Offense.Signals[0].Rule);
        Assert.Equal(3, detail.Offense.Evidence.Count);
        Assert.Equal(detail.Timeline.OrderBy(e => e.At).Select(e => e.At), detail.Timeline.Select(e => e.At));
        var whats = detail.Timeline.Select(e => e.What).ToList();
        Assert.StartsWith("offense detected", whats[0], StringComparison.Ordinal);
        Assert.True(whats.FindIndex(w => w.Contains("due", StringComparison.Ordinal)) < whats.FindIndex(w => w.StartsWith("call: LeftMessage", StringComparison.Ordinal)));
        Assert.Equal("reinstated", whats[^1]);
        Assert.Contains("report submitted", whats);
        Assert.Contains(whats, w => w.StartsWith("suspension of mailbox bob@acme.example lifted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListIncidentsFiltersOpenOnesAndFlagsOverdueContact()
    {
        var first = await _f.AcceptedAsync(LadderStep.SuspendMailbox);
        await _f.Store.ReinstateAsync(first.IncidentId, TestDatabase.Actor);
        var second = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendDomain, _f.CarolId), EnforcementFixture.Detector);
        _f.Db.Time.Advance(TimeSpan.FromMinutes(30));

        var open = await _f.Store.ListIncidentsAsync(new IncidentQuery(OpenOnly: true));
        var reinstated = await _f.Store.ListIncidentsAsync(new IncidentQuery(State: IncidentState.Reinstated));

        var only = Assert.Single(open);
        Assert.Equal((second.IncidentId, "carol@acme.example", true), (only.Id, only.MailboxAddress, only.ContactOverdue));
        Assert.Equal(first.IncidentId, Assert.Single(reinstated).Id);
    }

    [Fact]
    public async Task ManualSuspendAndLiftAreAuditedAndBumpTheVersion()
    {
        var version = await _f.StateVersionAsync();
        var auditBefore = await _f.LastAuditIdAsync();

        var suspended = await _f.Store.SuspendAsync(AccountScope.Domain, _f.DomainId, "complaints from a blocklist operator", TestDatabase.Actor);
        var again = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.SuspendAsync(AccountScope.Domain, _f.DomainId, "again", TestDatabase.Actor));
        var lifted = await _f.Store.LiftAsync(AccountScope.Domain, _f.DomainId, "the client fixed its list", TestDatabase.Actor);
        var noReason = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.SuspendAsync(AccountScope.Domain, _f.DomainId, " ", TestDatabase.Actor));

        Assert.Equal((AccountStatus.Active, AccountStatus.Suspended), (suspended.From, suspended.To));
        Assert.Equal(EnforcementError.Conflict, again.Error);
        Assert.Equal(EnforcementError.Invalid, noReason.Error);
        Assert.Equal(AccountStatus.Active, lifted.To);
        Assert.Equal(AccountStatus.Active, (await _f.StatusesAsync()).Domain);
        Assert.Equal(version + 2, await _f.StateVersionAsync());
        Assert.Equal(["domain.status", "suspension.start", "domain.status", "suspension.lift"], await _f.AuditActionsSinceAsync(auditBefore));
        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        var record = await db.Suspensions.SingleAsync();
        Assert.Equal(("the client fixed its list", TestDatabase.Actor, (long?)null), (record.LiftReason!, record.LiftedBy!, record.OffenseId));
    }

    [Fact]
    public async Task LiftingATerminationIsAllowedOnlyForAClientAndAuditedLoudly()
    {
        await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.TerminateClient), EnforcementFixture.Detector);
        await _f.Db.Store.SetStatusAsync(AccountScope.Mailbox, _f.BobId, AccountStatus.Terminated, "by hand", TestDatabase.Actor);
        var auditBefore = await _f.LastAuditIdAsync();

        var mailbox = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.LiftAsync(AccountScope.Mailbox, _f.BobId, "mistake", TestDatabase.Actor));
        await _f.Store.LiftAsync(AccountScope.Client, _f.ClientId, "the board overruled the termination", TestDatabase.Actor);

        Assert.Equal(EnforcementError.Conflict, mailbox.Error);
        Assert.Equal(AccountStatus.Active, (await _f.StatusesAsync()).Client);
        Assert.Equal(["client.status", "client.termination-lifted", "suspension.lift"], await _f.AuditActionsSinceAsync(auditBefore));
    }

    [Fact]
    public async Task TransitionsAreRefusedWithTheTablesMessage()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);

        var accept = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.AcceptReportAsync(recorded.IncidentId, null, TestDatabase.Actor));
        var missing = await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.CloseAsync(999, "x", TestDatabase.Actor));

        Assert.Equal("Incident 1: cannot accept the report of an incident that is open.", accept.Message);
        Assert.Equal(EnforcementError.NotFound, missing.Error);
    }
}
