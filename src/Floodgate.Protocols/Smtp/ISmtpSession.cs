using System.Net;
using Floodgate.Protocols.Content;

namespace Floodgate.Protocols.Smtp;

/// <summary>Facts about one SMTP connection, given to the handler when the session opens.</summary>
public sealed record SmtpConnectionInfo(IPEndPoint Remote, IPEndPoint Local, string ListenerName);

/// <summary>
/// Creates the policy side of a session. The server owns the wire (parsing, state table, TLS,
/// pipelining, DATA framing); the handler owns every decision.
/// </summary>
public interface ISmtpSessionFactory
{
    ISmtpSession Open(SmtpConnectionInfo connection);
}

/// <summary>
/// The decisions of one SMTP session. Methods are called in protocol order by the server's state
/// table; the server never calls a method out of order (it answers 503 itself).
/// </summary>
public interface ISmtpSession : IAsyncDisposable
{
    /// <summary>True once AUTH succeeded or the client address is trusted; used for the 530 check.</summary>
    bool MaySubmit { get; }

    /// <summary>Whether AUTH is allowed on this connection now (plaintext AUTH only on TLS or loopback).</summary>
    bool AuthAllowed(bool isTls);

    /// <param name="isTls">The connection is under TLS now (Dovecot's <c>secured</c>).</param>
    ValueTask<SmtpReply> AuthenticateAsync(string login, string password, bool isTls, CancellationToken cancellationToken);

    /// <summary>
    /// MAIL FROM. reversePath is the address between the angle brackets (empty for the null sender).
    /// Usually complete at once; it waits when the decision does (a counter store shared by several nodes).
    /// </summary>
    ValueTask<SmtpReply> MailFromAsync(string reversePath, long declaredSize, CancellationToken cancellationToken);

    ValueTask<SmtpReply> RcptToAsync(string forwardPath, CancellationToken cancellationToken);

    /// <summary>DATA, before 354: a last check (for example a suspension made since RCPT).</summary>
    SmtpReply DataStart();

    /// <summary>
    /// The complete message after dot-unstuffing (line ends as received), in memory or spooled to
    /// a file. It is valid until the returned task completes; the server disposes it afterwards, so
    /// keep nothing of it (copy what must outlive the call). Not called for a message over SIZE or
    /// one the spool could not hold: the server refuses those itself and calls <see cref="Reset"/>.
    /// </summary>
    ValueTask<SmtpReply> MessageAsync(MessageContent message, CancellationToken cancellationToken);

    /// <summary>
    /// RSET, a new MAIL after a completed transaction, HELO/EHLO or STARTTLS, a message the server
    /// refused itself, or the connection ending inside a transaction.
    /// </summary>
    void Reset();
}
