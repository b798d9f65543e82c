using Floodgate.Core.Bounces;
using Floodgate.Core.Lists;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;

namespace Floodgate.Storage.Tests.Lists;

public sealed class ListStoreTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly HygieneOptions _hygiene = new();
    private ListStore _store = null!;
    private MailingList _list = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        _store = new ListStore(_db.Factory, _db.Time, _hygiene);
        var (clientId, _) = await _db.AddClientWithDomainAsync();
        await _db.Store.AddMailboxAsync(new NewMailbox("alice@acme.example", "a-long-password-1"), TestDatabase.Actor);
        _list = await _store.CreateListAsync(clientId, new NewList("news@acme.example", "Acme News", null, ["alice@acme.example"]), TestDatabase.Actor);
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    private async Task<ListMember> ConfirmedAsync(string address)
    {
        var request = await _store.RequestSubscriptionAsync(_list.Id, address, new ConsentSource("web", "192.0.2.7", "Firefox"));
        return (await _store.ConfirmAsync(request.Member.Id, new ConsentSource("web", "192.0.2.8", "Firefox")))!;
    }

    private static BounceReport Failure(string recipient, BounceReason reason, string status, bool hard) =>
        new(BounceKind.Failure, [new FailedRecipient(recipient, status, reason, hard, "remote said no", "mx.example.org", null, null)], null);

    private Task<BounceOutcome> BounceAsync(ListMember member, BounceReason reason, string status, bool hard) =>
        _store.RecordBounceAsync(new BounceIntake("test", null, "raw bounce"u8.ToArray(), Failure(member.Address, reason, status, hard), _list.Id, member.Id));

    [Fact]
    public async Task ARequestIsPendingUntilConfirmedAndKeepsItsConsentRecord()
    {
        var request = await _store.RequestSubscriptionAsync(_list.Id, "Bob@Example.org", new ConsentSource("web", "192.0.2.7", "Firefox"));
        Assert.True(request.SendConfirmation);
        Assert.Equal(MemberStatus.Pending, request.Member.Status);
        Assert.Empty(await _store.ConfirmedMembersAsync(_list.Id, 0, 10));

        _db.Time.Advance(TimeSpan.FromMinutes(5));
        var member = await _store.ConfirmAsync(request.Member.Id, new ConsentSource("email", "bob@example.org", null));
        Assert.NotNull(member);
        Assert.Equal(MemberStatus.Confirmed, member.Status);
        Assert.Equal("bob@example.org", member.Address);
        Assert.Equal("web", member.RequestMethod);
        Assert.Equal("192.0.2.7", member.RequestFrom);
        Assert.Equal("Firefox", member.RequestUserAgent);
        Assert.Equal(_db.Time.GetUtcNow(), member.ConfirmedAt);
        Assert.Equal("email", member.ConfirmMethod);
        Assert.Single(await _store.ConfirmedMembersAsync(_list.Id, 0, 10));
        var history = await _store.MemberHistoryAsync(member.Id);
        Assert.Equal([MemberEvents.Requested, MemberEvents.Confirmed], history.Select(e => e.Kind));
    }

    [Fact]
    public async Task AskingAgainWhilePendingResendsAtMostOnceADay()
    {
        var first = await _store.RequestSubscriptionAsync(_list.Id, "bob@example.org", new ConsentSource("web", "192.0.2.7", null));
        await _store.MarkConfirmationSentAsync(first.Member.Id, "sent");
        Assert.False((await _store.RequestSubscriptionAsync(_list.Id, "bob@example.org", new ConsentSource("web", "192.0.2.7", null))).SendConfirmation);
        _db.Time.Advance(ListStore.ConfirmationInterval);
        Assert.True((await _store.RequestSubscriptionAsync(_list.Id, "bob@example.org", new ConsentSource("web", "192.0.2.7", null))).SendConfirmation);
    }

    [Fact]
    public async Task AnUnsubscribedMemberCannotBeReconfirmedByAnOldLink()
    {
        var member = await ConfirmedAsync("bob@example.org");
        await _store.UnsubscribeAsync(member.Id, new ConsentSource("one-click", "192.0.2.9", null));
        Assert.Null(await _store.ConfirmAsync(member.Id, new ConsentSource("web", "192.0.2.9", null)));
        Assert.Equal(MemberStatus.Unsubscribed, (await _store.GetMemberAsync(member.Id))!.Status);
        Assert.Empty(await _store.ConfirmedMembersAsync(_list.Id, 0, 10));
    }

    [Fact]
    public async Task AnImportPutsEveryoneInPendingAndNeverConfirmsThem()
    {
        await ConfirmedAsync("bob@example.org");
        var result = await _store.ImportAsync(_list.Id, ["carol@example.net", "BOB@example.org", "not an address", "dave@example.com", "carol@example.net"], "crm-export-2026", TestDatabase.Actor);
        Assert.Equal(2, result.Added);
        Assert.Equal(1, result.AlreadyMembers);
        Assert.Equal(["not an address"], result.Invalid);
        var carol = (await _store.FindMemberAsync(_list.Id, "carol@example.net"))!;
        Assert.Equal(MemberStatus.Pending, carol.Status);
        Assert.Equal("import", carol.RequestMethod);
        Assert.Equal("crm-export-2026", carol.RequestFrom);
        Assert.Single(await _store.ConfirmedMembersAsync(_list.Id, 0, 10));
    }

    [Fact]
    public async Task PendingRequestsArePrunedAfterTheListsLifetime()
    {
        var confirmed = await ConfirmedAsync("bob@example.org");
        await _store.RequestSubscriptionAsync(_list.Id, "carol@example.net", new ConsentSource("web", null, null));
        _db.Time.Advance(TimeSpan.FromHours(_list.PendingLifetimeHours) - TimeSpan.FromMinutes(1));
        Assert.Equal(0, await _store.PrunePendingAsync());
        _db.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await _store.PrunePendingAsync());
        Assert.Null(await _store.FindMemberAsync(_list.Id, "carol@example.net"));
        Assert.NotNull(await _store.GetMemberAsync(confirmed.Id));
    }

    [Fact]
    public async Task HardBouncesDisableThenRemoveAMember()
    {
        var member = await ConfirmedAsync("gone@example.org");
        var days = (int)Math.Ceiling(_hygiene.DisableScore / _hygiene.HardWeight);
        BounceOutcome outcome = null!;
        for (var day = 0; day < days; day++)
        {
            outcome = await BounceAsync(member, BounceReason.UserUnknown, "5.1.1", hard: true);
            _db.Time.Advance(TimeSpan.FromDays(1));
        }

        Assert.Equal(HygieneAction.Disable, Assert.Single(outcome.Changes).Action);
        Assert.Equal(MemberStatus.Disabled, (await _store.GetMemberAsync(member.Id))!.Status);
        Assert.Empty(await _store.ConfirmedMembersAsync(_list.Id, 0, 10));

        _db.Time.Advance(_hygiene.RemoveAfterDisabled - TimeSpan.FromDays(2));
        Assert.Equal(0, await _store.SweepHygieneAsync());
        _db.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await _store.SweepHygieneAsync());
        var removed = (await _store.GetMemberAsync(member.Id))!;
        Assert.Equal(MemberStatus.Removed, removed.Status);
        Assert.Contains(await _store.MemberHistoryAsync(member.Id), e => e.Kind == MemberEvents.Removed);
    }

    [Fact]
    public async Task ManyHardBouncesOnOneDayCountOnce()
    {
        var member = await ConfirmedAsync("gone@example.org");
        for (var i = 0; i < 10; i++)
            await BounceAsync(member, BounceReason.UserUnknown, "5.1.1", hard: true);
        var after = (await _store.GetMemberAsync(member.Id))!;
        Assert.Equal(_hygiene.HardWeight, after.BounceScore);
        Assert.Equal(MemberStatus.Confirmed, after.Status);
    }

    [Fact]
    public async Task SoftBouncesGoStaleAndNeverDisableWhenSpreadOut()
    {
        var member = await ConfirmedAsync("full@example.org");
        for (var i = 0; i < 20; i++)
        {
            await BounceAsync(member, BounceReason.MailboxFull, "4.2.2", hard: false);
            _db.Time.Advance(_hygiene.StaleAfter + TimeSpan.FromDays(1));
        }

        var after = (await _store.GetMemberAsync(member.Id))!;
        Assert.Equal(MemberStatus.Confirmed, after.Status);
        Assert.Equal(_hygiene.SoftWeight, after.BounceScore);
    }

    [Fact]
    public async Task APolicyRefusalNeverMovesAMembersScore()
    {
        var member = await ConfirmedAsync("bob@example.org");
        foreach (var (reason, status) in new[] { (BounceReason.Blocked, "5.7.1"), (BounceReason.SpamDetected, "5.7.1"), (BounceReason.BadReputation, "5.7.1"), (BounceReason.PolicyViolation, "5.7.0") })
        {
            for (var day = 0; day < 5; day++)
            {
                var outcome = await BounceAsync(member, reason, status, hard: false);
                Assert.Equal(BounceImpact.Sender, Assert.Single(outcome.Changes).Impact);
                _db.Time.Advance(TimeSpan.FromDays(1));
            }
        }

        var after = (await _store.GetMemberAsync(member.Id))!;
        Assert.Equal(0, after.BounceScore);
        Assert.Equal(MemberStatus.Confirmed, after.Status);
    }

    [Fact]
    public async Task AComplaintUnsubscribesTheMember()
    {
        var member = await ConfirmedAsync("angry@example.org");
        var report = new BounceReport(BounceKind.Feedback, [new FailedRecipient(member.Address, "", BounceReason.Feedback, false, "", null, "abuse", null)], null);
        var outcome = await _store.RecordBounceAsync(new BounceIntake("test", null, "arf"u8.ToArray(), report, _list.Id, member.Id));
        Assert.True(Assert.Single(outcome.Changes).Unsubscribed);
        var after = (await _store.GetMemberAsync(member.Id))!;
        Assert.Equal(MemberStatus.Unsubscribed, after.Status);
        Assert.Equal("complaint", after.UnsubscribeMethod);
    }

    [Fact]
    public async Task ABounceWithNoRecognisableRecipientIsKeptAndChangesNobody()
    {
        var member = await ConfirmedAsync("bob@example.org");
        var raw = "this is not a bounce at all"u8.ToArray();
        var outcome = await _store.RecordBounceAsync(new BounceIntake("test", "news+bounces@acme.example", raw, BounceReport.Malformed("no report"), _list.Id, null));
        Assert.Empty(outcome.Changes);
        Assert.Equal("malformed", outcome.Kind);
        var kept = (await _store.GetBounceMessageAsync(outcome.BounceMessageId))!;
        Assert.Equal(raw, kept.Raw);
        Assert.Equal(0, (await _store.GetMemberAsync(member.Id))!.BounceScore);
    }

    [Fact]
    public async Task AHugeBounceIsKeptCutToTheLimit()
    {
        var member = await ConfirmedAsync("bob@example.org");
        var raw = new byte[BounceMessage.MaxRawBytes + 5000];
        var outcome = await BounceAsync(member, BounceReason.UserUnknown, "5.1.1", true);
        var big = await _store.RecordBounceAsync(new BounceIntake("test", null, raw, BounceReport.Malformed("too big"), _list.Id, null));
        var kept = (await _store.GetBounceMessageAsync(big.BounceMessageId))!;
        Assert.True(kept.Truncated);
        Assert.Equal(BounceMessage.MaxRawBytes, kept.Raw.Length);
        Assert.Equal(raw.Length, kept.Size);
        Assert.NotEqual(outcome.BounceMessageId, big.BounceMessageId);
    }

    [Fact]
    public async Task AVerpBounceNamesItsMemberEvenWhenTheReportedAddressDiffers()
    {
        var member = await ConfirmedAsync("bob@example.org");
        var report = Failure("bob.forwarded@elsewhere.example", BounceReason.UserUnknown, "5.1.1", true);
        var outcome = await _store.RecordBounceAsync(new BounceIntake("test", null, "x"u8.ToArray(), report, _list.Id, member.Id));
        Assert.Equal(member.Id, Assert.Single(outcome.Changes).MemberId);
    }

    [Fact]
    public async Task AListAddressMustBeOnTheClientsOwnDomain()
    {
        var other = await _db.Store.AddClientAsync(new NewClient("Other", "Olga", "+1 555 010 0101", "olga@other.example"), TestDatabase.Actor);
        var error = await Assert.ThrowsAsync<AccountException>(() =>
            _store.CreateListAsync(other.Id, new NewList("spam@acme.example", "Not theirs", null, []), TestDatabase.Actor));
        Assert.Equal(AccountError.Invalid, error.Error);
    }

    [Fact]
    public async Task APosterMustBeAMailboxOfTheClient()
    {
        var error = await Assert.ThrowsAsync<AccountException>(() =>
            _store.UpdateListAsync(_list.Id, new ListChange(Posters: ["mallory@evil.example"]), TestDatabase.Actor));
        Assert.Contains("mallory@evil.example", error.Message);
    }
}
