using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Floodgate.Protocols.Listening;

/// <summary>What a server does with one accepted connection.</summary>
internal interface IConnectionHandler
{
    Task RunConnectionAsync(Socket socket, CancellationToken cancellationToken);
}

/// <summary>
/// Binds TCP and unix-domain endpoints, accepts connections, enforces the connection limit and tracks
/// the running connections so that a stop waits for them. Shared by the policy and milter servers.
/// </summary>
internal sealed class SocketListener : IAsyncDisposable
{
    private readonly IConnectionHandler _handler;
    private readonly ILogger _logger;
    private readonly int _maxConnections;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<string> _unixPaths = [];
    private long _nextConnectionId;
    private int _connectionCount;

    public SocketListener(IConnectionHandler handler, int maxConnections, ILogger logger)
    {
        _handler = handler;
        _maxConnections = maxConnections;
        _logger = logger;
    }

    public IReadOnlyList<EndPoint> LocalEndPoints { get; private set; } = [];

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public void Start(IReadOnlyList<IPEndPoint> tcpEndPoints, string? unixSocketPath, UnixFileMode unixSocketMode)
    {
        var bound = new List<EndPoint>();
        try
        {
            foreach (var endPoint in tcpEndPoints)
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                _listeners.Add(socket);
                socket.Bind(endPoint);
                socket.Listen(512);
                bound.Add(socket.LocalEndPoint!);
            }

            if (!string.IsNullOrEmpty(unixSocketPath))
            {
                // A socket file left by a crashed process makes bind fail with EADDRINUSE.
                if (File.Exists(unixSocketPath))
                {
                    File.Delete(unixSocketPath);
                }

                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                _listeners.Add(socket);
                socket.Bind(new UnixDomainSocketEndPoint(unixSocketPath));
                _unixPaths.Add(unixSocketPath);
                if (!OperatingSystem.IsWindows())
                {
                    // Postfix connects as user postfix: it needs write permission on the socket file.
                    File.SetUnixFileMode(unixSocketPath, unixSocketMode);
                }

                socket.Listen(512);
                bound.Add(socket.LocalEndPoint!);
            }
        }
        catch
        {
            foreach (var socket in _listeners)
            {
                socket.Dispose();
            }

            _listeners.Clear();
            throw;
        }

        LocalEndPoints = bound;
        foreach (var socket in _listeners)
        {
            _acceptLoops.Add(AcceptLoopAsync(socket));
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                ListenerLog.AcceptFailed(_logger, ex.SocketErrorCode);
                continue;
            }

            if (Interlocked.Increment(ref _connectionCount) > _maxConnections)
            {
                // Closing at once lets the client fail over (Postfix retries and applies its default action)
                // instead of waiting in a queue it cannot see.
                Interlocked.Decrement(ref _connectionCount);
                ListenerLog.ConnectionLimitReached(_logger, _maxConnections);
                client.Dispose();
                continue;
            }

            if (client.AddressFamily != AddressFamily.Unix)
            {
                client.NoDelay = true;
            }

            var id = Interlocked.Increment(ref _nextConnectionId);
            _connections[id] = RunAsync(id, client, token);
        }
    }

    private async Task RunAsync(long id, Socket client, CancellationToken token)
    {
        await Task.Yield();
        try
        {
            await _handler.RunConnectionAsync(client, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A connection must never take the server down; the handler logs protocol errors itself.
            ListenerLog.ConnectionFailed(_logger, ex);
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _connectionCount);
            _connections.TryRemove(id, out _);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        foreach (var socket in _listeners)
        {
            socket.Dispose();
        }

        _listeners.Clear();
        foreach (var path in _unixPaths)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        }

        _unixPaths.Clear();
        var pending = new List<Task>(_acceptLoops);
        pending.AddRange(_connections.Values);
        await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }
}

internal static partial class ListenerLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Accept failed: {Error}")]
    public static partial void AcceptFailed(ILogger logger, SocketError error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Connection limit {Limit} reached; closing the new connection")]
    public static partial void ConnectionLimitReached(ILogger logger, int limit);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Connection failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception);
}
