using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;
using Microsoft.Extensions.Logging;

namespace Floodgate.Protocols.Lmtp;

/// <summary>
/// Puts an <see cref="ILmtpSession"/> behind the SMTP connection, which runs the wire in its LMTP
/// dialect. What LMTP adds to the SMTP session lives here: the accepted recipients of the
/// transaction, in RCPT order and capped, and one reply for each after DATA (RFC 2033 4.2). AUTH and
/// STARTTLS are not in the dialect's state table, so their members are never asked.
/// </summary>
internal sealed class LmtpTransaction : ISmtpSession
{
    private readonly ILmtpSession _session;
    private readonly int _maxRecipients;
    private readonly ILogger _logger;
    private readonly List<string> _recipients = [];
    private SmtpReply[] _replies = [];

    public LmtpTransaction(ILmtpSession session, int maxRecipients, ILogger logger)
    {
        _session = session;
        _maxRecipients = maxRecipients;
        _logger = logger;
    }

    /// <summary>Recipients accepted in this transaction: the number of replies due after DATA.</summary>
    public int RecipientCount => _recipients.Count;

    // The local MTA is trusted by where it connects from: the listener is loopback or a unix socket.
    public bool MaySubmit => true;

    public bool AuthAllowed(bool isTls) => false;

    public ValueTask<SmtpReply> AuthenticateAsync(string login, string password, bool isTls, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("AUTH is not part of LMTP here.");

    public ValueTask<SmtpReply> MailFromAsync(string reversePath, long declaredSize, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_session.MailFrom(reversePath, declaredSize));

    public ValueTask<SmtpReply> RcptToAsync(string forwardPath, CancellationToken cancellationToken)
    {
        if (_recipients.Count >= _maxRecipients)
        {
            return ValueTask.FromResult(LmtpReplies.TooManyRecipients);
        }

        var reply = _session.RcptTo(forwardPath);
        if (reply.IsPositive)
        {
            _recipients.Add(forwardPath);
        }

        return ValueTask.FromResult(reply);
    }

    public SmtpReply DataStart() => LmtpReplies.StartMailInput;

    public ValueTask<SmtpReply> MessageAsync(MessageContent message, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("LMTP answers per recipient: the connection calls DeliverAsync.");

    /// <summary>
    /// Hands the message to the session and returns one reply per accepted recipient, in RCPT order.
    /// A session that throws, or leaves a reply unset, costs a 451 4.3.0 for those recipients, never
    /// the connection. The transaction is over afterwards.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<SmtpReply>> DeliverAsync(MessageContent message, CancellationToken cancellationToken)
    {
        var count = _recipients.Count;
        if (_replies.Length < count)
        {
            // Grows to the largest transaction of the connection, at most MaxRecipients entries.
            _replies = new SmtpReply[Math.Max(count, Math.Min(_maxRecipients, _replies.Length * 2))];
        }

        var replies = _replies.AsMemory(0, count);
        replies.Span.Clear();
        try
        {
            await _session.DeliverAsync(message, _recipients, replies, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LmtpServerLog.DeliveryFailed(_logger, count, e);
            replies.Span.Clear();
        }

        var span = replies.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i].Wire.IsEmpty)
            {
                span[i] = LmtpReplies.DeliveryFailed;
            }
        }

        _recipients.Clear();
        return replies;
    }

    public void Reset()
    {
        _recipients.Clear();
        _session.Reset();
    }

    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
