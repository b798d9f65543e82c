using System.Net;
using Floodgate.Protocols.Smtp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Protocols.Lmtp;

/// <summary>
/// The LMTP wire (RFC 2033) for mail the local MTA hands to the hosted lists.
/// </summary>
/// <remarks>
/// An <see cref="SmtpServer"/> in its LMTP dialect rather than a connection of its own: LMTP is
/// SMTP but for LHLO and the replies after DATA, so the parser, the state table (one per dialect),
/// pipelining, DATA framing with dot-unstuffing, the spool, the size, line and bad-command limits,
/// timeouts and the graceful stop are the SMTP gateway's, tested once. What is LMTP's alone is in
/// this folder: the handler interface, <see cref="LmtpTransaction"/> (recipients and per-recipient
/// replies) and <see cref="LmtpReplies"/>.
/// </remarks>
public sealed class LmtpServer : IAsyncDisposable
{
    private readonly SmtpServer _server;

    public LmtpServer(LmtpServerOptions options, ILmtpSessionFactory sessionFactory, ILogger<LmtpServer>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sessionFactory);
        Options = options;
        var log = logger ?? (ILogger)NullLogger.Instance;
        var smtp = new SmtpServerOptions
        {
            HostName = options.HostName,
            MaxMessageSize = options.MaxMessageSize,
            MaxConnections = options.MaxConnections,

            // Every connection comes from the local MTA's one address.
            MaxConnectionsPerAddress = options.MaxConnections,
            CommandTimeout = options.CommandTimeout,
            DataTimeout = options.DataTimeout,
            MaxLineLength = options.MaxLineLength,
            MaxBadCommands = options.MaxBadCommands,
            Spool = options.Spool,
            ShutdownTimeout = options.ShutdownTimeout,
        };
        foreach (var endPoint in options.EndPoints)
        {
            smtp.Listeners.Add(new SmtpListenerOptions { EndPoint = endPoint, Name = "lmtp", Mode = SmtpListenerMode.StartTls });
        }

        _server = new SmtpServer(smtp, new TransactionFactory(sessionFactory, options, log), SmtpDialect.Lmtp, log, timeProvider);
    }

    public LmtpServerOptions Options { get; }

    /// <summary>The bound endpoints, in the order of <see cref="LmtpServerOptions.EndPoints"/>, once started.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _server.EndPoints;

    public int ConnectionCount => _server.ConnectionCount;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Options.Validate();
        return _server.StartAsync(cancellationToken);
    }

    /// <summary>Stops accepting, closes idle connections with 421 and lets open transactions finish within the shutdown timeout.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private sealed class TransactionFactory(ILmtpSessionFactory sessions, LmtpServerOptions options, ILogger logger) : ISmtpSessionFactory
    {
        public ISmtpSession Open(SmtpConnectionInfo connection) => new LmtpTransaction(sessions.Open(connection), options.MaxRecipients, logger);
    }
}
