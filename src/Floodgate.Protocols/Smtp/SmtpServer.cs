using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Listening;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Protocols.Smtp;

/// <summary>
/// The SMTP wire: listens on the configured endpoints, runs the protocol state table for each
/// connection and asks an <see cref="ISmtpSession"/> for every decision.
/// </summary>
public sealed class SmtpServer : IAsyncDisposable
{
    private readonly ISmtpSessionFactory _sessionFactory;
    private readonly Lock _gate = new();
    private readonly HashSet<SmtpConnection> _connections = [];
    private readonly Dictionary<IPAddress, int> _connectionsPerAddress = [];
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Socket> _listenSockets = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly List<IPEndPoint> _endPoints = [];
    private MessageSpool? _spool;
    private string? _ownSpoolDirectory;
    private bool _stopping;
    private int _started;

    public SmtpServer(
        SmtpServerOptions options,
        ISmtpSessionFactory sessionFactory,
        ILogger<SmtpServer>? logger = null,
        TimeProvider? timeProvider = null)
        : this(options, sessionFactory, SmtpDialect.Smtp, logger, timeProvider)
    {
    }

    /// <summary>The LMTP server (<see cref="Lmtp.LmtpServer"/>) is this server in the LMTP dialect.</summary>
    internal SmtpServer(SmtpServerOptions options, ISmtpSessionFactory sessionFactory, SmtpDialect dialect, ILogger? logger, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sessionFactory);
        Options = options;
        _sessionFactory = sessionFactory;
        Dialect = dialect;
        Logger = logger ?? NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The bound endpoints, in the order of <see cref="SmtpServerOptions.Listeners"/>, once started.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _endPoints;

    /// <summary>Connections open now (refused ones not counted).</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    internal SmtpServerOptions Options { get; }

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider { get; }

    internal CancellationToken AbortToken => _abort.Token;

    internal SmtpDialect Dialect { get; }

    internal byte[] Greeting { get; private set; } = [];

    /// <summary>The dialect's texts: which greeting command to send first, DATA without recipients, HELP.</summary>
    internal byte[] SendHelloFirstReply { get; private set; } = [];

    internal byte[] NoValidRecipientsReply { get; private set; } = [];

    internal byte[] HelpReply { get; private set; } = [];

    internal byte[] HeloReply { get; private set; } = [];

    internal byte[] EhloFirstLine { get; private set; } = [];

    internal byte[] EhloSizeLine { get; private set; } = [];

    internal byte[] TooManyJunkCommandsReply { get; private set; } = [];

    internal byte[] SessionTooLongReply { get; private set; } = [];

    /// <summary>Where DATA content goes: <see cref="SmtpServerOptions.Spool"/>, or the server's own.</summary>
    internal MessageSpool Spool => _spool ?? throw new InvalidOperationException("The SMTP server has not started.");

    internal SslServerAuthenticationOptions? TlsOptions { get; private set; }

    internal ISmtpSession SessionFactoryOpen(SmtpConnectionInfo connection) => _sessionFactory.Open(connection);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The SMTP server was already started.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        Options.Validate();

        var lmtp = Dialect == SmtpDialect.Lmtp;
        Greeting = SmtpReplies.BuildGreeting(Options.HostName, lmtp ? Lmtp.LmtpReplies.GreetingSuffix : SmtpReplies.GreetingSuffix);
        SendHelloFirstReply = (lmtp ? Lmtp.LmtpReplies.SendLhloFirst : SmtpReplies.SendHelloFirst).ToArray();
        NoValidRecipientsReply = (lmtp ? Lmtp.LmtpReplies.NoValidRecipients : SmtpReplies.NoValidRecipients).ToArray();
        HelpReply = (lmtp ? Lmtp.LmtpReplies.Help : SmtpReplies.Help).ToArray();
        HeloReply = SmtpReplies.BuildHelo(Options.HostName);
        EhloFirstLine = SmtpReplies.BuildEhloFirst(Options.HostName);
        EhloSizeLine = SmtpReplies.BuildEhloSize(Options.MaxMessageSize);
        TooManyJunkCommandsReply = SmtpReplies.BuildTooManyJunkCommands(Options.HostName);
        SessionTooLongReply = SmtpReplies.BuildSessionTooLong(Options.HostName);
        if (Options.Spool is { } spool)
        {
            _spool = spool;
        }
        else
        {
            _ownSpoolDirectory = Directory.CreateTempSubdirectory("floodgate-spool-").FullName;
            _spool = new MessageSpool(new MessageSpoolOptions { Directory = _ownSpoolDirectory }, Logger);
        }

        if (Options.Certificate is not null)
        {
            TlsOptions = new SslServerAuthenticationOptions
            {
                // Built once: the chain is resolved at start, not per handshake; offline so a
                // handshake never waits on the network.
                ServerCertificateContext = SslStreamCertificateContext.Create(Options.Certificate, additionalCertificates: null, offline: true),
                ClientCertificateRequired = false,
            };
        }

        try
        {
            foreach (var listener in Options.Listeners)
            {
                var socket = new Socket(listener.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _listenSockets.Add(socket);
                if (listener.EndPoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(listener.EndPoint);
                socket.Listen(Options.ListenBacklog);
                var bound = (IPEndPoint)socket.LocalEndPoint!;
                _endPoints.Add(bound);
                SmtpServerLog.Listening(Logger, listener.Name, listener.Mode, bound);
            }
        }
        catch
        {
            foreach (var socket in _listenSockets)
            {
                socket.Dispose();
            }

            throw;
        }

        for (var i = 0; i < _listenSockets.Count; i++)
        {
            _acceptLoops.Add(AcceptLoopAsync(_listenSockets[i], Options.Listeners[i]));
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops accepting, closes idle connections with 421, lets open transactions finish within
    /// <see cref="SmtpServerOptions.ShutdownTimeout"/> (or until <paramref name="cancellationToken"/>),
    /// then closes the rest.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        SmtpConnection[] open;
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            open = [.. _connections];
            if (_connections.Count == 0)
            {
                _drained.TrySetResult();
            }
        }

        foreach (var socket in _listenSockets)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);

        foreach (var connection in open)
        {
            connection.RequestStop();
        }

        var remaining = 0;
        try
        {
            await _drained.Task.WaitAsync(Options.ShutdownTimeout, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            remaining = ConnectionCount;
            await _abort.CancelAsync().ConfigureAwait(false);
            try
            {
                // Aborted connections only write a 421 and close; this wait is short.
                await _drained.Task.WaitAsync(TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        SmtpServerLog.Stopped(Logger, remaining);
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _started) != 0)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        if (_ownSpoolDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownSpoolDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A connection aborted by force may still hold a file; the temporary folder is the OS's to clean.
            }
        }

        _abort.Dispose();
    }

    internal void Release(SmtpConnection connection, IPAddress address)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            if (_connectionsPerAddress.TryGetValue(address, out var count))
            {
                if (count <= 1)
                {
                    _connectionsPerAddress.Remove(address);
                }
                else
                {
                    _connectionsPerAddress[address] = count - 1;
                }
            }

            if (_stopping && _connections.Count == 0)
            {
                _drained.TrySetResult();
            }
        }
    }

    private async Task AcceptLoopAsync(Socket listenSocket, SmtpListenerOptions listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (Volatile.Read(ref _stopping))
                {
                    return;
                }

                // Out of descriptors or a connection reset before accept: wait a little instead of spinning.
                SmtpServerLog.AcceptFailed(Logger, listener.Name, e);
                await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System).ConfigureAwait(false);
                continue;
            }

            socket.NoDelay = true;
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            if (listener.ProxyFrom.Count > 0 && IsBalancer(listener, address))
            {
                // The header is read off the accept loop: a slow balancer must not stop the others.
                _ = AdmitProxiedAsync(socket, listener, remote);
                continue;
            }

            Admit(socket, listener, remote, address);
        }
    }

    private static bool IsBalancer(SmtpListenerOptions listener, IPAddress address)
    {
        foreach (var network in listener.ProxyFrom)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A trusted balancer's connection: its PROXY header names the client, whose address then counts
    /// for the per-address limit, the session and the logs, as if it had connected directly.
    /// </summary>
    private async Task AdmitProxiedAsync(Socket socket, SmtpListenerOptions listener, IPEndPoint balancer)
    {
        ProxyHeader header;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            timeout.CancelAfter(Options.ProxyHeaderTimeout);
            header = await ProxyProtocol.ReadAsync(socket, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ProxyProtocolException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            SmtpServerLog.ProxyHeaderRefused(Logger, balancer, listener.Name, e is OperationCanceledException ? "no PROXY header in time" : e.Message);
            socket.Dispose();
            return;
        }

        var remote = header.Source ?? balancer;
        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        Admit(socket, listener, remote, address);
    }

    private void Admit(Socket socket, SmtpListenerOptions listener, IPEndPoint remote, IPAddress address)
    {
        SmtpConnection? connection = null;
        lock (_gate)
        {
            _connectionsPerAddress.TryGetValue(address, out var fromAddress);
            if (!_stopping && _connections.Count < Options.MaxConnections && fromAddress < Options.MaxConnectionsPerAddress)
            {
                connection = new SmtpConnection(this, socket, listener, remote, address);
                _connections.Add(connection);
                _connectionsPerAddress[address] = fromAddress + 1;
            }
        }

        if (connection is null)
        {
            Refuse(socket, remote);
            return;
        }

        // The session factory may do slow work in Open; keep the accept loop free of it.
        ThreadPool.UnsafeQueueUserWorkItem(connection, preferLocal: false);
    }

    private void Refuse(Socket socket, EndPoint remote)
    {
        SmtpServerLog.ConnectionRefused(Logger, remote);
        try
        {
            // A fresh socket's send buffer is empty, so this short send does not block.
            socket.Send(SmtpReplies.TooManyConnections);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
