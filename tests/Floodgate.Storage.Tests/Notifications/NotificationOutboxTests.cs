using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Notifications;
using Floodgate.Storage.Tests.Enforcement;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests.Notifications;

/// <summary>Every enforcement change writes its event in its own transaction; a refused change writes none.</summary>
public sealed class NotificationOutboxTests : IAsyncLifetime
{
    private readonly EnforcementFixture _f = new();

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    private static readonly IncidentReport Report = new(
        "A password stolen by phishing was used from a botnet.",
        "We reset the password and turned on two-factor sign-in.",
        "Bulk mail goes only through our opt-in list service.");

    [Fact]
    public async Task AnOffenseWritesTheSuspensionAndTheOpenedIncident()
    {
        var recorded = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);

        var events = await EventsAsync();
        Assert.Equal([NotificationTypes.MailboxSuspended, NotificationTypes.IncidentOpened], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(_f.ClientId, e.ClientId));
        Assert.NotEqual(events[0].EventId, events[1].EventId);
        var data = NotificationData.Parse(events[0].PayloadJson);
        Assert.Equal(("mailbox", _f.BobId, "bob@acme.example", "suspended"), (data.Targets![0].Kind, data.Targets[0].Id, data.Targets[0].Name, data.Targets[0].Status));
        Assert.Equal(("Acme", "Ann Contact", "+1 555 010 0100"), (data.Client!.Name, data.Client.Contact.Name, data.Client.Contact.Phone));
        Assert.Equal((3, 600, 2, 400), (data.Messages!.Count, data.Messages.Recipients, data.Messages.Relayed, data.Messages.RelayedRecipients));
        Assert.Equal(_f.Now.AddMinutes(-10), data.Messages.First);
        Assert.Equal("<3@acme.example>", data.Messages.Sample[0].MessageId);
        Assert.Equal(["repeat", "volume"], data.Offense!.Signals.Select(s => s.Rule));
        Assert.Equal((recorded.IncidentId, IncidentState.Open), (data.Incident!.Id, data.Incident.State));
        Assert.Equal(recorded.ContactTaskId, data.ContactTask!.Id);
        Assert.Equal(3, data.RequiredReport!.Count);
    }

    [Fact]
    public async Task TheThirdOffenseIsAClientTerminatedEventWithoutAReportToFile()
    {
        await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.TerminateClient), EnforcementFixture.Detector);

        var e = (await EventsAsync())[0];
        Assert.Equal(NotificationTypes.ClientTerminated, e.Type);
        var data = NotificationData.Parse(e.PayloadJson);
        Assert.Equal(("client", "terminated"), (data.Targets![0].Kind, data.Targets[0].Status));
        Assert.Null(data.RequiredReport);
    }

    [Fact]
    public async Task EachStepOfTheIncidentWritesItsEvent()
    {
        var id = (await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector)).IncidentId;

        await _f.Store.SubmitReportAsync(id, Report, "portal:ann");
        await _f.Store.ReturnReportAsync(id, "Which computers were cleaned?", "operator:alice");
        await _f.Store.SubmitReportAsync(id, Report, "portal:ann");
        await _f.Store.AcceptReportAsync(id, null, "operator:alice");
        await _f.Store.ReinstateAsync(id, "operator:alice");

        var events = await EventsAsync();
        Assert.Equal(
            [NotificationTypes.MailboxSuspended, NotificationTypes.IncidentOpened, NotificationTypes.IncidentReported, NotificationTypes.IncidentReturned,
             NotificationTypes.IncidentReported, NotificationTypes.IncidentAccepted, NotificationTypes.IncidentReinstated],
            events.Select(e => e.Type));
        var returned = NotificationData.Parse(events[3].PayloadJson);
        Assert.Equal(("Which computers were cleaned?", IncidentState.ReportReturned, IncidentState.ReportSubmitted),
            (returned.Incident!.Note, returned.Incident.State, returned.Incident.PreviousState));
        Assert.Equal("operator:alice", returned.Actor);
        Assert.Equal(Report.Mechanism, NotificationData.Parse(events[2].PayloadJson).Incident!.Report!.Mechanism);
        var reinstated = NotificationData.Parse(events[6].PayloadJson);
        Assert.Equal("lifted", reinstated.Targets![0].Status);
    }

    [Fact]
    public async Task ARefusedChangeWritesNoEvent()
    {
        var id = (await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector)).IncidentId;
        var before = (await EventsAsync()).Count;

        await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.ReinstateAsync(id, "operator:alice"));
        await Assert.ThrowsAsync<EnforcementException>(() => _f.Store.SuspendAsync(AccountScope.Mailbox, _f.BobId, "again", "operator:alice"));

        Assert.Equal(before, (await EventsAsync()).Count);
    }

    [Fact]
    public async Task AnOffenseWrittenTwiceAfterACrashAnnouncesItOnce()
    {
        var offense = _f.Offense(LadderStep.SuspendMailbox) with { Key = Guid.NewGuid() };

        await _f.Store.RecordOffenseAsync(offense, EnforcementFixture.Detector);
        await _f.Store.RecordOffenseAsync(offense, EnforcementFixture.Detector);

        Assert.Equal(2, (await EventsAsync()).Count);
    }

    [Fact]
    public async Task ASuspensionAndItsLiftingByHandAreAnnouncedAsTheOperatorsDoing()
    {
        await _f.Store.SuspendAsync(AccountScope.Domain, _f.DomainId, "phishing pages hosted", "operator:alice");
        await _f.Store.LiftAsync(AccountScope.Domain, _f.DomainId, "pages removed", "operator:alice");

        var events = await EventsAsync();
        Assert.Equal([NotificationTypes.DomainSuspended, NotificationTypes.DomainLifted], events.Select(e => e.Type));
        var suspended = NotificationData.Parse(events[0].PayloadJson);
        Assert.Equal(("operator", "operator:alice", "phishing pages hosted"), (suspended.Source, suspended.Actor, suspended.Reason));
        Assert.Equal(("domain", "acme.example"), (suspended.Targets![0].Kind, suspended.Targets[0].Name));
        Assert.Equal(_f.ClientId, events[0].ClientId);
        Assert.Equal("pages removed", NotificationData.Parse(events[1].PayloadJson).Reason);
    }

    [Fact]
    public async Task AnOverdueCallIsAnnouncedOnceAndACompletedOneNever()
    {
        var late = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);
        var called = await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox, _f.CarolId), EnforcementFixture.Detector);
        await _f.Store.RecordContactAsync(called.ContactTaskId, ContactOutcome.Reached, null, "operator:sam");
        await _f.Store.RecordContactAsync(late.ContactTaskId, ContactOutcome.NoAnswer, null, "operator:sam");
        _f.Db.Time.Advance(TimeSpan.FromHours(1));

        var first = await NotificationOutbox.AddOverdueContactTasksAsync(_f.Db.Factory, _f.Now, 100, default);
        var second = await NotificationOutbox.AddOverdueContactTasksAsync(_f.Db.Factory, _f.Now, 100, default);

        Assert.Equal((1, 0), (first, second));
        var overdue = Assert.Single(await EventsAsync(), e => e.Type == NotificationTypes.ContactTaskOverdue);
        var data = NotificationData.Parse(overdue.PayloadJson);
        Assert.Equal((late.ContactTaskId, late.IncidentId, 1), (data.ContactTask!.Id, data.ContactTask.IncidentId, data.ContactTask.Calls));
    }

    [Fact]
    public async Task FanOutMakesOneEmailAndOneDeliveryPerEndpointThatWantsTheType()
    {
        var store = new NotificationStore(_f.Db.Factory, _f.Db.Time);
        await store.AddEndpointAsync(new WebhookEndpointChange("https://tickets.example/hook", null, null), EnforcementFixture.Detector);
        await store.AddEndpointAsync(new WebhookEndpointChange("https://phones.example/hook", ["contact_task.*"], null), EnforcementFixture.Detector);
        await store.AddEndpointAsync(new WebhookEndpointChange("https://off.example/hook", null, null, Enabled: false), EnforcementFixture.Detector);
        await _f.Store.RecordOffenseAsync(_f.Offense(LadderStep.SuspendMailbox), EnforcementFixture.Detector);

        Assert.Equal(2, await store.FanOutAsync(email: true, limit: 100));
        Assert.Equal(0, await store.FanOutAsync(email: true, limit: 100));

        var deliveries = (await store.ListDeliveriesAsync(new DeliveryQuery())).Items.OrderBy(d => d.Id).ToList();
        Assert.Equal(
            [(NotificationTypes.MailboxSuspended, DeliveryChannel.Email), (NotificationTypes.MailboxSuspended, DeliveryChannel.Webhook), (NotificationTypes.IncidentOpened, DeliveryChannel.Webhook)],
            deliveries.Select(d => (d.Type, d.Channel)));
        Assert.Equal("ann@contact.example", deliveries[0].Recipient);
    }

    [Fact]
    public async Task ADeliveryTakenForSendingIsNotTakenAgainUntilItsLeaseEnds()
    {
        var store = new NotificationStore(_f.Db.Factory, _f.Db.Time);
        await _f.Store.SuspendAsync(AccountScope.Mailbox, _f.BobId, "test", "operator:alice");
        await store.FanOutAsync(email: true, limit: 100);
        var lease = TimeSpan.FromMinutes(2);

        var taken = await store.ClaimDueAsync(lease, 10);
        var again = await store.ClaimDueAsync(lease, 10);
        _f.Db.Time.Advance(lease + TimeSpan.FromSeconds(1));
        var afterTheLease = await store.ClaimDueAsync(lease, 10);

        Assert.Equal(DeliveryChannel.Email, Assert.Single(taken).Channel);
        Assert.Empty(again);
        Assert.Equal(taken[0].DeliveryId, Assert.Single(afterTheLease).DeliveryId);
        Assert.Equal(taken[0].EventId, afterTheLease[0].EventId);
    }

    private async Task<List<NotificationEvent>> EventsAsync()
    {
        await using var db = await _f.Db.Factory.CreateDbContextAsync();
        return await db.NotificationEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }
}
