using System.Buffers;
using System.Buffers.Binary;

namespace Floodgate.Protocols.Milter;

internal enum MilterStep : byte
{
    Continue,
    /// <summary>MAIL or RCPT is deciding: await <see cref="MilterConnection.Pending"/>, then <see cref="MilterConnection.CompletePending"/>.</summary>
    Pending,
    EndOfMessage,
    Close,
}

internal enum MilterProtocolError : byte
{
    None,
    UnknownCommand,
    CommandOutOfOrder,
    MalformedPacket,
    UnsupportedVersion,
    SessionFailed,
}

/// <summary>
/// The protocol logic of one milter connection, independent of the socket: takes packets, calls the
/// session, writes replies. Follows <see cref="MilterStateTable"/>.
/// </summary>
internal sealed class MilterConnection
{
    private static readonly MilterDecision MessageTooBig = MilterDecision.FromReplyText(MilterReplyTexts.MessageTooBig);
    private readonly MilterServerOptions _options;
    private readonly byte[] _macroRequests;
    private readonly IMilterSessionFactory _factory;
    private readonly MilterConnectionInfo _info;
    private MilterState _state;
    private MilterProtocolFlags _protocol;
    private long _messageSize;
    private bool _oversized;
    private bool _oversizeReported;
    private bool _sessionOpen;
    private MilterProtocolFlags _pendingFlag;

    public MilterConnection(MilterServerOptions options, byte[] macroRequests, IMilterSessionFactory factory, MilterConnectionInfo info)
    {
        _options = options;
        _macroRequests = macroRequests;
        _factory = factory;
        _info = info;
        Macros = new MilterMacros();
        EndOfMessage = new MilterEndOfMessage(Macros);
        Session = factory.Open(info);
        _sessionOpen = true;
    }

    public IMilterSession Session { get; private set; }

    public MilterMacros Macros { get; }

    public MilterEndOfMessage EndOfMessage { get; }

    public MilterActions Actions { get; private set; }

    public MilterProtocolError Error { get; private set; }

    public MilterState State => _state;

    public MilterStep Handle(byte command, ReadOnlyMemory<byte> data, IBufferWriter<byte> output)
    {
        if (!MilterStateTable.TryNext(_state, command, _protocol, out var next))
        {
            return Fail(Enum.IsDefined((MilterCommand)command) ? MilterProtocolError.CommandOutOfOrder : MilterProtocolError.UnknownCommand);
        }

        var span = data.Span;
        var previous = _state;
        _state = next;
        switch ((MilterCommand)command)
        {
            case MilterCommand.OptionNegotiation:
                return Negotiate(span, output);

            case MilterCommand.Macro:
                return span.IsEmpty || !Macros.Set(span[0], span[1..]) ? Fail(MilterProtocolError.MalformedPacket) : MilterStep.Continue;

            case MilterCommand.Connect:
                if (!TryParseConnect(span, out var client))
                {
                    return Fail(MilterProtocolError.MalformedPacket);
                }

                Reply(Session.OnConnect(client, Macros), MilterProtocolFlags.NoReplyConnect, output);
                return MilterStep.Continue;

            case MilterCommand.Helo:
                if (!TryReadString(span, out var helo, out _))
                {
                    return Fail(MilterProtocolError.MalformedPacket);
                }

                AbortIfInMessage(previous);
                Reply(Session.OnHelo(helo, Macros), MilterProtocolFlags.NoReplyHelo, output);
                return MilterStep.Continue;

            case MilterCommand.Mail:
                // The MAIL macros arrived just before this packet and belong to the new message.
                AbortIfInMessage(previous, keepMailMacros: true);
                return Decided(Session.OnMailFromAsync(new MilterArguments(span), Macros), MilterProtocolFlags.NoReplyMail, output);

            case MilterCommand.Rcpt:
                return Decided(Session.OnRecipientAsync(new MilterArguments(span), Macros), MilterProtocolFlags.NoReplyRcpt, output);

            case MilterCommand.Data:
                Reply(Session.OnData(Macros), MilterProtocolFlags.NoReplyData, output);
                return MilterStep.Continue;

            case MilterCommand.Header:
                if (!TryReadString(span, out var name, out var rest) || !TryReadString(rest, out var value, out _))
                {
                    return Fail(MilterProtocolError.MalformedPacket);
                }

                // As the header appears in the message: name, ": ", value, CRLF.
                if (Count(name.Length + value.Length + 4))
                {
                    Session.OnHeader(name, value);
                }

                ReplyOrOversize(MilterProtocolFlags.NoReplyHeader, output);
                return MilterStep.Continue;

            case MilterCommand.EndOfHeaders:
                if (_oversized)
                {
                    ReplyOrOversize(MilterProtocolFlags.NoReplyEndOfHeaders, output);
                }
                else
                {
                    Reply(Session.OnEndOfHeaders(Macros), MilterProtocolFlags.NoReplyEndOfHeaders, output);
                }

                return MilterStep.Continue;

            case MilterCommand.Body:
                if (Count(data.Length))
                {
                    Session.OnBodyChunk(data);
                }

                ReplyOrOversize(MilterProtocolFlags.NoReplyBody, output);
                return MilterStep.Continue;

            case MilterCommand.EndOfBody:
                // Postfix may put the last body bytes into the EOB packet.
                if (!span.IsEmpty && Count(data.Length))
                {
                    Session.OnBodyChunk(data);
                }

                return MilterStep.EndOfMessage;

            case MilterCommand.Abort:
                // Always passed on, also between messages: a session's reset must be idempotent anyway.
                Session.OnAbort();
                ResetMessage();
                return MilterStep.Continue;

            case MilterCommand.Unknown:
                Reply(MilterDecision.Continue, MilterProtocolFlags.NoReplyUnknown, output);
                return MilterStep.Continue;

            case MilterCommand.QuitNewConnection:
                // The MTA reuses this socket for its next SMTP connection: a fresh session, same options.
                AbortIfInMessage(previous);
                Close();
                Macros.ClearAll();
                Session = _factory.Open(_info);
                _sessionOpen = true;
                return MilterStep.Continue;

            default:
                return MilterStep.Close;
        }
    }

    /// <summary>The MAIL or RCPT decision still being made (after <see cref="MilterStep.Pending"/>).</summary>
    public ValueTask<MilterDecision> Pending { get; private set; }

    /// <summary>Replies with the decision <see cref="Pending"/> gave.</summary>
    public void CompletePending(MilterDecision decision, IBufferWriter<byte> output)
    {
        Pending = default;
        Reply(decision, _pendingFlag, output);
    }

    // Most decisions are made at once and answered here; one that waits is answered by CompletePending.
    private MilterStep Decided(ValueTask<MilterDecision> decision, MilterProtocolFlags noReply, IBufferWriter<byte> output)
    {
        if (decision.IsCompletedSuccessfully)
        {
            Reply(decision.Result, noReply, output);
            return MilterStep.Continue;
        }

        Pending = decision;
        _pendingFlag = noReply;
        return MilterStep.Pending;
    }

    /// <summary>Asks the session for the final decision (or refuses an oversized message without asking).</summary>
    public ValueTask<MilterDecision> DecideEndOfMessageAsync(CancellationToken cancellationToken)
    {
        EndOfMessage.Size = _messageSize;
        EndOfMessage.Truncated = _oversized;
        if (_oversized)
        {
            Session.OnAbort();
            return ValueTask.FromResult(_oversizeReported ? MilterDecision.Continue : MessageTooBig);
        }

        return Session.OnEndOfMessageAsync(EndOfMessage, cancellationToken);
    }

    public void CompleteEndOfMessage(MilterDecision decision, IBufferWriter<byte> output)
    {
        var accepted = decision.Kind is MilterDecisionKind.Continue or MilterDecisionKind.Accept or MilterDecisionKind.Quarantine;
        if (accepted && (Actions & MilterActions.AddHeaders) != 0)
        {
            // By index: a foreach over the IReadOnlyList would box its enumerator once per message.
            var headers = EndOfMessage.Headers;
            for (var i = 0; i < headers.Count; i++)
            {
                MilterWriter.WriteAddHeader(output, headers[i].Key, headers[i].Value);
            }
        }

        if (decision.Kind == MilterDecisionKind.Quarantine)
        {
            if ((Actions & MilterActions.Quarantine) != 0)
            {
                MilterWriter.WritePacket(output, (byte)MilterResponse.Quarantine, decision.Text.Span, nulTerminated: true);
            }

            decision = MilterDecision.Continue;
        }

        MilterWriter.WriteDecision(output, decision);
        ResetMessage();
    }

    /// <summary>Ends the session once, whatever ended the connection.</summary>
    public void Close()
    {
        if (_sessionOpen)
        {
            _sessionOpen = false;
            Session.OnClose();
        }
    }

    private MilterStep Negotiate(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (data.Length < 12)
        {
            return Fail(MilterProtocolError.MalformedPacket);
        }

        var version = BinaryPrimitives.ReadUInt32BigEndian(data);
        var offeredActions = (MilterActions)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        var offeredProtocol = (MilterProtocolFlags)BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        if (version < 2)
        {
            return Fail(MilterProtocolError.UnsupportedVersion);
        }

        var actions = _options.Actions & offeredActions;
        var sendMacros = _macroRequests.Length > 0 && (offeredActions & MilterActions.SetSymbolList) != 0;
        if (sendMacros)
        {
            actions |= MilterActions.SetSymbolList;
        }

        var wanted = _options.SkippedSteps | (_options.NoReplyForHeadersAndBody ? MilterProtocolFlags.NoReplyHeader | MilterProtocolFlags.NoReplyBody : MilterProtocolFlags.None);
        _protocol = wanted & offeredProtocol;
        Actions = actions;

        var length = 1 + 12 + (sendMacros ? _macroRequests.Length : 0);
        var span = output.GetSpan(4 + length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length);
        span[4] = (byte)MilterResponse.OptionNegotiation;
        BinaryPrimitives.WriteUInt32BigEndian(span[5..], Math.Min(version, MilterProtocol.Version));
        BinaryPrimitives.WriteUInt32BigEndian(span[9..], (uint)actions);
        BinaryPrimitives.WriteUInt32BigEndian(span[13..], (uint)_protocol);
        if (sendMacros)
        {
            _macroRequests.CopyTo(span[17..]);
        }

        output.Advance(4 + length);
        return MilterStep.Continue;
    }

    private void Reply(MilterDecision decision, MilterProtocolFlags noReplyFlag, IBufferWriter<byte> output)
    {
        if ((_protocol & noReplyFlag) == 0)
        {
            // Quarantine is an end-of-message action; anywhere else it means go on.
            MilterWriter.WriteDecision(output, decision.Kind == MilterDecisionKind.Quarantine ? MilterDecision.Continue : decision);
        }
    }

    private void ReplyOrOversize(MilterProtocolFlags noReplyFlag, IBufferWriter<byte> output)
    {
        if ((_protocol & noReplyFlag) != 0)
        {
            return;
        }

        if (_oversized && !_oversizeReported)
        {
            _oversizeReported = true;
            MilterWriter.WriteDecision(output, MessageTooBig);
        }
        else
        {
            MilterWriter.WriteDecision(output, MilterDecision.Continue);
        }
    }

    // Adds to the message size; false once the message is over the limit (the session sees no more).
    private bool Count(int bytes)
    {
        _messageSize += bytes;
        if (_messageSize > _options.MaxMessageSize)
        {
            _oversized = true;
        }

        return !_oversized;
    }

    private void AbortIfInMessage(MilterState previous, bool keepMailMacros = false)
    {
        if (previous >= MilterState.Mail)
        {
            Session.OnAbort();
            ResetMessage(keepMailMacros);
        }
    }

    private void ResetMessage(bool keepMailMacros = false)
    {
        Macros.ClearMessage(keepMailMacros);
        EndOfMessage.Reset();
        _messageSize = 0;
        _oversized = false;
        _oversizeReported = false;
    }

    private MilterStep Fail(MilterProtocolError error)
    {
        Error = error;
        return MilterStep.Close;
    }

    private static bool TryReadString(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> value, out ReadOnlySpan<byte> rest)
    {
        var end = data.IndexOf((byte)0);
        if (end < 0)
        {
            value = default;
            rest = default;
            return false;
        }

        value = data[..end];
        rest = data[(end + 1)..];
        return true;
    }

    // hostname NUL, family, then unless the family is 'U': port (16-bit big-endian), address NUL.
    internal static bool TryParseConnect(ReadOnlySpan<byte> data, out MilterConnectInfo client)
    {
        client = default;
        if (!TryReadString(data, out var host, out var rest) || rest.IsEmpty)
        {
            return false;
        }

        var family = rest[0];
        if (family == (byte)'U')
        {
            client = new MilterConnectInfo(host, family, 0, default);
            return true;
        }

        if (rest.Length < 3 || !TryReadString(rest[3..], out var address, out _))
        {
            return false;
        }

        client = new MilterConnectInfo(host, family, BinaryPrimitives.ReadUInt16BigEndian(rest[1..]), address);
        return true;
    }
}
