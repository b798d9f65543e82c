using System.Text.RegularExpressions;
using Floodgate.Core.Accounts;
using Floodgate.Core.Lists;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Lmtp;
using Floodgate.Protocols.Smtp;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using MimeKit;

namespace Floodgate.Web.Lists;

/// <summary>
/// Routes mail that Postfix hands over by LMTP to the lists' addresses (<see cref="ListAddress"/>):
/// posts, subscribe and unsubscribe requests, confirmations by reply, and bounces to the VERP
/// addresses. A recipient is checked against the lists after DATA, where LMTP gives each its own
/// reply (RFC 2033 4.2); a failure of the store throws, which the server answers with 451 for each
/// recipient, so Postfix keeps the message and tries again.
/// </summary>
/// <remarks>The complaint address (<c>Complaints:Address</c>, RFC 9477's CFBL-Address) is routed here too: its mail is taken in as complaints.</remarks>
public sealed partial class ListInbox(ListService service, ListDelivery delivery, AccountDirectory directory, Core.Complaints.ComplaintOptions? complaints = null) : ILmtpSessionFactory
{
    private bool IsComplaintAddress(string recipient) =>
        complaints?.Address is { Length: > 0 } address && string.Equals(address.Trim(), recipient.Trim(), StringComparison.OrdinalIgnoreCase);

    public ILmtpSession Open(SmtpConnectionInfo connection) => new Session(this);

    /// <summary>Handles one message for one list address; the reply for that recipient.</summary>
    public async Task<SmtpReply> ReceiveAsync(string sender, string recipient, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken)
    {
        if (IsComplaintAddress(recipient))
            return Reply(await service.IngestBounceAsync(raw, "lmtp", null, cancellationToken).ConfigureAwait(false));
        if (!ListAddress.TryParse(recipient, out var address))
            return SmtpReply.Create(550, "5.1.1", $"<{recipient}>: no such list address");
        var list = await service.Store.FindListAsync(address.List, cancellationToken).ConfigureAwait(false);
        if (list is null)
            return SmtpReply.Create(550, "5.1.1", $"<{recipient}>: no such list");

        switch (address.Command)
        {
            case ListCommand.Bounce:
            case ListCommand.Bounces:
                // Kept whatever it turns out to be: an auto-reply or a malformed report is recorded, not refused.
                return Reply(await service.IngestBounceAsync(raw, "lmtp", recipient, cancellationToken).ConfigureAwait(false));

            case ListCommand.Subscribe:
                if (!IsAddress(sender))
                    return SmtpReply.Create(550, "5.7.1", "a subscription by mail needs a sender address to confirm");
                if (list.Status != ListStatus.Active)
                    return SmtpReply.Create(550, "5.7.1", "the list is closed");
                await service.RequestAsync(list.Id, sender, new ConsentSource("email", sender, null), cancellationToken).ConfigureAwait(false);
                return SmtpReply.Create(250, "2.0.0", "subscription requested: a confirmation is sent to the sender");

            case ListCommand.Confirm:
                var (confirmed, _) = await service.ConfirmAsync(address.Token!, new ConsentSource("email", sender, null), cancellationToken).ConfigureAwait(false);
                return confirmed is LinkResult.Done or LinkResult.AlreadyDone
                    ? SmtpReply.Create(250, "2.0.0", "subscription confirmed")
                    : SmtpReply.Create(550, "5.7.1", "this confirmation address is not valid or has expired; subscribe again");

            case ListCommand.Unsubscribe:
                var (left, _) = await service.UnsubscribeAsync(address.Token!, new ConsentSource("mailto", sender, null), cancellationToken).ConfigureAwait(false);
                return left is LinkResult.Done or LinkResult.AlreadyDone
                    ? SmtpReply.Create(250, "2.0.0", "unsubscribed")
                    : SmtpReply.Create(550, "5.7.1", "this unsubscribe address is not valid; use the link in the list's mail");

            case ListCommand.UnsubscribeRequest:
                // Without a token the sender could be anyone: answer with a link to the member's own address.
                if (IsAddress(sender) && await service.Store.FindMemberAsync(list.Id, sender, cancellationToken).ConfigureAwait(false) is { Status: not MemberStatus.Unsubscribed } member)
                    await service.SendUnsubscribeLinkAsync(list, member, cancellationToken).ConfigureAwait(false);
                return SmtpReply.Create(250, "2.0.0", "if the sender is a member, an unsubscribe link is on its way");

            default:
                return await PostAsync(list, sender, raw, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// 250 for what was taken in; a malformed ARF report is kept too, but refused with 550 5.6.0 and the
    /// reason, so the reporter's MTA tells it the report was not understood.
    /// </summary>
    private static SmtpReply Reply(BounceOutcome outcome) =>
        outcome.Complaint?.Error is { } error
            ? SmtpReply.Create(550, "5.6.0", $"{error}; kept as bounce {outcome.BounceMessageId}, no complaint recorded")
            : outcome.Complaint is { } complaint
            ? SmtpReply.Create(250, "2.0.0", $"complaint {complaint.ComplaintId} recorded ({complaint.Attribution})")
            : SmtpReply.Create(250, "2.0.0", $"bounce {outcome.BounceMessageId} recorded ({outcome.Kind}, {outcome.Recipients} recipient(s))");

    private async Task<SmtpReply> PostAsync(MailingList list, string sender, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken)
    {
        if (list.Status != ListStatus.Active)
            return SmtpReply.Create(550, "5.7.1", "the list is closed: it takes no posts");
        var normalized = sender.Trim().ToLowerInvariant();
        if (!list.IsPoster(normalized) || !directory.TryGetMailbox(normalized, out var mailbox))
            return SmtpReply.Create(550, "5.7.1", $"{sender} may not post to {list.Address}");
        if (!mailbox.Status.IsActive || !mailbox.Domain.Status.IsActive || !mailbox.Client.Status.IsActive)
            return SmtpReply.Create(550, "5.7.1", $"{normalized} is suspended or disabled: it cannot post");

        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(raw.ToArray(), writable: false);
            message = await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return SmtpReply.Create(550, "5.6.0", "the post is not a readable message");
        }

        // An envelope sender is only a claim. The post must have been submitted with the poster's own
        // login: Postfix says so in its Received header (smtpd_sasl_authenticated_header = yes).
        if (!SubmittedBy(message, normalized))
            return SmtpReply.Create(550, "5.7.1", $"a post must be sent with {normalized}'s own login (Postfix smtpd_sasl_authenticated_header = yes)");

        var from = message.From.Mailboxes.FirstOrDefault()?.Address?.ToLowerInvariant();
        if (from is not null && !list.IsPoster(from))
            return SmtpReply.Create(550, "5.7.1", $"the post's From {from} is not an allowed poster");

        var post = await service.Store.EnqueuePostAsync(list.Id, mailbox.Id, message.Subject ?? string.Empty, message.MessageId, raw.ToArray(), cancellationToken).ConfigureAwait(false);
        delivery.Poke();
        return SmtpReply.Create(250, "2.0.0", $"post {post.Id} queued for the list's confirmed members");
    }

    /// <summary>The topmost Received header (the MTA that handed the post over) names the poster as its authenticated sender.</summary>
    internal static bool SubmittedBy(MimeMessage message, string poster)
    {
        var received = message.Headers.FirstOrDefault(h => h.Id == HeaderId.Received);
        if (received is null)
            return false;
        var match = AuthenticatedSender().Match(received.Value);
        return match.Success && string.Equals(match.Groups[1].Value.Trim(), poster, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsAddress(string sender) => sender.Length > 2 && sender.Contains('@');

    [GeneratedRegex(@"\(Authenticated sender:\s*([^\s)]+)\)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex AuthenticatedSender();

    private sealed class Session(ListInbox inbox) : ILmtpSession
    {
        private string _sender = string.Empty;

        public SmtpReply MailFrom(string reversePath, long declaredSize)
        {
            _sender = reversePath;
            return SmtpReply.Create(250, "2.1.0", "Sender OK");
        }

        public SmtpReply RcptTo(string forwardPath) =>
            ListAddress.TryParse(forwardPath, out _) || inbox.IsComplaintAddress(forwardPath)
                ? SmtpReply.Create(250, "2.1.5", "Recipient OK")
                : SmtpReply.Create(550, "5.1.1", $"<{forwardPath}>: no such list address");

        public async ValueTask DeliverAsync(MessageContent message, IReadOnlyList<string> recipients, Memory<SmtpReply> replies, CancellationToken cancellationToken)
        {
            byte[] raw;
            if (message.TryGetMemory(out var memory))
            {
                raw = memory.ToArray();
            }
            else
            {
                await using var stream = message.OpenRead();
                using var copy = new MemoryStream((int)Math.Min(message.Length, int.MaxValue));
                await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                raw = copy.ToArray();
            }

            for (var i = 0; i < recipients.Count; i++)
            {
                var reply = await inbox.ReceiveAsync(_sender, recipients[i], raw, cancellationToken).ConfigureAwait(false);
                replies.Span[i] = reply;
            }
        }

        public void Reset() => _sender = string.Empty;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
