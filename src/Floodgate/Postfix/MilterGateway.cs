using System.Diagnostics;
using System.Net;
using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Protocols.Milter;
using Floodgate.Storage.Transactions;

namespace Floodgate.Postfix;

/// <summary>
/// The milter front door (Postfix smtpd_milters) over the same policy engine: status and sender at
/// MAIL, recipients at RCPT, the content (fingerprint, mass-mail detector) at end of message. With
/// <see cref="MilterOptions.CountInWindows"/> off (the default when policy delegation is on) the
/// milter leaves the recipient cap, the rates and the counting to the policy door and only inspects.
/// </summary>
internal sealed class MilterGateway : IMilterSessionFactory
{
    public const string VerdictHeader = "X-Floodgate-Verdict";

    /// <summary>
    /// The steps no session of the gateway looks at (HELO, DATA, unknown commands; end of headers always
    /// continues): Postfix need not send them or wait for them, a round trip less each (bench/RESULTS.md,
    /// "Milter load").
    /// </summary>
    public const MilterProtocolFlags SkippedSteps =
        MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoData | MilterProtocolFlags.NoUnknown | MilterProtocolFlags.NoReplyEndOfHeaders;

    public MilterGateway(PolicyEngine engine, PostfixLog log, MilterOptions options)
    {
        Engine = engine;
        Log = log;
        Options = options;
        Count = options.CountInWindows ?? true;
        Quarantine = options.HoldAction == "quarantine";
        Trusted = PostfixOptionsValidation.Networks(options.TrustedNetworks);
        // Unbound options (no ApplyDefaults): the SASL login only, the safe choice.
        SenderFirst = options.MailboxFrom.Count == 0 ? [false] : new bool[options.MailboxFrom.Count];
        for (var i = 0; i < options.MailboxFrom.Count; i++)
        {
            SenderFirst[i] = options.MailboxFrom[i] == MailboxSources.Sender;
        }
    }

    public PolicyEngine Engine { get; }

    public PostfixLog Log { get; }

    public MilterOptions Options { get; }

    public bool Count { get; }

    public bool Quarantine { get; }

    public IPNetwork[] Trusted { get; }

    public bool[] SenderFirst { get; }

    public Fingerprinter Fingerprinter { get; } = Fingerprinter.Shared;

    public IMilterSession Open(MilterConnectionInfo connection) => new MilterGatewaySession(this);
}

internal sealed class MilterGatewaySession(MilterGateway gateway) : MilterSession
{
    private const string Door = PostfixLog.MilterDoor;

    private MilterBodyBuffer? _message;
    private string? _clientAddress;
    private bool _trusted;
    private MailboxState? _mailbox;
    private string _sender = string.Empty;
    private string? _lastSender;
    private string? _messageId;
    private TransactionTally _tally;

    public override MilterDecision OnConnect(MilterConnectInfo client, MilterMacros macros)
    {
        _clientAddress = client.Address.IsEmpty ? null : client.AddressString;
        _trusted = _clientAddress is not null && IPAddress.TryParse(_clientAddress, out var address) && Contains(gateway.Trusted, address);
        return MilterDecision.Continue;
    }

    public override MilterDecision OnMailFrom(MilterArguments arguments, MilterMacros macros)
    {
        ResetMessage();
        if (!TryResolve(arguments, macros, out var mailbox))
        {
            // Not a mailbox of ours: Postfix's own restrictions decide; the milter sees no more of it.
            return MilterDecision.Accept;
        }

        // A connection usually carries one sender message after message: reuse its string (ASCII
        // addresses; a non-ASCII one is simply decoded again).
        var address = arguments.Address;
        var sender = _lastSender is not null && Ascii.Equals(address, _lastSender) ? _lastSender : _lastSender = Encoding.UTF8.GetString(address);
        var size = arguments.TryGetParameter("SIZE"u8, out var declared) && long.TryParse(declared, out var n) ? n : 0;
        var verdict = gateway.Engine.BeginTransaction(mailbox, sender, size, out _tally);
        if (!verdict.IsAccept)
        {
            PostfixLog.Refused(Door, verdict.Reason);
            return ToDecision(verdict);
        }

        _mailbox = mailbox;
        _sender = sender;
        return MilterDecision.Continue;
    }

    public override MilterDecision OnRecipient(MilterArguments arguments, MilterMacros macros)
    {
        if (_mailbox is null)
        {
            return MilterDecision.Continue;
        }

        Span<char> buffer = stackalloc char[512];
        var address = arguments.Address;
        ReadOnlySpan<char> recipient = Encoding.UTF8.GetMaxCharCount(address.Length) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetChars(address, buffer)]
            : Encoding.UTF8.GetString(address);
        if (gateway.Count)
        {
            // The milter is the only door: it enforces the cap and the rates (a refusal is per recipient).
            var verdict = gateway.Engine.CheckRecipient(_mailbox, ref _tally, recipient);
            if (!verdict.IsAccept)
            {
                PostfixLog.Refused(Door, verdict.Reason);
                return ToDecision(verdict);
            }

            return MilterDecision.Continue;
        }

        // The policy door enforced this recipient already; count it for the detector's picture only.
        _tally.Recipients++;
        if (gateway.Engine.IsExternal(_mailbox, recipient))
        {
            _tally.External++;
        }
        else
        {
            _tally.Internal++;
        }

        return MilterDecision.Continue;
    }

    public override void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_mailbox is null)
        {
            return;
        }

        // Rebuild the header section as it was received: "Name: value" CRLF; folded values keep their CRLF WSP.
        var buffer = _message ??= new MilterBodyBuffer(gateway.Options.MaxBodySize);
        _ = buffer.Append(name) && buffer.Append(": "u8) && buffer.Append(value) && buffer.Append("\r\n"u8);
        if (_messageId is null && name.Length == 10 && Ascii.EqualsIgnoreCase(name, "Message-ID"u8))
        {
            _messageId = Encoding.UTF8.GetString(value).Trim();
        }
    }

    public override MilterDecision OnEndOfHeaders(MilterMacros macros)
    {
        if (_mailbox is not null)
        {
            (_message ??= new MilterBodyBuffer(gateway.Options.MaxBodySize)).Append("\r\n"u8);
        }

        return MilterDecision.Continue;
    }

    public override void OnBodyChunk(ReadOnlyMemory<byte> chunk)
    {
        // An overflowing message keeps its first MaxBodySize bytes: enough for a fingerprint.
        _message?.Append(chunk.Span);
    }

    public override ValueTask<MilterDecision> OnEndOfMessageAsync(MilterEndOfMessage message, CancellationToken cancellationToken)
    {
        var mailbox = _mailbox;
        if (mailbox is null)
        {
            return ValueTask.FromResult(MilterDecision.Continue);
        }

        var started = Stopwatch.GetTimestamp();
        var engine = gateway.Engine;
        var raw = _message is null ? ReadOnlyMemory<byte>.Empty : _message.Memory;
        var facts = new MessageFacts
        {
            Size = Math.Max(message.Size, raw.Length),
            MessageId = _messageId,
            Fingerprint = Fingerprint(raw),
        };
        var verdict = engine.CheckMessage(mailbox, in _tally, facts);
        MilterDecision decision;
        if (verdict.IsAccept)
        {
            if (gateway.Options.AddVerdictHeader)
            {
                message.AddHeader(MilterGateway.VerdictHeader, "pass");
            }

            if (gateway.Count)
            {
                engine.RecordOutcome(mailbox, in _tally, facts, MessageOutcome.Relayed);
                gateway.Log.Record(Door, mailbox, _clientAddress, _sender, in _tally, facts.Size, _messageId, TransactionVerdict.Accepted, "250", "relayed", started);
            }
            else
            {
                // The policy door counted and logged this message at END-OF-MESSAGE.
                engine.RecordInspected(mailbox, in _tally, facts, MessageOutcome.Relayed);
            }

            decision = MilterDecision.Continue;
        }
        else if (verdict.Kind == VerdictKind.Hold)
        {
            Record(facts, MessageOutcome.Held);
            decision = gateway.Quarantine
                ? MilterDecision.Quarantine(verdict.Text)
                : MilterDecision.ReplyCode(451, "4.7.1", verdict.Text);
            gateway.Log.Record(Door, mailbox, _clientAddress, _sender, in _tally, facts.Size, _messageId, gateway.Quarantine ? TransactionVerdict.Held : TransactionVerdict.Deferred, gateway.Quarantine ? "hold" : "451 4.7.1", verdict.Reason, started);
        }
        else
        {
            Record(facts, MessageOutcome.Refused);
            decision = ToDecision(verdict);
            gateway.Log.Record(Door, mailbox, _clientAddress, _sender, in _tally, facts.Size, _messageId, verdict.Code >= 500 ? TransactionVerdict.Rejected : TransactionVerdict.Deferred, PostfixLog.Code(verdict), verdict.Reason, started);
        }

        ResetMessage();
        return ValueTask.FromResult(decision);
    }

    public override void OnAbort() => ResetMessage();

    public override void OnClose()
    {
        ResetMessage();
        _message?.Dispose();
        _message = null;
    }

    private void Record(MessageFacts facts, MessageOutcome outcome)
    {
        // Held and refused messages never count in the windows, so both paths only reach the inspector's memory.
        if (gateway.Count)
        {
            gateway.Engine.RecordOutcome(_mailbox!, in _tally, facts, outcome);
        }
        else
        {
            gateway.Engine.RecordInspected(_mailbox!, in _tally, facts, outcome);
        }
    }

    private ContentFingerprint Fingerprint(ReadOnlyMemory<byte> raw)
    {
        if (raw.IsEmpty)
        {
            return default;
        }

        try
        {
            return gateway.Fingerprinter.Compute(raw);
        }
        catch (FormatException)
        {
            // Unparsable content is judged on its envelope alone, as the detector does with no fingerprint.
            return default;
        }
    }

    private bool TryResolve(MilterArguments arguments, MilterMacros macros, out MailboxState mailbox)
    {
        var directory = gateway.Engine.Directory;
        Span<char> name = stackalloc char[256];
        foreach (var sender in gateway.SenderFirst)
        {
            if (!sender)
            {
                if (macros.TryGet("auth_authen"u8, out var login) && !login.IsEmpty)
                {
                    // A login decides alone: an unknown one never falls back to the sender it claims.
                    if (login.Length <= name.Length && directory.TryGetMailbox(name[..Encoding.UTF8.GetChars(login, name)], out mailbox))
                    {
                        return true;
                    }

                    break;
                }
            }
            else if (_trusted)
            {
                var address = macros.TryGet("mail_addr"u8, out var macro) && !macro.IsEmpty ? macro : arguments.Address;
                if (!address.IsEmpty && address.Length <= name.Length && directory.TryGetMailbox(name[..Encoding.UTF8.GetChars(address, name)], out mailbox))
                {
                    return true;
                }
            }
        }

        mailbox = null!;
        return false;
    }

    private void ResetMessage()
    {
        _mailbox = null;
        _sender = string.Empty;
        _messageId = null;
        _tally = default;
        _message?.Reset();
    }

    private static MilterDecision ToDecision(in Verdict verdict) =>
        verdict.Code is >= 400 and <= 599
            ? MilterDecision.ReplyCode(verdict.Code, verdict.EnhancedCode, verdict.Text)
            : MilterDecision.Tempfail;

    private static bool Contains(IPNetwork[] networks, IPAddress address)
    {
        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
