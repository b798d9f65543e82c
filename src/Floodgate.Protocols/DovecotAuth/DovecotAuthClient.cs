using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Floodgate.Protocols.DovecotAuth;

public enum DovecotAuthOutcome : byte
{
    /// <summary>Dovecot said OK; <see cref="DovecotAuthResult.User"/> is the login it authenticated.</summary>
    Succeeded,

    /// <summary>Dovecot said FAIL (wrong password, unknown user, allow_nets, a CONT this client cannot answer).</summary>
    Failed,

    /// <summary>No answer to trust: not reachable, connection lost, timed out, too many pending, or FAIL with temp.</summary>
    Unavailable,
}

/// <param name="NotSent">With <see cref="DovecotAuthOutcome.Unavailable"/>: the request never left (no connection, the
/// pending bound), so Dovecot never saw the password.</param>
public readonly record struct DovecotAuthResult(DovecotAuthOutcome Outcome, string? User = null, string? Reason = null, bool NotSent = false)
{
    public static readonly DovecotAuthResult Unavailable = new(DovecotAuthOutcome.Unavailable);

    public static readonly DovecotAuthResult Unreachable = new(DovecotAuthOutcome.Unavailable, NotSent: true);
}

/// <summary>
/// A client of Dovecot's auth service (the socket Postfix's smtpd_sasl_type = dovecot uses): one
/// persistent connection, requests multiplexed by id, answered as OK, FAIL or — whenever the answer
/// cannot be trusted — <see cref="DovecotAuthOutcome.Unavailable"/>, never a pass. A lost connection
/// fails what is pending and the next login connects again.
/// </summary>
public sealed class DovecotAuthClient : IAsyncDisposable
{
    private readonly DovecotAuthOptions _options;
    private readonly EndPoint _endPoint;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private Connection? _connection;
    private int _nextId;

    public DovecotAuthClient(DovecotAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        DovecotAuthOptions.TryParseEndPoint(options.EndPoint, out _endPoint, out _);
    }

    /// <summary>Logins waiting for Dovecot's answer.</summary>
    public int Pending => _connection?.Pending.Count ?? 0;

    /// <summary>Connections made so far (the first, then one per reconnect).</summary>
    public int Connections { get; private set; }

    /// <summary>Checks a PLAIN login. Throws only <see cref="OperationCanceledException"/> for the caller's own token.</summary>
    public async ValueTask<DovecotAuthResult> AuthenticateAsync(DovecotAuthRequest request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.Timeout);
        Connection? connection = null;
        uint id = 0;
        try
        {
            connection = await GetConnectionAsync(timeout.Token).ConfigureAwait(false);
            if (connection is null || connection.Pending.Count >= _options.MaxPending)
            {
                return DovecotAuthResult.Unreachable;
            }

            id = unchecked((uint)Interlocked.Increment(ref _nextId));
            var answer = new TaskCompletionSource<DovecotAuthResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.Pending[id] = answer;
            if (!connection.IsOpen)
            {
                // Lost between the lookup and the registration: the reader's sweep may have run already.
                return DovecotAuthResult.Unreachable;
            }

            var length = DovecotAuthWriter.WriteAuth(id, in request, ArrayPool<byte>.Shared, out var buffer);
            try
            {
                if (!await connection.WriteAsync(buffer.AsMemory(0, length), timeout.Token).ConfigureAwait(false))
                {
                    return DovecotAuthResult.Unavailable;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            }

            return await answer.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out (or the client is being disposed): a late answer finds no one waiting and is dropped.
            return DovecotAuthResult.Unavailable;
        }
        finally
        {
            if (id != 0)
            {
                connection?.Pending.TryRemove(id, out _);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _connectLock.Dispose();
        _disposed.Dispose();
    }

    private async ValueTask<Connection?> GetConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        if (current is { IsOpen: true })
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _connection;
            if (current is { IsOpen: true })
            {
                return current;
            }

            if (current is not null)
            {
                await current.DisposeAsync().ConfigureAwait(false);
            }

            var socket = _endPoint is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_endPoint, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                socket.Dispose();
                return null;
            }

            var connection = new Connection(socket);
            if (!await connection.HandshakeAsync(cancellationToken).ConfigureAwait(false))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            Connections++;
            Volatile.Write(ref _connection, connection);
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>One connection: the reader completes pending logins by id; writes are serialised.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly PipeReader _reader;
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _closed = new();
        private Task? _readLoop;
        private int _open = 1;
        private bool _versionOk;
        private bool _plainOffered;

        public Connection(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 4096));
        }

        public ConcurrentDictionary<uint, TaskCompletionSource<DovecotAuthResult>> Pending { get; } = new();

        public bool IsOpen => Volatile.Read(ref _open) == 1;

        /// <summary>Sends VERSION and CPID and waits for DONE: a server that is not Dovecot 1.x or offers no PLAIN is no use.</summary>
        public async Task<bool> HandshakeAsync(CancellationToken cancellationToken)
        {
            _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
            if (!await WriteAsync(DovecotAuthWriter.Handshake(Environment.ProcessId), cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            try
            {
                return await _ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
        {
            if (!IsOpen)
            {
                return false;
            }

            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                Close();
                return false;
            }
            finally
            {
                _writeLock.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            Close();
            if (_readLoop is { } loop)
            {
                await loop.ConfigureAwait(false);
            }

            _writeLock.Dispose();
            _closed.Dispose();
        }

        private void Close()
        {
            if (Interlocked.Exchange(ref _open, 0) == 0)
            {
                return;
            }

            _closed.Cancel();
            _socket.Dispose();
            _ready.TrySetResult(false);

            // Nothing pending may wait for its timeout once the answer can no longer come.
            foreach (var (id, waiting) in Pending)
            {
                if (Pending.TryRemove(id, out _))
                {
                    waiting.TrySetResult(DovecotAuthResult.Unavailable);
                }
            }
        }

        private async Task ReadLoopAsync()
        {
            try
            {
                while (true)
                {
                    var read = await _reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                    var buffer = read.Buffer;
                    if (!Consume(ref buffer))
                    {
                        return;
                    }

                    _reader.AdvanceTo(buffer.Start, buffer.End);
                    if (read.IsCompleted)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Lost: Close below answers every pending login "unavailable".
            }
            finally
            {
                Close();
                await _reader.CompleteAsync().ConfigureAwait(false);
            }
        }

        /// <summary>Handles every complete line; false when the server broke the protocol.</summary>
        private bool Consume(ref ReadOnlySequence<byte> buffer)
        {
            var reader = new SequenceReader<byte>(buffer);
            Span<byte> copy = stackalloc byte[512];
            while (DovecotAuthParser.TryReadLine(ref reader, out var sequence, out _))
            {
                scoped ReadOnlySpan<byte> line;
                if (sequence.IsSingleSegment)
                {
                    line = sequence.FirstSpan;
                }
                else if (sequence.Length <= copy.Length)
                {
                    sequence.CopyTo(copy);
                    line = copy[..(int)sequence.Length];
                }
                else
                {
                    line = sequence.ToArray();
                }

                if (!DovecotAuthParser.TryParse(line, out var parsed, out _) || !Handle(in parsed))
                {
                    return false;
                }
            }

            if (reader.Remaining > DovecotAuthParser.MaxLineLength)
            {
                return false;
            }

            buffer = buffer.Slice(reader.Position);
            return true;
        }

        private bool Handle(in DovecotAuthLine line)
        {
            switch (line.Kind)
            {
                case DovecotAuthLineKind.Version:
                    // Major 1 is the protocol this client speaks; a minor version it does not know adds only lines it ignores.
                    _versionOk = line.MajorVersion == 1;
                    return _versionOk;
                case DovecotAuthLineKind.Mech:
                    _plainOffered |= line.IsPlain;
                    return true;
                case DovecotAuthLineKind.Done:
                    _ready.TrySetResult(_versionOk && _plainOffered);
                    return _versionOk && _plainOffered;
                case DovecotAuthLineKind.Ok:
                    Complete(line.Id, line.User is { Length: > 0 } user
                        ? new DovecotAuthResult(DovecotAuthOutcome.Succeeded, user)
                        : DovecotAuthResult.Unavailable);
                    return true;
                case DovecotAuthLineKind.Fail:
                    Complete(line.Id, new DovecotAuthResult(line.Temporary ? DovecotAuthOutcome.Unavailable : DovecotAuthOutcome.Failed, line.User, line.Reason));
                    return true;
                case DovecotAuthLineKind.Cont:
                    // PLAIN went with its initial response: a challenge is nothing this client can answer.
                    if (Complete(line.Id, new DovecotAuthResult(DovecotAuthOutcome.Failed, null, "unexpected CONT")))
                    {
                        _ = WriteAsync(DovecotAuthWriter.Cancel(line.Id), CancellationToken.None).AsTask();
                    }

                    return true;
                default:
                    return true;
            }
        }

        private bool Complete(uint id, DovecotAuthResult result)
        {
            if (Pending.TryRemove(id, out var waiting))
            {
                waiting.TrySetResult(result);
                return true;
            }

            return false;
        }
    }
}
