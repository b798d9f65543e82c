using System.Buffers;
using System.Text;

namespace Floodgate.Protocols.Smtp;

// The command loop: lines off the pipe, the state table, the replies to everything but AUTH, DATA
// content and the TLS handshake.
internal sealed partial class SmtpConnection
{
    private bool _discardingLongLine;
    private int _badCommands;
    private int _junkCommands;

    private enum Next : byte
    {
        Continue,
        Authenticate,
        Data,
        StartTls,
        Close,

        // MAIL and RCPT past the wire's own checks: the session's answer may wait (a shared counter store).
        Mail,
        Rcpt,
    }

    // The argument of the MAIL or RCPT being answered (Dispatch reads spans; the answer may wait).
    private string _pendingPath = string.Empty;
    private long _pendingSize;
    private SmtpState _pendingState;

    private async ValueTask CommandLoopAsync()
    {
        var session = _session!;
        while (true)
        {
            // Graceful stop: a connection outside a transaction leaves at a command boundary.
            if (Volatile.Read(ref _stopRequested) == 1 && !InTransaction && _auth is not { InProgress: true })
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
                    _auth?.Abandon();
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

                    case Next.Mail:
                        await MailAsync(session).ConfigureAwait(false);
                        break;

                    case Next.Rcpt:
                        await RcptAsync(session).ConfigureAwait(false);
                        break;
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
        if (_server.TimeProvider.GetElapsedTime(_openedAt) >= _options.MaxSessionLifetime)
        {
            SmtpServerLog.SessionTooLong(_server.Logger, _remote);
            Write(_server.SessionTooLongReply);
            _auth?.Abandon();
            ResetIfInTransaction();
            return Next.Close;
        }

        if (_auth is { InProgress: true })
        {
            return ContinueAuth(line);
        }

        var parsed = SmtpCommandParser.TryParse(line, out var command);
        if (command.Verb == SmtpVerb.Unknown)
        {
            return BadCommand(command.Error == SmtpParseError.InvalidCharacters ? SmtpReplies.InvalidCharacters : SmtpReplies.UnknownCommand);
        }

        var next = SmtpStateTable.Next(_server.Dialect, _state, command.Verb);
        if (next == SmtpState.NotInDialect)
        {
            // LMTP names HELO and EHLO (RFC 2033 4.1); anything else not of the dialect is unknown in it.
            return BadCommand(command.Verb is SmtpVerb.Helo or SmtpVerb.Ehlo ? Lmtp.LmtpReplies.UseLhlo : SmtpReplies.UnknownCommand);
        }

        if (next == SmtpState.Refused)
        {
            return BadCommand(
                _state == SmtpState.Connected ? _server.SendHelloFirstReply
                : command.Verb == SmtpVerb.Data && _state == SmtpState.MailGiven ? _server.NoValidRecipientsReply
                : SmtpReplies.BadSequence);
        }

        if (!parsed)
        {
            return BadCommand(command.Error == SmtpParseError.UnknownParameter ? SmtpReplies.UnknownParameter : SmtpReplies.SyntaxError);
        }

        // Postfix's smtpd_junk_command_limit: these keep a connection busy without sending mail.
        if (command.Verb is SmtpVerb.Noop or SmtpVerb.Rset or SmtpVerb.Help or SmtpVerb.Vrfy && IsJunkPastLimit())
        {
            return Next.Close;
        }

        var session = _session!;
        switch (command.Verb)
        {
            case SmtpVerb.Ehlo:
            case SmtpVerb.Lhlo:
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
                Write(_server.HelpReply);
                return Next.Continue;

            case SmtpVerb.Quit:
                Write(SmtpReplies.Bye);
                ResetIfInTransaction();
                return Next.Close;

            default:
                return BadCommand(SmtpReplies.UnknownCommand);
        }
    }

    /// <summary>
    /// Counts a command that makes no progress; past the limit, writes 421 and ends the
    /// transaction (the caller closes). Only an accepted message starts the count again.
    /// </summary>
    private bool IsJunkPastLimit()
    {
        if (++_junkCommands <= _options.MaxJunkCommands)
        {
            return false;
        }

        SmtpServerLog.TooManyJunkCommands(_server.Logger, _remote, _junkCommands - 1);
        Write(_server.TooManyJunkCommandsReply);
        ResetIfInTransaction();
        return true;
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

        _pendingPath = Encoding.ASCII.GetString(command.Argument);
        _pendingSize = command.Size;
        _pendingState = next;
        return Next.Mail;
    }

    private async ValueTask MailAsync(ISmtpSession session)
    {
        var reply = await session.MailFromAsync(_pendingPath, _pendingSize, _server.AbortToken).ConfigureAwait(false);
        WriteSessionReply(reply);
        if (reply.IsPositive)
        {
            _transactionOpen = true;
            _state = _pendingState;
        }
    }

    private Next Rcpt(ISmtpSession session, ref SmtpCommand command, SmtpState next)
    {
        if (!session.MaySubmit)
        {
            Write(SmtpReplies.AuthRequired);
            return Next.Continue;
        }

        _pendingPath = Encoding.ASCII.GetString(command.Argument);
        _pendingState = next;
        return Next.Rcpt;
    }

    private async ValueTask RcptAsync(ISmtpSession session)
    {
        var reply = await session.RcptToAsync(_pendingPath, _server.AbortToken).ConfigureAwait(false);
        WriteSessionReply(reply);
        if (reply.IsPositive)
        {
            _state = _pendingState;
        }
    }
}
