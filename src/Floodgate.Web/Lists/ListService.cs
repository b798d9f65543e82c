using Floodgate.Core.Lists;
using Floodgate.Core.Policy;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Microsoft.Extensions.Logging;

namespace Floodgate.Web.Lists;

/// <summary>What a signed link did, for the page that answers it.</summary>
public enum LinkResult
{
    Done,
    AlreadyDone,
    Invalid,
    Expired,
    NotApplicable,
}

/// <summary>
/// The list service's actions, whichever way they arrive (web form, API, mail to a list address,
/// CLI): subscription by confirmed opt-in, unsubscribe, bounces and their hygiene. The store keeps
/// the facts; this adds the tokens and the mail.
/// </summary>
public sealed partial class ListService(ListStore store, ListMailer mailer, ListLinks links, BounceInbox inbox, BounceReputation reputation, TimeProvider time, ILogger<ListService> logger)
{
    public ListStore Store => store;

    public ListLinks Links => links;

    public BounceReputation Reputation => reputation;

    /// <summary>A request to join: pending, and a confirmation sent unless one went out lately. Never list content.</summary>
    public async Task<SubscriptionResult> RequestAsync(int listId, string address, ConsentSource source, CancellationToken cancellationToken = default)
    {
        var result = await store.RequestSubscriptionAsync(listId, address, source, cancellationToken).ConfigureAwait(false);
        if (result.SendConfirmation)
            await SendConfirmationAsync(listId, result.Member, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public async Task<ImportResult> ImportAsync(int listId, IEnumerable<string> addresses, string source, string actor, CancellationToken cancellationToken = default)
    {
        var result = await store.ImportAsync(listId, addresses, source, actor, cancellationToken).ConfigureAwait(false);
        foreach (var member in result.ToConfirm)
            await SendConfirmationAsync(listId, member, cancellationToken).ConfigureAwait(false);
        return result;
    }

    // A request sends its confirmation at once and the server's loop sends what is still owed: one
    // sender at a time, each checking the member afresh, so nobody is sent the same message twice.
    private readonly SemaphoreSlim _sending = new(1, 1);

    private async Task<bool> SendConfirmationAsync(int listId, ListMember member, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fresh = await store.GetMemberAsync(member.Id, cancellationToken).ConfigureAwait(false);
            if (fresh is not { Status: MemberStatus.Pending } || fresh.ConfirmationsSent != member.ConfirmationsSent)
                return false;
            var list = await store.GetListAsync(listId, cancellationToken).ConfigureAwait(false);
            var sent = await mailer.SendConfirmationAsync(list, fresh, cancellationToken).ConfigureAwait(false);
            var reply = $"{sent.Code} {sent.EnhancedCode} {sent.Text}";
            if (sent.Outcome == Outcome.Accepted)
            {
                await store.MarkConfirmationSentAsync(member.Id, "confirmation sent: " + reply, cancellationToken).ConfigureAwait(false);
                return true;
            }

            if (sent.Outcome == Outcome.Rejected)
            {
                // Refused in the dialogue: no MTA writes a bounce for it, so the refusal is taken in as
                // one (a hard one removes the pending member; nothing more is sent to a dead address).
                var bounceAddress = links.BounceAddress(list, member.Id);
                await inbox.IngestAsync(RefusalReport.Create(list.Address, bounceAddress, fresh.Address, sent, time.GetUtcNow()), "relay", bounceAddress, cancellationToken).ConfigureAwait(false);
            }

            // A deferred one stays due (the loop tries again); asking again also sends another.
            ListLog.ConfirmationNotSent(logger, member.Address, list.Address, reply);
            return false;
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task<bool> SendReenableAsync(MailingList list, ListMember member, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fresh = await store.GetMemberAsync(member.Id, cancellationToken).ConfigureAwait(false);
            if (fresh is not { Status: MemberStatus.Disabled, ReenableSentAt: null })
                return false;
            if ((await mailer.SendReenableAsync(list, fresh, cancellationToken).ConfigureAwait(false)).Outcome != Outcome.Accepted)
                return false;
            await store.RecordReenableSentAsync(member.Id, cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _sending.Release();
        }
    }

    public async Task<(LinkResult Result, ListMember? Member)> ConfirmAsync(string token, ConsentSource source, CancellationToken cancellationToken = default)
    {
        var check = links.Tokens.Verify(token, TokenPurpose.Confirm, time.GetUtcNow(), out var memberId);
        if (check != TokenCheck.Valid)
            return (check == TokenCheck.Expired ? LinkResult.Expired : LinkResult.Invalid, null);
        var before = await store.GetMemberAsync(memberId, cancellationToken).ConfigureAwait(false);
        if (before is null)
            return (LinkResult.Invalid, null);
        if (before.Status == MemberStatus.Confirmed)
            return (LinkResult.AlreadyDone, before);
        var member = await store.ConfirmAsync(memberId, source, cancellationToken).ConfigureAwait(false);
        return member is null ? (LinkResult.NotApplicable, before) : (LinkResult.Done, member);
    }

    /// <summary>The member named by a valid token, without acting: for the page that shows the button.</summary>
    public async Task<(LinkResult Result, ListMember? Member, MailingList? List)> PeekAsync(string token, TokenPurpose purpose, CancellationToken cancellationToken = default)
    {
        var check = links.Tokens.Verify(token, purpose, time.GetUtcNow(), out var memberId);
        if (check != TokenCheck.Valid)
            return (check == TokenCheck.Expired ? LinkResult.Expired : LinkResult.Invalid, null, null);
        var member = await store.GetMemberAsync(memberId, cancellationToken).ConfigureAwait(false);
        if (member is null)
            return (LinkResult.Invalid, null, null);
        return (LinkResult.Done, member, await store.GetListAsync(member.ListId, cancellationToken).ConfigureAwait(false));
    }

    public async Task<(LinkResult Result, ListMember? Member)> UnsubscribeAsync(string token, ConsentSource source, CancellationToken cancellationToken = default)
    {
        var check = links.Tokens.Verify(token, TokenPurpose.Unsubscribe, time.GetUtcNow(), out var memberId);
        if (check != TokenCheck.Valid)
            return (check == TokenCheck.Expired ? LinkResult.Expired : LinkResult.Invalid, null);
        var before = await store.GetMemberAsync(memberId, cancellationToken).ConfigureAwait(false);
        if (before is null)
            return (LinkResult.Invalid, null);
        if (before.Status == MemberStatus.Unsubscribed)
            return (LinkResult.AlreadyDone, before);
        return (LinkResult.Done, await store.UnsubscribeAsync(memberId, source, cancellationToken).ConfigureAwait(false));
    }

    public async Task<(LinkResult Result, ListMember? Member)> ReenableAsync(string token, ConsentSource source, CancellationToken cancellationToken = default)
    {
        var check = links.Tokens.Verify(token, TokenPurpose.Reenable, time.GetUtcNow(), out var memberId);
        if (check != TokenCheck.Valid)
            return (check == TokenCheck.Expired ? LinkResult.Expired : LinkResult.Invalid, null);
        var member = await store.ReenableAsync(memberId, source, cancellationToken).ConfigureAwait(false);
        return member is null ? (LinkResult.NotApplicable, null) : (LinkResult.Done, member);
    }

    /// <summary>
    /// A bounce or complaint, from LMTP, HTTP or the CLI. <paramref name="envelopeRecipient"/> is the
    /// address it came to: a VERP address names its member (when its token is genuine) and its list.
    /// It is kept whatever it is, so nothing received is lost; its effects follow the hygiene rules.
    /// </summary>
    /// <param name="refreshReputation">False for a caller that takes in many at once (a post's refusals) and refreshes once after.</param>
    public async Task<BounceOutcome> IngestBounceAsync(ReadOnlyMemory<byte> raw, string source, string? envelopeRecipient, CancellationToken cancellationToken = default, bool refreshReputation = true)
    {
        var outcome = await inbox.IngestAsync(raw, source, envelopeRecipient, cancellationToken).ConfigureAwait(false);
        if (outcome.Changes.Any(c => c.Action == HygieneAction.Disable))
            await SendDueNoticesAsync(cancellationToken).ConfigureAwait(false);
        if (refreshReputation)
            await reputation.RefreshAsync(cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>
    /// Sends what members are owed (<see cref="ListStore.NoticesDueAsync"/>): confirmations of requests
    /// made where no mail could be sent (the CLI), re-enable links of members just disabled. A failed
    /// send stays due and is tried on the next pass.
    /// </summary>
    public async Task<int> SendDueNoticesAsync(CancellationToken cancellationToken = default)
    {
        var sent = 0;
        foreach (var member in await store.NoticesDueAsync(100, cancellationToken).ConfigureAwait(false))
        {
            var list = await store.GetListAsync(member.ListId, cancellationToken).ConfigureAwait(false);
            if (list.Status != ListStatus.Active)
                continue;
            var done = member.Status == MemberStatus.Pending
                ? await SendConfirmationAsync(list.Id, member, cancellationToken).ConfigureAwait(false)
                : await SendReenableAsync(list, member, cancellationToken).ConfigureAwait(false);
            if (done)
                sent++;
        }

        return sent;
    }

    public Task SendUnsubscribeLinkAsync(MailingList list, ListMember member, CancellationToken cancellationToken = default) =>
        mailer.SendUnsubscribeLinkAsync(list, member, cancellationToken);

    /// <summary>Prunes pending requests past their list's lifetime and removes members disabled too long.</summary>
    public async Task<(int Pruned, int Removed)> MaintainAsync(CancellationToken cancellationToken = default)
    {
        var pruned = await store.PrunePendingAsync(cancellationToken).ConfigureAwait(false);
        var removed = await store.SweepHygieneAsync(cancellationToken).ConfigureAwait(false);
        return (pruned, removed);
    }
}

internal static partial class ListLog
{
    [LoggerMessage(1, LogLevel.Warning, "List {List}: the confirmation to {Address} was not sent: {Reply}; the member stays pending")]
    public static partial void ConfirmationNotSent(ILogger logger, string address, string list, string reply);

    [LoggerMessage(2, LogLevel.Information, "List {List}: post {PostId} done: {Sent} sent, {Failed} refused by the upstream")]
    public static partial void PostDone(ILogger logger, string list, long postId, int sent, int failed);

    [LoggerMessage(3, LogLevel.Warning, "List {List}: post {PostId} waits until {Until}: {Why}")]
    public static partial void PostWaits(ILogger logger, string list, long postId, DateTimeOffset until, string why);

    [LoggerMessage(4, LogLevel.Error, "List delivery failed; it resumes from the last saved member")]
    public static partial void DeliveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "List {List}: post {PostId} stopped: {Why}")]
    public static partial void PostStopped(ILogger logger, string list, long postId, string why);
}
