using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Floodgate.Protocols.Listening;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// A Postfix policy delegation server (SMTPD_POLICY_README). Connections are persistent and carry any
/// number of requests; pipelined requests are answered in order. A malformed or oversized request is
/// answered with <c>action=DEFER_IF_PERMIT Service temporarily unavailable</c> and the connection is
/// closed, because the rest of the stream cannot be trusted; Postfix reconnects for the next request.
/// </summary>
public sealed class PolicyServer : IConnectionHandler, IAsyncDisposable
{
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    private readonly PolicyServerOptions _options;
    private readonly IPolicyHandler _handler;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SocketListener _listener;
    private readonly ConcurrentDictionary<Connection, byte> _open = new();
    private readonly long _idleTicks;
    private readonly long _requestTicks;
    private ITimer? _sweep;

    public PolicyServer(PolicyServerOptions options, IPolicyHandler handler, ILogger<PolicyServer>? logger = null, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _handler = handler;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _listener = new SocketListener(this, options.MaxConnections, _logger);
        _idleTicks = ToTicks(options.IdleTimeout, _time);
        _requestTicks = ToTicks(options.RequestTimeout, _time);
    }

    private static long ToTicks(TimeSpan timeout, TimeProvider time) => (long)Math.Min(long.MaxValue / 4, timeout.TotalSeconds * time.TimestampFrequency);

    /// <summary>The bound endpoints (a configured port 0 shows the real port).</summary>
    public IReadOnlyList<EndPoint> LocalEndPoints => _listener.LocalEndPoints;

    public int ConnectionCount => _listener.ConnectionCount;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _listener.Start(ListenerOptions.ParseEndPoints(_options.TcpEndPoints, "Policy:TcpEndPoints"), _options.UnixSocketPath, _options.UnixSocketMode);
        var period = TimeSpan.FromTicks(Math.Min(SweepPeriod.Ticks, Math.Min(_options.IdleTimeout.Ticks, _options.RequestTimeout.Ticks) / 4));
        _sweep = _time.CreateTimer(static state => ((PolicyServer)state!).SweepTimeouts(), this, period, period);
        foreach (var endPoint in _listener.LocalEndPoints)
        {
            PolicyServerLog.Listening(_logger, endPoint);
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, ends open connections and waits for them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _listener.StopAsync(cancellationToken).ConfigureAwait(false);
        _sweep?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        _sweep?.Dispose();
    }

    async Task IConnectionHandler.RunConnectionAsync(Socket socket, CancellationToken cancellationToken)
    {
        // Straight on the socket, as the no-op responder of bench/Floodgate.LoadGen is: a NetworkStream
        // and a PipeReader added two async layers per request, and a timer re-armed twice per read took
        // the timer queue's lock each time. The deadline is now a field the sweep reads (see Connection).
        using var connection = new Connection(cancellationToken);
        _open.TryAdd(connection, 0);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var request = new PolicyRequest(_options.Limits);
        var output = new ArrayBufferWriter<byte>(512);
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    // Only an unfinished line is kept between reads; the parser refuses one longer than the limit.
                    buffer = Compact(buffer, ref start, ref end);
                }

                connection.Arm(_time, request.ByteCount == 0 ? _idleTicks : _requestTicks);
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, connection.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (connection.TimedOut && !cancellationToken.IsCancellationRequested)
                {
                    PolicyServerLog.Timeout(_logger, socket.RemoteEndPoint, request.ByteCount);
                    return;
                }

                connection.Disarm();
                if (read == 0)
                {
                    if (request.ByteCount > 0)
                    {
                        PolicyServerLog.Truncated(_logger, socket.RemoteEndPoint, request.ByteCount);
                    }

                    return;
                }

                end += read;
                var data = new ReadOnlySequence<byte>(buffer, start, end - start);
                // Every complete request in the buffer, in order, answered into one write. The buffer is
                // not touched while a decision waits: the request points into it.
                PolicyParseError error;
                while (TryParse(ref data, request, out error))
                {
                    output.Write((await DecideAsync(request).ConfigureAwait(false)).Wire.Span);
                    request.Reset();
                }

                if (error != PolicyParseError.None)
                {
                    output.Write(PolicyReplyTexts.ServiceUnavailable);
                }

                if (output.WrittenCount > 0)
                {
                    await socket.SendAsync(output.WrittenMemory, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    output.ResetWrittenCount();
                }

                if (error != PolicyParseError.None)
                {
                    PolicyServerLog.BadRequest(_logger, socket.RemoteEndPoint, error);
                    return;
                }

                start = end - (int)data.Length;
                if (start == end)
                {
                    start = end = 0;
                }
            }
        }
        catch (SocketException ex)
        {
            PolicyServerLog.SocketError(_logger, socket.RemoteEndPoint, ex.SocketErrorCode);
        }
        finally
        {
            _open.TryRemove(connection, out _);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Moves the unfinished line to the front, or doubles the buffer when the line fills it.
    private static byte[] Compact(byte[] buffer, ref int start, ref int end)
    {
        var target = start == 0 ? ArrayPool<byte>.Shared.Rent(buffer.Length * 2) : buffer;
        buffer.AsSpan(start, end - start).CopyTo(target);
        end -= start;
        start = 0;
        if (!ReferenceEquals(target, buffer))
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return target;
    }

    // Ends the pending read of every connection past its deadline. Runs every SweepPeriod, so a
    // timeout fires up to that much late (the defaults are 100 s and 310 s).
    private void SweepTimeouts()
    {
        var now = _time.GetTimestamp();
        foreach (var (connection, _) in _open)
        {
            connection.CancelIfPast(now);
        }
    }

    /// <summary>One connection's deadline and the means to end its pending read.</summary>
    private sealed class Connection(CancellationToken stopping) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private long _deadline = long.MaxValue;

        public CancellationToken Token => _cancel.Token;

        public bool TimedOut { get; private set; }

        public void Arm(TimeProvider time, long ticks) => Volatile.Write(ref _deadline, time.GetTimestamp() + ticks);

        public void Disarm() => Volatile.Write(ref _deadline, long.MaxValue);

        public void CancelIfPast(long now)
        {
            if (now >= Volatile.Read(ref _deadline) && !TimedOut)
            {
                TimedOut = true;
                try
                {
                    _cancel.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The connection ended meanwhile.
                }
            }
        }

        public void Dispose() => _cancel.Dispose();
    }

    // The next complete request, or false (an unfinished one, or an error); data moves past what was read.
    private static bool TryParse(ref ReadOnlySequence<byte> data, PolicyRequest request, out PolicyParseError error)
    {
        var reader = new SequenceReader<byte>(data);
        var parsed = PolicyRequestParser.TryParse(ref reader, request, out error);
        data = data.Slice(reader.Position);
        return parsed;
    }

    private ValueTask<PolicyReply> DecideAsync(PolicyRequest request)
    {
        ValueTask<PolicyReply> pending;
        try
        {
            pending = _handler.DecideAsync(request);
        }
        catch (Exception ex)
        {
            PolicyServerLog.HandlerFailed(_logger, ex);
            return ValueTask.FromResult(PolicyReply.ServiceUnavailable);
        }

        return pending.IsCompletedSuccessfully ? ValueTask.FromResult(Valid(pending.Result)) : AwaitDecisionAsync(pending);
    }

    private async ValueTask<PolicyReply> AwaitDecisionAsync(ValueTask<PolicyReply> pending)
    {
        try
        {
            return Valid(await pending.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            PolicyServerLog.HandlerFailed(_logger, ex);
            return PolicyReply.ServiceUnavailable;
        }
    }

    private static PolicyReply Valid(PolicyReply reply) => reply.IsDefault ? PolicyReply.ServiceUnavailable : reply;
}

internal static partial class PolicyServerLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Policy server listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Policy request from {Remote} refused ({Error}); answered DEFER_IF_PERMIT and closed")]
    public static partial void BadRequest(ILogger logger, EndPoint? remote, PolicyParseError error);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Policy connection from {Remote} timed out with {Pending} bytes of a request pending")]
    public static partial void Timeout(ILogger logger, EndPoint? remote, int pending);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Policy connection from {Remote} closed inside a request after {Pending} bytes")]
    public static partial void Truncated(ILogger logger, EndPoint? remote, int pending);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Policy handler failed; answered DEFER_IF_PERMIT")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 205, Level = LogLevel.Debug, Message = "Policy connection from {Remote} ended: {Error}")]
    public static partial void SocketError(ILogger logger, EndPoint? remote, SocketError error);
}
