using System.Buffers;
using System.IO.Pipelines;
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
    private readonly PolicyServerOptions _options;
    private readonly IPolicyHandler _handler;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SocketListener _listener;

    public PolicyServer(PolicyServerOptions options, IPolicyHandler handler, ILogger<PolicyServer>? logger = null, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _handler = handler;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _listener = new SocketListener(this, options.MaxConnections, _logger);
    }

    /// <summary>The bound endpoints (a configured port 0 shows the real port).</summary>
    public IReadOnlyList<EndPoint> LocalEndPoints => _listener.LocalEndPoints;

    public int ConnectionCount => _listener.ConnectionCount;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _listener.Start(ListenerOptions.ParseEndPoints(_options.TcpEndPoints, "Policy:TcpEndPoints"), _options.UnixSocketPath, _options.UnixSocketMode);
        foreach (var endPoint in _listener.LocalEndPoints)
        {
            PolicyServerLog.Listening(_logger, endPoint);
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, ends open connections and waits for them.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _listener.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    async Task IConnectionHandler.RunConnectionAsync(Socket socket, CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true));
        var request = new PolicyRequest(_options.Limits);
        var output = new ArrayBufferWriter<byte>(512);
        using var timer = _time.CreateTimer(static state => ((PipeReader)state!).CancelPendingRead(), reader, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            while (true)
            {
                timer.Change(request.ByteCount == 0 ? _options.IdleTimeout : _options.RequestTimeout, Timeout.InfiniteTimeSpan);
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                if (result.IsCanceled)
                {
                    PolicyServerLog.Timeout(_logger, socket.RemoteEndPoint, request.ByteCount);
                    return;
                }

                var buffer = result.Buffer;
                var error = Process(ref buffer, request, output);
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

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (request.ByteCount > 0)
                    {
                        PolicyServerLog.Truncated(_logger, socket.RemoteEndPoint, request.ByteCount);
                    }

                    return;
                }
            }
        }
        catch (SocketException ex)
        {
            PolicyServerLog.SocketError(_logger, socket.RemoteEndPoint, ex.SocketErrorCode);
        }
        catch (IOException ex) when (ex.InnerException is SocketException inner)
        {
            PolicyServerLog.SocketError(_logger, socket.RemoteEndPoint, inner.SocketErrorCode);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    // Answers every complete request in the buffer, in order, into one write.
    private PolicyParseError Process(ref ReadOnlySequence<byte> buffer, PolicyRequest request, ArrayBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(buffer);
        PolicyParseError error;
        while (PolicyRequestParser.TryParse(ref reader, request, out error))
        {
            PolicyReply reply;
            try
            {
                reply = _handler.Decide(request);
            }
            catch (Exception ex)
            {
                PolicyServerLog.HandlerFailed(_logger, ex);
                reply = PolicyReply.ServiceUnavailable;
            }

            if (reply.IsDefault)
            {
                reply = PolicyReply.ServiceUnavailable;
            }

            output.Write(reply.Wire.Span);
            request.Reset();
        }

        buffer = buffer.Slice(reader.Position);
        if (error != PolicyParseError.None)
        {
            output.Write(PolicyReplyTexts.ServiceUnavailable);
        }

        return error;
    }
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
