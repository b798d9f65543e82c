using System.Net;
using Microsoft.Extensions.Logging;

namespace Floodgate.Protocols.Smtp;

// AUTH credentials are never passed to any of these.
internal static partial class SmtpServerLog
{
    [LoggerMessage(1, LogLevel.Information, "SMTP listener {Name} ({Mode}) listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string name, SmtpListenerMode mode, EndPoint endPoint);

    [LoggerMessage(2, LogLevel.Information, "SMTP server stopped; {Remaining} connections were closed by force")]
    public static partial void Stopped(ILogger logger, int remaining);

    [LoggerMessage(3, LogLevel.Warning, "SMTP listener {Name} could not accept a connection")]
    public static partial void AcceptFailed(ILogger logger, string name, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "SMTP connection from {Remote} refused: too many connections")]
    public static partial void ConnectionRefused(ILogger logger, EndPoint? remote);

    [LoggerMessage(5, LogLevel.Debug, "SMTP connection {Remote} on {Listener} opened")]
    public static partial void ConnectionOpened(ILogger logger, EndPoint remote, string listener);

    [LoggerMessage(6, LogLevel.Debug, "SMTP connection {Remote} closed")]
    public static partial void ConnectionClosed(ILogger logger, EndPoint remote);

    [LoggerMessage(7, LogLevel.Information, "SMTP connection {Remote} TLS handshake failed")]
    public static partial void TlsFailed(ILogger logger, EndPoint remote, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "SMTP connection {Remote} timed out")]
    public static partial void TimedOut(ILogger logger, EndPoint remote);

    [LoggerMessage(9, LogLevel.Information, "SMTP connection {Remote} closed after {Count} bad commands")]
    public static partial void TooManyBadCommands(ILogger logger, EndPoint remote, int count);

    [LoggerMessage(10, LogLevel.Information, "SMTP connection {Remote} closed by the client during DATA")]
    public static partial void ClientGoneDuringData(ILogger logger, EndPoint remote);

    [LoggerMessage(11, LogLevel.Error, "SMTP connection {Remote} failed")]
    public static partial void ConnectionFailed(ILogger logger, EndPoint remote, Exception exception);

    [LoggerMessage(12, LogLevel.Debug, "SMTP connection {Remote} lost")]
    public static partial void ConnectionLost(ILogger logger, EndPoint remote, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "SMTP connection {Remote}: a message of {Length} octets refused with 452, the message spool is full")]
    public static partial void SpoolFull(ILogger logger, EndPoint remote, long length);

    [LoggerMessage(14, LogLevel.Information, "SMTP connection {Remote} closed after {Count} commands without progress")]
    public static partial void TooManyJunkCommands(ILogger logger, EndPoint remote, int count);

    [LoggerMessage(15, LogLevel.Information, "SMTP connection {Remote} closed: it reached the maximum session lifetime")]
    public static partial void SessionTooLong(ILogger logger, EndPoint remote);

    [LoggerMessage(16, LogLevel.Warning, "SMTP connection {Balancer} on {Listener} closed: {Reason}")]
    public static partial void ProxyHeaderRefused(ILogger logger, EndPoint balancer, string listener, string reason);
}
