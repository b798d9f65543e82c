using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Protocols.Lmtp;

/// <summary>
/// Creates the routing side of an LMTP session (inbound mail for the hosted lists: posts, bounces,
/// requests by mail). The server owns the wire: LHLO, the state table, pipelining, DATA framing,
/// size and recipient limits; the handler owns every decision. The default,
/// <see cref="UnroutedLmtpSessionFactory"/>, defers every recipient.
/// </summary>
public interface ILmtpSessionFactory
{
    ILmtpSession Open(SmtpConnectionInfo connection);
}

/// <summary>
/// The decisions of one LMTP session, called in protocol order (the server answers 503 itself to a
/// command out of order). Replies are SMTP replies: LMTP is SMTP on the wire (RFC 2033).
/// </summary>
public interface ILmtpSession : IAsyncDisposable
{
    /// <summary>MAIL FROM. reversePath is the address between the angle brackets (empty for the null sender, as bounces have).</summary>
    SmtpReply MailFrom(string reversePath, long declaredSize);

    /// <summary>
    /// RCPT TO: 250 accepts the recipient for this transaction; a recipient the handler does not
    /// know gets 550 5.1.1. Not called past the server's recipient limit (452 4.5.3).
    /// </summary>
    SmtpReply RcptTo(string forwardPath);

    /// <summary>
    /// The complete message after dot-unstuffing, for the recipients accepted at RCPT, in RCPT
    /// order. Set <c>replies.Span[i]</c> to the outcome for <c>recipients[i]</c> (RFC 2033 4.2: one
    /// reply per recipient); an entry left unset becomes 451 4.3.0, as does every entry when the
    /// call throws, so nothing accepted is lost (the MTA retries). The message, the list and the
    /// replies are valid until the returned task completes: copy what must outlive the call. Not
    /// called for a message over the size limit or one the spool could not hold: the server refuses
    /// those for each recipient itself and calls <see cref="Reset"/>.
    /// </summary>
    ValueTask DeliverAsync(MessageContent message, IReadOnlyList<string> recipients, Memory<SmtpReply> replies, CancellationToken cancellationToken);

    /// <summary>
    /// RSET, a new MAIL after a completed transaction, LHLO, a message the server refused itself,
    /// or the connection ending inside a transaction.
    /// </summary>
    void Reset();
}

/// <summary>
/// The placeholder until list routing is plugged in (register another <see cref="ILmtpSessionFactory"/>):
/// every recipient is accepted at RCPT and deferred after DATA, so the MTA keeps the mail queued.
/// </summary>
public sealed class UnroutedLmtpSessionFactory : ILmtpSessionFactory
{
    public ILmtpSession Open(SmtpConnectionInfo connection) => UnroutedLmtpSession.Instance;
}

/// <summary>Accepts any sender and recipient and answers 451 4.3.2 for each after DATA. Stateless: one instance serves every connection.</summary>
public sealed class UnroutedLmtpSession : ILmtpSession
{
    internal static readonly UnroutedLmtpSession Instance = new();

    private UnroutedLmtpSession()
    {
    }

    public SmtpReply MailFrom(string reversePath, long declaredSize) => LmtpReplies.SenderOk;

    public SmtpReply RcptTo(string forwardPath) => LmtpReplies.RecipientOk;

    public ValueTask DeliverAsync(MessageContent message, IReadOnlyList<string> recipients, Memory<SmtpReply> replies, CancellationToken cancellationToken)
    {
        replies.Span.Fill(LmtpReplies.ListServiceNotReady);
        return ValueTask.CompletedTask;
    }

    public void Reset()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
