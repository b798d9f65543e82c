using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace Floodgate.Protocols.Smtp;

/// <summary>
/// One client connection: reads command lines, runs them through <see cref="SmtpStateTable"/>,
/// writes replies, frames DATA and switches to TLS. All decisions go to the <see cref="ISmtpSession"/>.
/// </summary>
internal sealed class SmtpConnection : IThreadPoolWorkItem
{
    private const int InitialMessageBufferSize = 16 * 1024;

    // A message buffer up to this size stays with the connection for the next message; a bigger one
    // goes back to the pool so idle connections do not hold megabytes.
    private const int KeptMessageBufferSize = 256 * 1024;

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

    private Stream _stream;
    private PipeReader _reader;
    private PipeWriter _writer;
    private ISmtpSession? _session;

    private SmtpState _state;
    private bool _isTls;
    private bool _authenticated;
    private bool _transactionOpen;
    private bool _discardingLongLine;
    private int _badCommands;

    private AuthStep _authStep;
    private string? _pendingLogin;
    private string? _login;
    private string? _password;

    private byte[]? _message;
    private int _messageLength;
    private bool _messageTooBig;
    private bool _dataAtLineStart;
    private bool _dataPreviousLineEndedWithCrLf;
    private byte _dataPreviousByte;

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
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = PipeReader.Create(_stream, ReaderOptions);
        _writer = PipeWriter.Create(_stream, WriterOptions);
    }

    private enum AuthStep : byte
    {
        None,
        PlainResponse,
        LoginUser,
        LoginPassword,
    }

    private enum Next : byte
    {
        Continue,
        Authenticate,
        Data,
        StartTls,
        Close,
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
        ClearCredentials();
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

        if (_message is not null)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }

        _timeout.Dispose();
        _server.Release(this, _address);
        SmtpServerLog.ConnectionClosed(_server.Logger, _remote);
    }

    private async ValueTask CommandLoopAsync()
    {
        var session = _session!;
        while (true)
        {
            // Graceful stop: a connection outside a transaction leaves at a command boundary.
            if (Volatile.Read(ref _stopRequested) == 1 && !InTransaction && _authStep == AuthStep.None)
            {
                await CloseWithAsync(SmtpReplies.ShuttingDown.ToArray(), timedOut: false).ConfigureAwait(false);
                return;
            }

            var result = await ReadAsync(_options.CommandTimeout, idle: !InTransaction).ConfigureAwait(false);
            var buffer = result.Buffer;
            var readAgain = false;

            while (!readAgain)
            {
                var next = Next.Continue;
                if (!TryReadLine(ref buffer, out var line, out var tooLong))
                {
                    break;
                }

                if (tooLong)
                {
                    _authStep = AuthStep.None;
                    ClearCredentials();
                    next = BadCommand(SmtpReplies.LineTooLong);
                }
                else if (line.IsSingleSegment)
                {
                    next = Dispatch(line.FirstSpan);
                }
                else
                {
                    line.CopyTo(_lineBuffer);
                    next = Dispatch(_lineBuffer.AsSpan(0, (int)line.Length));
                }

                switch (next)
                {
                    case Next.Authenticate:
                        await AuthenticateAsync(session).ConfigureAwait(false);
                        break;

                    case Next.Data:
                        _reader.AdvanceTo(buffer.Start);
                        await FlushAsync().ConfigureAwait(false);
                        if (!await ReceiveMessageAsync(session).ConfigureAwait(false))
                        {
                            return;
                        }

                        readAgain = true;
                        break;

                    case Next.StartTls:
                        // RFC 3207 4.2 / CVE-2011-0411: whatever the client pipelined after STARTTLS
                        // was sent in plain text and is thrown away, not run inside TLS.
                        _reader.AdvanceTo(buffer.End);
                        await FlushAsync().ConfigureAwait(false);
                        if (!await UpgradeToTlsAsync().ConfigureAwait(false))
                        {
                            return;
                        }

                        _state = SmtpState.Connected;
                        _authenticated = false;
                        _transactionOpen = false;
                        session.Reset();
                        readAgain = true;
                        break;

                    case Next.Close:
                        _reader.AdvanceTo(buffer.Start);
                        await FlushAsync().ConfigureAwait(false);
                        return;
                }
            }

            if (readAgain)
            {
                continue;
            }

            // RFC 2920 3.2: replies to a pipelined group go out in one flush, once no complete
            // command is left in the buffer.
            _reader.AdvanceTo(buffer.Start, buffer.End);
            await FlushAsync().ConfigureAwait(false);

            if (result.IsCompleted)
            {
                ResetIfInTransaction();
                return;
            }
        }
    }

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

    /// <summary>
    /// Takes one line (without CR LF) off the buffer. A line longer than MaxLineLength is reported
    /// once its LF arrives; until then its bytes are dropped as they come.
    /// </summary>
    private bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line, out bool tooLong)
    {
        line = default;
        tooLong = false;
        var lf = buffer.PositionOf((byte)'\n');
        if (lf is null)
        {
            if (_discardingLongLine || buffer.Length >= _options.MaxLineLength)
            {
                _discardingLongLine = true;
                buffer = buffer.Slice(buffer.End);
            }

            return false;
        }

        line = buffer.Slice(0, lf.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
        if (_discardingLongLine || line.Length + 1 > _options.MaxLineLength)
        {
            _discardingLongLine = false;
            tooLong = true;
            return true;
        }

        // Commands end in CRLF; a bare LF is tolerated here (never in DATA framing).
        if (line.Length > 0 && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        return true;
    }

    private Next BadCommand(ReadOnlySpan<byte> reply)
    {
        Write(reply);
        if (++_badCommands < _options.MaxBadCommands)
        {
            return Next.Continue;
        }

        SmtpServerLog.TooManyBadCommands(_server.Logger, _remote, _badCommands);
        Write(SmtpReplies.TooManyErrors);
        ResetIfInTransaction();
        return Next.Close;
    }

    private Next Dispatch(ReadOnlySpan<byte> line)
    {
        if (_authStep != AuthStep.None)
        {
            return ContinueAuth(line);
        }

        var parsed = SmtpCommandParser.TryParse(line, out var command);
        if (command.Verb == SmtpVerb.Unknown)
        {
            return BadCommand(command.Error == SmtpParseError.InvalidCharacters ? SmtpReplies.InvalidCharacters : SmtpReplies.UnknownCommand);
        }

        var next = SmtpStateTable.Next(_state, command.Verb);
        if (next == SmtpState.Refused)
        {
            return BadCommand(
                _state == SmtpState.Connected ? SmtpReplies.SendHelloFirst
                : command.Verb == SmtpVerb.Data && _state == SmtpState.MailGiven ? SmtpReplies.NoValidRecipients
                : SmtpReplies.BadSequence);
        }

        if (!parsed)
        {
            return BadCommand(command.Error == SmtpParseError.UnknownParameter ? SmtpReplies.UnknownParameter : SmtpReplies.SyntaxError);
        }

        var session = _session!;
        switch (command.Verb)
        {
            case SmtpVerb.Ehlo:
                ResetTransaction(session);
                WriteEhlo(session);
                _state = next;
                return Next.Continue;

            case SmtpVerb.Helo:
                ResetTransaction(session);
                Write(_server.HeloReply);
                _state = next;
                return Next.Continue;

            case SmtpVerb.StartTls:
                if (_isTls)
                {
                    return BadCommand(SmtpReplies.AlreadyTls);
                }

                if (_server.TlsOptions is null)
                {
                    return BadCommand(SmtpReplies.StartTlsUnavailable);
                }

                Write(SmtpReplies.ReadyToStartTls);
                return Next.StartTls;

            case SmtpVerb.Auth:
                return StartAuth(session, ref command);

            case SmtpVerb.Mail:
                return Mail(session, ref command, next);

            case SmtpVerb.Rcpt:
                return Rcpt(session, ref command, next);

            case SmtpVerb.Data:
                var reply = session.DataStart();
                if (!reply.IsPositive)
                {
                    WriteSessionReply(reply);
                    return Next.Continue;
                }

                Write(reply.Code == 354 ? reply.Wire.Span : SmtpReplies.StartMailInput);
                return Next.Data;

            case SmtpVerb.Rset:
                _transactionOpen = false;
                session.Reset();
                Write(SmtpReplies.ResetOk);
                _state = next;
                return Next.Continue;

            case SmtpVerb.Noop:
                Write(SmtpReplies.Ok);
                return Next.Continue;

            case SmtpVerb.Vrfy:
                Write(SmtpReplies.CannotVrfy);
                return Next.Continue;

            case SmtpVerb.Help:
                Write(SmtpReplies.Help);
                return Next.Continue;

            case SmtpVerb.Quit:
                Write(SmtpReplies.Bye);
                ResetIfInTransaction();
                return Next.Close;

            default:
                return BadCommand(SmtpReplies.UnknownCommand);
        }
    }

    private void ResetTransaction(ISmtpSession session)
    {
        // RFC 5321 4.1.4: EHLO/HELO also clear any transaction in progress.
        _transactionOpen = false;
        session.Reset();
    }

    private void WriteEhlo(ISmtpSession session)
    {
        Write(_server.EhloFirstLine);
        Write(SmtpReplies.EhloPipelining);
        Write(_server.EhloSizeLine);
        Write(SmtpReplies.Ehlo8BitMime);
        if (_server.TlsOptions is not null && !_isTls)
        {
            Write(SmtpReplies.EhloStartTls);
        }

        if (!_authenticated && session.AuthAllowed(_isTls))
        {
            Write(SmtpReplies.EhloAuth);
        }

        Write(SmtpReplies.EhloLast);
    }

    private Next Mail(ISmtpSession session, ref SmtpCommand command, SmtpState next)
    {
        if (!session.MaySubmit)
        {
            Write(SmtpReplies.AuthRequired);
            return Next.Continue;
        }

        // RFC 1870 6.1: a declared size over the limit is refused at MAIL.
        if (command.Size > _options.MaxMessageSize)
        {
            Write(SmtpReplies.MessageTooBig);
            return Next.Continue;
        }

        if (_transactionOpen)
        {
            // A new MAIL after a completed transaction starts from a clean session.
            _transactionOpen = false;
            session.Reset();
        }

        var reply = session.MailFrom(Encoding.ASCII.GetString(command.Argument), command.Size);
        WriteSessionReply(reply);
        if (reply.IsPositive)
        {
            _transactionOpen = true;
            _state = next;
        }

        return Next.Continue;
    }

    private Next Rcpt(ISmtpSession session, ref SmtpCommand command, SmtpState next)
    {
        if (!session.MaySubmit)
        {
            Write(SmtpReplies.AuthRequired);
            return Next.Continue;
        }

        var reply = session.RcptTo(Encoding.ASCII.GetString(command.Argument));
        WriteSessionReply(reply);
        if (reply.IsPositive)
        {
            _state = next;
        }

        return Next.Continue;
    }

    private Next StartAuth(ISmtpSession session, ref SmtpCommand command)
    {
        if (_authenticated)
        {
            return BadCommand(SmtpReplies.AlreadyAuthenticated);
        }

        var plain = Ascii.EqualsIgnoreCase(command.Argument, "PLAIN"u8);
        if (!plain && !Ascii.EqualsIgnoreCase(command.Argument, "LOGIN"u8))
        {
            Write(SmtpReplies.AuthMechanismUnknown);
            return Next.Continue;
        }

        if (!session.AuthAllowed(_isTls))
        {
            Write(SmtpReplies.EncryptionRequired);
            return Next.Continue;
        }

        if (command.InitialResponse.IsEmpty)
        {
            _authStep = plain ? AuthStep.PlainResponse : AuthStep.LoginUser;
            Write(plain ? SmtpReplies.AuthContinue : SmtpReplies.AuthUsername);
            return Next.Continue;
        }

        _authStep = plain ? AuthStep.PlainResponse : AuthStep.LoginUser;
        return ContinueAuth(command.InitialResponse);
    }

    private Next ContinueAuth(ReadOnlySpan<byte> response)
    {
        var step = _authStep;
        _authStep = AuthStep.None;

        // RFC 4954 4: "*" cancels the exchange.
        if (response.SequenceEqual("*"u8))
        {
            ClearCredentials();
            return BadCommand(SmtpReplies.AuthCancelled);
        }

        // Credentials are decoded on the stack and wiped there; only the two strings the session
        // interface needs leave it.
        Span<byte> decoded = stackalloc byte[768];
        var length = 0;
        var ok = response.SequenceEqual("="u8) // RFC 4954 4: "=" is an empty response
            || (Base64.DecodeFromUtf8(response, decoded, out var consumed, out length) == OperationStatus.Done
                && consumed == response.Length
                && Utf8.IsValid(decoded[..length]));
        try
        {
            if (!ok)
            {
                ClearCredentials();
                return BadCommand(SmtpReplies.AuthBadEncoding);
            }

            var text = decoded[..length];
            switch (step)
            {
                case AuthStep.PlainResponse:
                    // RFC 4616 2: [authzid] NUL authcid NUL passwd
                    var first = text.IndexOf((byte)0);
                    var second = first < 0 ? -1 : text[(first + 1)..].IndexOf((byte)0);
                    if (second < 0 || text[(first + 1 + second + 1)..].IndexOf((byte)0) >= 0)
                    {
                        return BadCommand(SmtpReplies.AuthBadEncoding);
                    }

                    var authzid = text[..first];
                    var authcid = text.Slice(first + 1, second);
                    if (!authzid.IsEmpty && !authzid.SequenceEqual(authcid))
                    {
                        // Acting for another identity is not offered.
                        Write(SmtpReplies.AuthorizationIdentityRefused);
                        return Next.Continue;
                    }

                    _login = Encoding.UTF8.GetString(authcid);
                    _password = Encoding.UTF8.GetString(text[(first + 1 + second + 1)..]);
                    return Next.Authenticate;

                case AuthStep.LoginUser:
                    _pendingLogin = Encoding.UTF8.GetString(text);
                    _authStep = AuthStep.LoginPassword;
                    Write(SmtpReplies.AuthPassword);
                    return Next.Continue;

                default:
                    _login = _pendingLogin;
                    _pendingLogin = null;
                    _password = Encoding.UTF8.GetString(text);
                    return Next.Authenticate;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(decoded);
        }
    }

    private async ValueTask AuthenticateAsync(ISmtpSession session)
    {
        var login = _login ?? string.Empty;
        var password = _password ?? string.Empty;
        ClearCredentials();
        var reply = await session.AuthenticateAsync(login, password, _server.AbortToken).ConfigureAwait(false);
        WriteSessionReply(reply);
        if (reply.IsPositive)
        {
            _authenticated = true;
        }
    }

    private void ClearCredentials()
    {
        _pendingLogin = null;
        _login = null;
        _password = null;
    }

    private async ValueTask<bool> UpgradeToTlsAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        _stream = tls;
        _timeout.CancelAfter(_options.CommandTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(_server.TlsOptions!, _timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or SocketException)
        {
            SmtpServerLog.TlsFailed(_server.Logger, _remote, e);
            return false;
        }
        finally
        {
            _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        _isTls = true;
        _reader = PipeReader.Create(tls, ReaderOptions);
        _writer = PipeWriter.Create(tls, WriterOptions);
        return true;
    }

    /// <summary>Reads the message after 354. False when the client went away.</summary>
    private async ValueTask<bool> ReceiveMessageAsync(ISmtpSession session)
    {
        _messageLength = 0;
        _messageTooBig = false;
        _dataAtLineStart = true;
        _dataPreviousLineEndedWithCrLf = true;
        _dataPreviousByte = (byte)'\n';

        while (true)
        {
            var result = await ReadAsync(_options.DataTimeout, idle: false).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (ScanMessage(ref buffer))
            {
                _reader.AdvanceTo(buffer.Start);
                break;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                // The client vanished mid-DATA: nothing is delivered.
                SmtpServerLog.ClientGoneDuringData(_server.Logger, _remote);
                _state = SmtpState.Greeted;
                _transactionOpen = false;
                session.Reset();
                return false;
            }
        }

        _state = SmtpState.Greeted;
        if (_messageTooBig)
        {
            // RFC 1870 6.2: content beyond the limit is read to the end, then refused.
            Write(SmtpReplies.MessageTooBig);
            _transactionOpen = false;
            session.Reset();
        }
        else
        {
            var reply = await session.MessageAsync(_message.AsMemory(0, _messageLength), _server.AbortToken).ConfigureAwait(false);
            WriteSessionReply(reply);
        }

        if (_message is { Length: > KeptMessageBufferSize })
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }

        await FlushAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Copies message content out of <paramref name="buffer"/>, dot-unstuffed (RFC 5321 4.5.2), and
    /// returns true at the end-of-data line. Only CRLF "." CRLF ends the message: a "." line after a
    /// bare LF is content, so a client cannot smuggle a second message past a different parser.
    /// </summary>
    private bool ScanMessage(ref ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> head = stackalloc byte[3];
        while (!reader.End)
        {
            if (_dataAtLineStart)
            {
                reader.TryPeek(out var first);
                if (first == (byte)'.')
                {
                    if (_dataPreviousLineEndedWithCrLf)
                    {
                        var available = (int)Math.Min(3, reader.Remaining);
                        reader.TryCopyTo(head[..available]);
                        if (".\r\n"u8.StartsWith(head[..available]))
                        {
                            if (available < 3)
                            {
                                // Could still be the end line; wait for the rest.
                                break;
                            }

                            reader.Advance(3);
                            buffer = buffer.Slice(reader.Position);
                            return true;
                        }
                    }

                    reader.Advance(1);
                    _dataPreviousByte = (byte)'.';
                }

                _dataAtLineStart = false;
            }

            var start = reader.Position;
            if (reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
            {
                var line = buffer.Slice(start, reader.Position);
                var beforeLf = line.Length >= 2 ? line.Slice(line.Length - 2, 1).FirstSpan[0] : _dataPreviousByte;
                _dataPreviousLineEndedWithCrLf = beforeLf == (byte)'\r';
                Append(line);
                _dataPreviousByte = (byte)'\n';
                _dataAtLineStart = true;
            }
            else
            {
                var rest = buffer.Slice(start);
                Append(rest);
                _dataPreviousByte = rest.Slice(rest.Length - 1).FirstSpan[0];
                reader.AdvanceToEnd();
            }
        }

        buffer = buffer.Slice(reader.Position);
        return false;
    }

    private void Append(ReadOnlySequence<byte> content)
    {
        if (_messageTooBig || content.IsEmpty)
        {
            return;
        }

        var needed = _messageLength + content.Length;
        if (needed > _options.MaxMessageSize)
        {
            _messageTooBig = true;
            return;
        }

        if (_message is null || needed > _message.Length)
        {
            var size = (int)Math.Min(Math.Max(needed, Math.Max(InitialMessageBufferSize, (_message?.Length ?? 0) * 2L)), Array.MaxLength);
            var bigger = ArrayPool<byte>.Shared.Rent(size);
            if (_message is not null)
            {
                _message.AsSpan(0, _messageLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_message);
            }

            _message = bigger;
        }

        content.CopyTo(_message.AsSpan(_messageLength));
        _messageLength = (int)needed;
    }
}
