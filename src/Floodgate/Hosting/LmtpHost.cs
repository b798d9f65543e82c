using System.Net;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Lmtp;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>`Lmtp`: the listener the local MTA delivers the hosted lists' inbound mail to (bounces, posts, requests by mail).</summary>
public sealed class LmtpOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>TCP listeners; default 127.0.0.1:10042 (filled in by ApplyDefaults). Postfix: transport_maps <c>lists.example.com lmtp:inet:127.0.0.1:10042</c>.</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>25 MB: a bounce quotes the message it returns, so it can be bigger than any post.</summary>
    public long MaxMessageSize { get; set; } = 25L * 1024 * 1024;

    /// <summary>Recipients per transaction before 452 4.5.3; Postfix's lmtp_destination_recipient_limit is 50 by default.</summary>
    public int MaxRecipients { get; set; } = 1000;

    public int MaxConnections { get; set; } = 100;

    public void ApplyDefaults()
    {
        if (Listen.Count == 0)
        {
            Listen.Add("127.0.0.1:10042");
        }
    }

    /// <summary>Every problem, each naming the setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (!Enabled)
        {
            yield break;
        }

        for (var i = 0; i < Listen.Count; i++)
        {
            if (Listen[i].StartsWith("unix:", StringComparison.Ordinal))
            {
                // The LMTP wire is the SMTP server's, which binds TCP endpoints only.
                yield return $"Lmtp:Listen:{i}: '{Listen[i]}': unix sockets are not supported for LMTP; use an address:port such as 127.0.0.1:10042";
            }
            else if (!Endpoints.TryParse(Listen[i], out _))
            {
                yield return $"Lmtp:Listen:{i}: '{Listen[i]}' is not an address:port (for example 127.0.0.1:10042)";
            }
        }

        if (MaxMessageSize < 1024)
        {
            yield return "Lmtp:MaxMessageSize: must be at least 1024 bytes";
        }

        // RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients.
        if (MaxRecipients < 100)
        {
            yield return "Lmtp:MaxRecipients: must be at least 100 (RFC 5321 4.5.3.1.8)";
        }

        if (MaxConnections < 1)
        {
            yield return "Lmtp:MaxConnections: must be at least 1";
        }
    }
}

/// <summary>
/// Starts the LMTP listener for the hosted lists. The routing behind it is the
/// <see cref="ILmtpSessionFactory"/> registered in DI; until one is, <see cref="UnroutedLmtpSessionFactory"/>
/// defers every recipient.
/// </summary>
internal sealed partial class LmtpHost(FloodgateOptions options, ILmtpSessionFactory sessions, MessageSpool spool, ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger _logger = loggers.CreateLogger("Floodgate");
    private LmtpServer? _server;

    public IReadOnlyList<IPEndPoint> EndPoints => _server?.EndPoints ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var lmtp = options.Lmtp;
        if (!lmtp.Enabled)
        {
            return;
        }

        var serverOptions = new LmtpServerOptions
        {
            HostName = options.Smtp.Hostname,
            MaxMessageSize = lmtp.MaxMessageSize,
            MaxRecipients = lmtp.MaxRecipients,
            MaxConnections = lmtp.MaxConnections,
            Spool = spool,
        };
        foreach (var listen in lmtp.Listen)
        {
            Endpoints.TryParse(listen, out var endPoint);
            serverOptions.EndPoints.Add(endPoint);
        }

        _server = new LmtpServer(serverOptions, sessions, loggers.CreateLogger<LmtpServer>());
        await _server.StartAsync(cancellationToken);
        LogStarted(_logger, string.Join(", ", _server.EndPoints), lmtp.MaxMessageSize, lmtp.MaxRecipients);
        if (sessions is UnroutedLmtpSessionFactory)
        {
            LogUnrouted(_logger);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken);
            await _server.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Floodgate LMTP listening on {EndPoints} (Postfix transport_maps: <list domain> lmtp:inet:<address:port>); messages up to {MaxMessageSize} bytes, {MaxRecipients} recipients")]
    private static partial void LogStarted(ILogger logger, string endPoints, long maxMessageSize, int maxRecipients);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No list routing registered: the LMTP listener defers every recipient with 451 4.3.2 (the MTA keeps the mail queued)")]
    private static partial void LogUnrouted(ILogger logger);
}
