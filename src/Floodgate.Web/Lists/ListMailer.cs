using Floodgate.Core.Lists;
using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Content;
using Floodgate.Storage.Lists;
using MimeKit;
using MimeKit.Text;

namespace Floodgate.Web.Lists;

/// <summary>
/// The list's own mail to one address: the confirmation, the re-enable notice, the answer to a
/// request by mail. Never list content. Sent straight to the relay with the member's VERP address as
/// envelope sender, so a bounce of the confirmation itself is counted too.
/// </summary>
public sealed class ListMailer(IMessageRelay relay, MessageSpool spool, ListLinks links, TimeProvider time)
{
    private static readonly FormatOptions Wire = CreateWire();

    public Task<RelayResult> SendConfirmationAsync(MailingList list, ListMember member, CancellationToken cancellationToken)
    {
        var token = links.ConfirmToken(member.Id);
        var text =
            $"Someone, probably you, asked to subscribe {member.Address} to {list.Name} ({list.Address}).\r\n\r\n" +
            $"To confirm, open this link and press the button:\r\n{links.ConfirmUrl(token)}\r\n\r\n" +
            $"or reply to this message (its address confirms you).\r\n\r\n" +
            "If you did not ask for this, ignore this message: you will not be subscribed and will get nothing more.\r\n";
        return SendAsync(list, member, $"Confirm your subscription to {list.Name}", text,
            ListAddress.Of(list.Address, ListCommand.Confirm, token), cancellationToken);
    }

    public Task<RelayResult> SendReenableAsync(MailingList list, ListMember member, CancellationToken cancellationToken)
    {
        var text =
            $"Mail from {list.Name} ({list.Address}) to {member.Address} has been bouncing, so it was paused.\r\n\r\n" +
            $"If this address works again and you want the list's mail, open this link and press the button:\r\n{links.ReenableUrl(links.ReenableToken(member.Id))}\r\n\r\n" +
            "Otherwise do nothing: the address will be removed from the list.\r\n";
        return SendAsync(list, member, $"Your subscription to {list.Name} is paused", text, null, cancellationToken);
    }

    public Task<RelayResult> SendUnsubscribeLinkAsync(MailingList list, ListMember member, CancellationToken cancellationToken)
    {
        var text =
            $"Someone asked by e-mail to unsubscribe {member.Address} from {list.Name} ({list.Address}).\r\n\r\n" +
            $"To leave the list, open this link and press the button:\r\n{links.UnsubscribeUrl(links.UnsubscribeToken(member.Id))}\r\n";
        return SendAsync(list, member, $"Unsubscribe from {list.Name}", text, null, cancellationToken);
    }

    private async Task<RelayResult> SendAsync(MailingList list, ListMember member, string subject, string text, string? replyTo, CancellationToken cancellationToken)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(list.Name, list.Address));
        message.To.Add(MailboxAddress.Parse(member.Address));
        if (replyTo is not null)
            message.ReplyTo.Add(MailboxAddress.Parse(replyTo));
        message.Subject = subject;
        message.Date = time.GetUtcNow();
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(list.Address[(list.Address.IndexOf('@') + 1)..]);
        // RFC 3834: automatic; responders must not answer, and it is not a post (no List-Unsubscribe: there is nothing to leave yet).
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var body = new TextPart(TextFormat.Plain);
        body.SetText("utf-8", text);
        message.Body = body;
        message.Prepare(EncodingConstraint.SevenBit);

        using var bytes = new MemoryStream();
        await message.WriteToAsync(Wire, bytes, cancellationToken).ConfigureAwait(false);
        MessageContent content;
        using (var writer = spool.Begin())
        {
            if (!writer.Append(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)))
                return new RelayResult(Outcome.Deferred, 452, "4.3.1", "the message spool is full");
            content = writer.Complete();
        }

        using (content)
            return await relay.SendAsync(links.BounceAddress(list, member.Id), [member.Address], content, cancellationToken).ConfigureAwait(false);
    }

    private static FormatOptions CreateWire()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }
}
