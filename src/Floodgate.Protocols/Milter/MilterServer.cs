using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Floodgate.Protocols.Listening;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Protocols.Milter;

/// <summary>
/// A milter (Sendmail/Postfix content filter protocol, version 6) server. One session per connection;
/// the MTA's packets are answered in order. Protocol errors (unknown or out-of-order commands, malformed
/// or oversized packets, a stalled sender) close the connection; Postfix then applies
/// milter_default_action (tempfail unless configured otherwise).
/// </summary>
public sealed class MilterServer : IConnectionHandler, IAsyncDisposable
{
    private readonly MilterServerOptions _options;
    private readonly IMilterSessionFactory _factory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SocketListener _listener;
    private readonly byte[] _macroRequests;

    public MilterServer(MilterServerOptions options, IMilterSessionFactory factory, ILogger<MilterServer>? logger = null, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _factory = factory;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _macroRequests = options.EncodeMacroRequests();
        _listener = new SocketListener(this, options.MaxConnections, _logger);
    }

    public IReadOnlyList<EndPoint> LocalEndPoints => _listener.LocalEndPoints;

    public int ConnectionCount => _listener.ConnectionCount;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _listener.Start(ListenerOptions.ParseEndPoints(_options.TcpEndPoints, "Milter:TcpEndPoints"), _options.UnixSocketPath, _options.UnixSocketMode);
        foreach (var endPoint in _listener.LocalEndPoints)
        {
            MilterServerLog.Listening(_logger, endPoint);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _listener.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    async Task IConnectionHandler.RunConnectionAsync(Socket socket, CancellationToken cancellationToken)
    {
        var remote = socket.RemoteEndPoint;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
        var output = new ArrayBufferWriter<byte>(256);
        var connection = new MilterConnection(_options, _macroRequests, _factory, new MilterConnectionInfo(remote));
        byte[]? scratch = null;
        using var timer = _time.CreateTimer(static state => ((PipeReader)state!).CancelPendingRead(), reader, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            var pending = 0L;
            while (true)
            {
                timer.Change(pending == 0 ? _options.IdleTimeout : _options.PacketTimeout, Timeout.InfiniteTimeSpan);
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                if (result.IsCanceled)
                {
                    MilterServerLog.Timeout(_logger, remote, pending);
                    return;
                }

                var buffer = result.Buffer;
                while (true)
                {
                    if (!TryReadPacket(ref buffer, _options.MaxPacketDataSize, out var command, out var data, out var readError))
                    {
                        if (readError != MilterReadError.None)
                        {
                            MilterServerLog.BadFrame(_logger, remote, readError);
                            await FlushAsync(socket, output, cancellationToken).ConfigureAwait(false);
                            return;
                        }

                        break;
                    }

                    var memory = Contiguous(data, ref scratch);
                    MilterStep step;
                    try
                    {
                        step = connection.Handle(command, memory, output);
                        if (step == MilterStep.Pending)
                        {
                            // The packet's bytes stay where they are until the decision is made (the reader is not advanced).
                            connection.CompletePending(await connection.Pending.ConfigureAwait(false), output);
                            step = MilterStep.Continue;
                        }
                        else if (step == MilterStep.EndOfMessage)
                        {
                            // Send what is queued first: the MTA waits for nothing, but a slow decision
                            // must not hold earlier replies back.
                            await FlushAsync(socket, output, cancellationToken).ConfigureAwait(false);
                            var decision = await DecideAsync(connection, socket, cancellationToken).ConfigureAwait(false);
                            connection.CompleteEndOfMessage(decision, output);
                            step = MilterStep.Continue;
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException and not SocketException and not IOException)
                    {
                        MilterServerLog.SessionFailed(_logger, remote, ex);
                        output.ResetWrittenCount();
                        MilterWriter.WriteDecision(output, MilterDecision.Tempfail);
                        await FlushAsync(socket, output, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    if (step == MilterStep.Close)
                    {
                        if (connection.Error != MilterProtocolError.None)
                        {
                            MilterServerLog.ProtocolError(_logger, remote, connection.Error, (char)command, connection.State);
                        }

                        await FlushAsync(socket, output, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                }

                await FlushAsync(socket, output, cancellationToken).ConfigureAwait(false);
                pending = buffer.Length;
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (pending > 0)
                    {
                        MilterServerLog.Truncated(_logger, remote, pending);
                    }

                    return;
                }
            }
        }
        catch (SocketException ex)
        {
            MilterServerLog.SocketError(_logger, remote, ex.SocketErrorCode);
        }
        catch (IOException ex) when (ex.InnerException is SocketException inner)
        {
            MilterServerLog.SocketError(_logger, remote, inner.SocketErrorCode);
        }
        finally
        {
            try
            {
                connection.Close();
            }
            catch (Exception ex)
            {
                MilterServerLog.SessionFailed(_logger, remote, ex);
            }

            await reader.CompleteAsync().ConfigureAwait(false);
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    // Sends SMFIR_PROGRESS while a slow decision runs so that Postfix's milter_content_timeout restarts.
    private async ValueTask<MilterDecision> DecideAsync(MilterConnection connection, Socket socket, CancellationToken cancellationToken)
    {
        var pending = connection.DecideEndOfMessageAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            return pending.Result;
        }

        var task = pending.AsTask();
        while (true)
        {
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var tick = Task.Delay(_options.ProgressInterval, _time, delay.Token);
            if (await Task.WhenAny(task, tick).ConfigureAwait(false) == task)
            {
                await delay.CancelAsync().ConfigureAwait(false);
                return await task.ConfigureAwait(false);
            }

            await socket.SendAsync(MilterReplyBytes.Progress, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool TryReadPacket(ref ReadOnlySequence<byte> buffer, int maxDataSize, out byte command, out ReadOnlySequence<byte> data, out MilterReadError error)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!MilterPacketReader.TryRead(ref reader, maxDataSize, out var packet, out error))
        {
            command = 0;
            data = default;
            return false;
        }

        command = packet.Command;
        data = packet.Data;
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    // Most packets lie in one segment; a packet across segments is copied once into a pooled buffer.
    private static ReadOnlyMemory<byte> Contiguous(in ReadOnlySequence<byte> data, ref byte[]? scratch)
    {
        if (data.IsSingleSegment)
        {
            return data.First;
        }

        var length = (int)data.Length;
        if (scratch is null || scratch.Length < length)
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }

            scratch = ArrayPool<byte>.Shared.Rent(length);
        }

        data.CopyTo(scratch);
        return scratch.AsMemory(0, length);
    }

    private static async ValueTask FlushAsync(Socket socket, ArrayBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        if (output.WrittenCount > 0)
        {
            await socket.SendAsync(output.WrittenMemory, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            output.ResetWrittenCount();
        }
    }
}

internal static class MilterReplyBytes
{
    public static readonly byte[] Progress = MilterReplyTexts.Progress.ToArray();
}

internal static partial class MilterServerLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Milter server listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Milter connection from {Remote}: bad frame ({Error}); closed")]
    public static partial void BadFrame(ILogger logger, EndPoint? remote, MilterReadError error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Milter connection from {Remote}: {Error} on command '{Command}' in state {State}; closed")]
    public static partial void ProtocolError(ILogger logger, EndPoint? remote, MilterProtocolError error, char command, MilterState state);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Milter connection from {Remote} timed out with {Pending} bytes of a packet pending")]
    public static partial void Timeout(ILogger logger, EndPoint? remote, long pending);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Milter connection from {Remote} closed inside a packet after {Pending} bytes")]
    public static partial void Truncated(ILogger logger, EndPoint? remote, long pending);

    [LoggerMessage(EventId = 305, Level = LogLevel.Error, Message = "Milter session for {Remote} failed; answered tempfail and closed")]
    public static partial void SessionFailed(ILogger logger, EndPoint? remote, Exception exception);

    [LoggerMessage(EventId = 306, Level = LogLevel.Debug, Message = "Milter connection from {Remote} ended: {Error}")]
    public static partial void SocketError(ILogger logger, EndPoint? remote, SocketError error);
}
