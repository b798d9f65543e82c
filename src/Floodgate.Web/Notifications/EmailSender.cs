using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Content;
using Floodgate.Storage.Notifications;
using MimeKit;
using MimeKit.Text;

namespace Floodgate.Web.Notifications;

/// <summary>
/// The e-mail to the primary contact (or, for an event of no client, the abuse desk): rendered from the event type's template, plain text, and
/// handed straight to the upstream relay (the outbox folder when no upstream is set). It is the
/// provider's own mail, so it does not go through the engine: no client mailbox, no windows, no
/// detector. The Message-ID is the event's, so a copy sent again after a crash can be recognised.
/// </summary>
internal sealed class EmailSender(IMessageRelay relay, MessageSpool spool, NotificationStore store, NotificationOptions options, TimeProvider time)
{
    private static readonly FormatOptions Wire = CreateWireFormat();

    private readonly MailboxAddress _from = MailboxAddress.Parse(options.From);

    public async Task<MimeMessage> BuildAsync(DeliveryWork work, NotificationData data, CancellationToken cancellationToken)
    {
        var recipient = work.Recipient ?? throw new InvalidOperationException("An e-mail delivery without a recipient.");
        var template = await store.GetTemplateAsync(work.Type, cancellationToken).ConfigureAwait(false);
        var model = EmailTemplates.Model(work.EventId, work.Type, work.OccurredAt, data);

        // One line whatever a value held: a header cannot be split by the data.
        var subject = string.Join(' ', EmailTemplates.Render(template.Subject, model).Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        var message = new MimeMessage();
        message.From.Add(_from);
        message.To.Add(new MailboxAddress(data.Client?.Contact.Name ?? string.Empty, recipient));
        message.Subject = subject;
        message.Date = time.GetUtcNow();
        message.MessageId = $"{work.EventId:N}@{_from.Domain}";

        // RFC 3834: an automatic message; vacation responders must not answer it.
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("X-Floodgate-Event-Id", work.EventId.ToString());
        message.Headers.Add("X-Floodgate-Event-Type", work.Type);
        var body = new TextPart(TextFormat.Plain);
        body.SetText(System.Text.Encoding.UTF8, EmailTemplates.Render(template.Body, model).Replace("\n", "\r\n", StringComparison.Ordinal));
        message.Body = body;
        message.Prepare(EncodingConstraint.SevenBit);
        return message;
    }

    public async Task<SendResult> SendAsync(DeliveryWork work, NotificationData data, CancellationToken cancellationToken)
    {
        var recipient = work.Recipient ?? throw new InvalidOperationException("An e-mail delivery without a recipient.");
        var message = await BuildAsync(work, data, cancellationToken).ConfigureAwait(false);
        using var bytes = new MemoryStream();
        await message.WriteToAsync(Wire, bytes, cancellationToken).ConfigureAwait(false);

        MessageContent content;
        using (var writer = spool.Begin())
        {
            if (!writer.Append(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)))
                return new SendResult(SendKind.Retry, null, null, "the message spool is full");
            content = writer.Complete();
        }

        using (content)
        {
            var result = await relay.SendAsync(_from.Address, [recipient], content, cancellationToken).ConfigureAwait(false);
            var reply = $"{result.Code} {result.EnhancedCode} {result.Text}";
            return result.Outcome switch
            {
                Outcome.Accepted => new SendResult(SendKind.Delivered, result.Code, reply, null),
                Outcome.Rejected => new SendResult(SendKind.Permanent, result.Code, reply, $"the upstream refused the e-mail to {recipient}: {reply}"),
                _ => new SendResult(SendKind.Retry, result.Code, reply, $"the upstream deferred the e-mail to {recipient}: {reply}"),
            };
        }
    }

    private static FormatOptions CreateWireFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }
}
