using Floodgate.Core.Lists;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Content;
using Floodgate.Storage.Lists;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;

namespace Floodgate.Web.Lists;

/// <summary>
/// Delivers queued posts, one copy per confirmed member (VERP: each copy's envelope sender names its
/// member, so a bounce names whom it is about). Each copy goes through the engine as a transaction
/// of the poster's mailbox, so list mail counts in its mailbox, domain and client windows and stops
/// at once on a suspension; a full window or a deferring upstream pauses the post, which resumes
/// from the last member saved (also after a restart). Members are read a page at a time and one copy
/// is in memory at a time: a post to 100,000 members runs in bounded memory. Also runs the
/// maintenance (pruning pending requests, removing long-disabled members) on its interval.
/// </summary>
public sealed class ListDelivery(
    ListService service,
    ListDirectory directory,
    PolicyEngine engine,
    IMessageRelay relay,
    MessageSpool spool,
    ListOptions options,
    TimeProvider time,
    ILogger<ListDelivery> logger) : BackgroundService
{
    /// <summary>How long a post waits after a full window or a deferring upstream before it tries again.</summary>
    public static readonly TimeSpan RetryWait = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _wake = new(0);

    // One post at a time, whoever asks (the loop, a test): two runners would send a member two copies.
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly Dictionary<string, DkimSigner> _signers = LoadSigners(options);
    private DateTimeOffset _nextMaintenance;
    private bool _subscribed;

    /// <summary>A post was queued: deliver it now rather than at the next poll.</summary>
    public void Poke()
    {
        if (_wake.CurrentCount == 0)
            _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_subscribed)
        {
            directory.Queued += Poke;
            _subscribed = true;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await directory.RefreshAsync(stoppingToken).ConfigureAwait(false);
                await MaintainIfDueAsync(stoppingToken).ConfigureAwait(false);
                await service.SendDueNoticesAsync(stoppingToken).ConfigureAwait(false);
                while (await RunOnceAsync(stoppingToken).ConfigureAwait(false))
                {
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ListLog.DeliveryFailed(logger, ex);
            }

            try
            {
                await _wake.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task MaintainIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < _nextMaintenance)
            return;
        _nextMaintenance = now + options.MaintenanceInterval;
        await service.MaintainAsync(cancellationToken).ConfigureAwait(false);
        await service.Reputation.RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Delivers the next due post as far as it goes; false when none was due.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var post = await service.Store.NextPostAsync(cancellationToken).ConfigureAwait(false);
            if (post is null)
                return false;
            await DeliverAsync(post, cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task DeliverAsync(ListPost post, CancellationToken cancellationToken)
    {
        var store = service.Store;
        var list = await store.GetListAsync(post.ListId, cancellationToken).ConfigureAwait(false);
        if (list.Status != ListStatus.Active)
        {
            await StopAsync(post, list, post.LastMemberId, post.Sent, post.Failed, "the list is closed", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!engine.Directory.TryGetMailbox(post.MailboxId, out var mailbox))
        {
            // A mailbox just added reaches the directory at its next refresh; one never removed is not deleted.
            await WaitAsync(post, list, post.LastMemberId, post.Sent, post.Failed, "the poster's mailbox is not in the account directory yet", cancellationToken).ConfigureAwait(false);
            return;
        }

        MimeMessage message;
        using (var raw = new MemoryStream(post.Raw, writable: false))
            message = await MimeMessage.LoadAsync(raw, cancellationToken).ConfigureAwait(false);
        var domain = list.Address[(list.Address.IndexOf('@') + 1)..];
        var identity = new ListIdentity(list.Name, list.Address, list.Address.Replace('@', '.'));
        var copies = new ListPostCopies(message, identity, _signers.GetValueOrDefault(domain));
        var transaction = engine.Open(Door.List);
        int lastId = post.LastMemberId, sent = post.Sent, failed = post.Failed;
        using var buffer = new MemoryStream();
        while (true)
        {
            var page = await store.ConfirmedMembersAsync(list.Id, lastId, options.DeliveryPageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
                break;
            var next = 0;
            while (next < page.Count)
            {
                // One transaction per batch within the plan's recipient cap, as a client would send it:
                // one message and its recipients in the windows, one row in the transaction log. Each
                // member's copy is still its own envelope (VERP).
                var verdict = await transaction.BeginAsync(mailbox, mailbox.Address, post.Raw.Length, cancellationToken: cancellationToken).ConfigureAwait(false);
                var batchStart = next;
                while (verdict.IsAccept && next < page.Count)
                {
                    var added = await transaction.AddRecipientAsync(page[next].Address, cancellationToken).ConfigureAwait(false);
                    if (!added.IsAccept)
                    {
                        verdict = added.Reason == PolicyReasons.RecipientCap && next > batchStart ? Verdict.Accept : added;
                        break;
                    }

                    next++;
                }

                if (next == batchStart || (!verdict.IsAccept && verdict.Outcome != Outcome.Deferred))
                {
                    // Nothing could be added, or a suspension or refusal of the sender: nothing of this batch goes.
                    transaction.Abandon();
                    if (verdict.Outcome == Outcome.Deferred || verdict.IsAccept)
                        await WaitAsync(post, list, lastId, sent, failed, verdict.ToString(), cancellationToken).ConfigureAwait(false);
                    else
                        await StopAsync(post, list, lastId, sent, failed, verdict.ToString(), cancellationToken).ConfigureAwait(false);
                    return;
                }

                var batchSent = 0;
                RelayResult? deferred = null;
                for (var i = batchStart; i < next; i++)
                {
                    var (memberId, address) = page[i];
                    buffer.SetLength(0);
                    copies.WriteCopy(service.Links.For(list, memberId, address), buffer);
                    var bounceAddress = service.Links.BounceAddress(list, memberId);
                    var result = await SendAsync(bounceAddress, address, buffer, cancellationToken).ConfigureAwait(false);
                    if (result.Outcome == Outcome.Deferred)
                    {
                        deferred = result;
                        break;
                    }

                    if (result.Outcome == Outcome.Accepted)
                    {
                        batchSent++;
                        sent++;
                    }
                    else
                    {
                        failed++;
                        // Refused in the dialogue (550 5.1.1 at RCPT): no MTA will write a bounce, so the
                        // refusal is taken in as one, or a dead address would be mailed for ever.
                        var report = RefusalReport.Create(list.Address, bounceAddress, address, result, time.GetUtcNow());
                        await service.IngestBounceAsync(report, "relay", bounceAddress, cancellationToken, refreshReputation: false).ConfigureAwait(false);
                    }

                    lastId = memberId;
                }

                if (batchSent > 0)
                {
                    transaction.LimitRecipients(batchSent);
                    transaction.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
                }
                else
                {
                    transaction.Complete(deferred is null ? Outcome.Rejected : Outcome.Deferred, deferred is { } d ? $"{d.Code} {d.EnhancedCode}" : "550",
                        deferred is null ? PolicyReasons.UpstreamRejected : PolicyReasons.UpstreamDeferred, deferred?.Text);
                }

                if (deferred is { } late)
                {
                    await WaitAsync(post, list, lastId, sent, failed, "the upstream deferred: " + late.Text, cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (!verdict.IsAccept)
                {
                    // A window filled part-way through the batch: what was added went; the rest waits.
                    await WaitAsync(post, list, lastId, sent, failed, verdict.ToString(), cancellationToken).ConfigureAwait(false);
                    return;
                }

                // After each batch: a restart resends at most one batch's copies.
                await store.SavePostProgressAsync(post.Id, lastId, sent, failed, PostStatus.Sending, null, null, cancellationToken).ConfigureAwait(false);
            }
        }

        await store.SavePostProgressAsync(post.Id, lastId, sent, failed, PostStatus.Done, null, null, cancellationToken).ConfigureAwait(false);
        if (failed > post.Failed)
            await service.Reputation.RefreshAsync(cancellationToken).ConfigureAwait(false);
        ListLog.PostDone(logger, list.Address, post.Id, sent, failed);
    }

    private async Task<RelayResult> SendAsync(string sender, string recipient, MemoryStream copy, CancellationToken cancellationToken)
    {
        MessageContent content;
        using (var writer = spool.Begin())
        {
            if (!writer.Append(copy.GetBuffer().AsSpan(0, (int)copy.Length)))
                return new RelayResult(Outcome.Deferred, 452, "4.3.1", "the message spool is full");
            content = writer.Complete();
        }

        using (content)
            return await relay.SendAsync(sender, [recipient], content, cancellationToken).ConfigureAwait(false);
    }

    private async Task WaitAsync(ListPost post, MailingList list, int lastId, int sent, int failed, string why, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + RetryWait;
        await service.Store.SavePostProgressAsync(post.Id, lastId, sent, failed, PostStatus.Sending, until, why, cancellationToken).ConfigureAwait(false);
        ListLog.PostWaits(logger, list.Address, post.Id, until, why);
    }

    private async Task StopAsync(ListPost post, MailingList list, int lastId, int sent, int failed, string why, CancellationToken cancellationToken)
    {
        await service.Store.SavePostProgressAsync(post.Id, lastId, sent, failed, PostStatus.Stopped, null, why, cancellationToken).ConfigureAwait(false);
        ListLog.PostStopped(logger, list.Address, post.Id, why);
    }

    private static Dictionary<string, DkimSigner> LoadSigners(ListOptions options)
    {
        var signers = new Dictionary<string, DkimSigner>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in options.DkimKeys)
        {
            signers[key.Domain.Trim().ToLowerInvariant()] = new ListDkimSigner(key.KeyFile, key.Domain.Trim().ToLowerInvariant(), key.Selector.Trim());
        }

        return signers;
    }
}
