using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;

namespace Floodgate.Protocols.Smtp;

/// <summary>
/// One client connection. This file holds its lifetime and its I/O; the jobs are in the other
/// parts: the command loop (<c>SmtpConnection.Commands.cs</c>), AUTH (<c>SmtpConnection.Auth.cs</c>,
/// the exchange itself in <see cref="SmtpAuthExchange"/>), DATA (<c>SmtpConnection.Data.cs</c>, the
/// framing in <see cref="SmtpDataReader"/>) and STARTTLS (<c>SmtpConnection.Tls.cs</c>). All
/// decisions go to the <see cref="ISmtpSession"/>.
/// </summary>
internal sealed partial class SmtpConnection : IThreadPoolWorkItem
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(leaveOpen: true);
    private static readonly StreamPipeWriterOptions WriterOptions = new(leaveOpen: true);

    private readonly SmtpServer _server;
    private readonly SmtpServerOptions _options;
    private readonly Socket _socket;
    private readonly SmtpListenerOptions _listener;
    private readonly IPEndPoint _remote;
    private readonly IPAddress _address;
    private readonly CancellationTokenSource _timeout;
    private readonly byte[] _lineBuffer;
    private readonly long _openedAt;

    private Stream _stream;
    private PipeReader _reader;
    private PipeWriter _writer;
    private ISmtpSession? _session;

    private SmtpState _state;
    private bool _isTls;
    private bool _authenticated;
    private bool _transactionOpen;

    private int _stopRequested;
    private int _waitingIdle;

    public SmtpConnection(SmtpServer server, Socket socket, SmtpListenerOptions listener, IPEndPoint remote, IPAddress address)
    {
        _server = server;
        _options = server.Options;
        _socket = socket;
        _listener = listener;
        _remote = remote;
        _address = address;
        _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, server.TimeProvider);
        _lineBuffer = new byte[_options.MaxLineLength];
        _openedAt = server.TimeProvider.GetTimestamp();
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = PipeReader.Create(_stream, ReaderOptions);
        _writer = PipeWriter.Create(_stream, WriterOptions);
    }

    private bool InTransaction => _state is SmtpState.MailGiven or SmtpState.RcptGiven;

    void IThreadPoolWorkItem.Execute() => _ = RunAsync();

    /// <summary>Called by StopAsync: a connection waiting for a command outside a transaction closes now.</summary>
    public void RequestStop()
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        if (Interlocked.CompareExchange(ref _waitingIdle, 0, 0) == 1)
        {
            CancelTimeout();
        }
    }

    private void CancelTimeout()
    {
        try
        {
            _timeout.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync()
    {
        SmtpServerLog.ConnectionOpened(_server.Logger, _remote, _listener.Name);
        using var abort = _server.AbortToken.UnsafeRegister(static state => ((SmtpConnection)state!).CancelTimeout(), this);
        try
        {
            if (_listener.Mode == SmtpListenerMode.ImplicitTls && !await UpgradeToTlsAsync().ConfigureAwait(false))
            {
                return;
            }

            _session = _server.SessionFactoryOpen(new SmtpConnectionInfo(_remote, (IPEndPoint)_socket.LocalEndPoint!, _listener.Name));
            Write(_server.Greeting);
            await FlushAsync().ConfigureAwait(false);
            await CommandLoopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await CloseWithAsync(
                Volatile.Read(ref _stopRequested) == 1 || _server.AbortToken.IsCancellationRequested
                    ? SmtpReplies.ShuttingDown.ToArray()
                    : SmtpReplies.IdleTimeout.ToArray(),
                timedOut: Volatile.Read(ref _stopRequested) == 0 && !_server.AbortToken.IsCancellationRequested).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or AuthenticationException)
        {
            SmtpServerLog.ConnectionLost(_server.Logger, _remote, e);
            ResetIfInTransaction();
        }
        catch (Exception e)
        {
            // A failing session must cost one connection, not the server.
            SmtpServerLog.ConnectionFailed(_server.Logger, _remote, e);
            await CloseWithAsync(SmtpReplies.InternalError.ToArray(), timedOut: false).ConfigureAwait(false);
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask CloseWithAsync(byte[] reply, bool timedOut)
    {
        if (timedOut)
        {
            SmtpServerLog.TimedOut(_server.Logger, _remote);
        }

        ResetIfInTransaction();
        try
        {
            // A fresh token: the connection's own may be the one that just fired.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            Write(reply);
            await _writer.FlushAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
    }

    private void ResetIfInTransaction()
    {
        if (_transactionOpen || InTransaction)
        {
            _transactionOpen = false;
            _session?.Reset();
        }
    }

    private async ValueTask CloseAsync()
    {
        _auth?.Abandon();
        try
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();

        if (_session is not null)
        {
            try
            {
                await _session.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                SmtpServerLog.ConnectionFailed(_server.Logger, _remote, e);
            }
        }

        _timeout.Dispose();
        _server.Release(this, _address);
        SmtpServerLog.ConnectionClosed(_server.Logger, _remote);
    }

    // Pooled: a read that has to wait would otherwise allocate its state machine, once per command
    // group and per DATA block.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadAsync(TimeSpan timeout, bool idle)
    {
        if (idle)
        {
            Interlocked.Exchange(ref _waitingIdle, 1);
            if (Volatile.Read(ref _stopRequested) == 1)
            {
                CancelTimeout();
            }
        }

        _timeout.CancelAfter(timeout);
        try
        {
            return await _reader.ReadAsync(_timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Exchange(ref _waitingIdle, 0);
            _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushAsync()
    {
        if (_writer.UnflushedBytes == 0)
        {
            return;
        }

        _timeout.CancelAfter(_options.CommandTimeout);
        try
        {
            await _writer.FlushAsync(_timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    private void Write(ReadOnlySpan<byte> reply) => _writer.Write(reply);

    private void WriteSessionReply(SmtpReply reply)
    {
        // An empty reply would leave the client waiting forever; treat it as the session failing.
        if (reply.Wire.IsEmpty)
        {
            throw new InvalidOperationException("The SMTP session returned an empty reply.");
        }

        _writer.Write(reply.Wire.Span);
    }
}
