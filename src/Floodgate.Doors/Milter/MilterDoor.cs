using System.Net;
using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Milter;
using Microsoft.Extensions.Logging;

namespace Floodgate.Doors.Milter;

/// <summary>
/// The milter door (Postfix smtpd_milters, Sendmail): it translates the milter protocol into the
/// engine's transaction. With <see cref="MilterOptions.CountInWindows"/> (the default when policy
/// delegation is off) it is the only door: Begin at MAIL, AddRecipient at RCPT (cap, reservations),
/// the content at end of message, Complete. Beside policy delegation it inspects only: Postfix is
/// asked not to wait for its MAIL and RCPT replies (SMFIP_NR_MAIL, SMFIP_NR_RCPT: a round trip per
/// recipient less), the status is checked again at end of message, and its transactions feed the
/// detector's memory without counting.
/// </summary>
internal sealed partial class MilterDoor : IMilterSessionFactory
{
    public const string VerdictHeader = "X-Floodgate-Verdict";

    /// <summary>
    /// The steps no session looks at (HELO, DATA, unknown commands; end of headers always continues):
    /// Postfix need not send them or wait for them, a round trip less each (bench/RESULTS.md, "Milter load").
    /// </summary>
    public const MilterProtocolFlags SkippedSteps =
        MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoData | MilterProtocolFlags.NoUnknown | MilterProtocolFlags.NoReplyEndOfHeaders;

    /// <summary>Beside policy delegation, which answers MAIL and RCPT, the milter's answers there are not waited for.</summary>
    public const MilterProtocolFlags SkippedStepsBesidePolicy = SkippedSteps | MilterProtocolFlags.NoReplyMail | MilterProtocolFlags.NoReplyRcpt;

    /// <param name="provisioner">Creates an unknown login's mailbox on first sight when its domain allows it; null: never.</param>
    public MilterDoor(PolicyEngine engine, MilterOptions options, MessageSpool spool, ILogger logger, Floodgate.Core.Accounts.IMailboxProvisioner? provisioner = null)
    {
        Engine = engine;
        Spool = spool;
        Options = options;
        Logger = logger;
        Counts = options.CountInWindows ?? true;
        Quarantine = options.HoldAction == "quarantine";
        Senders = new SenderResolver(engine.Directory, PostfixOptions.Networks(options.TrustedNetworks), PostfixOptions.Sources(options.MailboxFrom),
            provisioner, DoorNames.Name(Door.Milter));
    }

    public PolicyEngine Engine { get; }

    /// <summary>Where the content waits, in memory up to a threshold and then on disk; shared with the gateway.</summary>
    public MessageSpool Spool { get; }

    public MilterOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>The only door: enforces RCPT and counts. Otherwise policy delegation does, and this door inspects content.</summary>
    public bool Counts { get; }

    /// <summary>The protocol steps to ask Postfix to leave out or not to wait for.</summary>
    public MilterProtocolFlags Steps => Counts ? SkippedSteps : SkippedStepsBesidePolicy;

    public bool Quarantine { get; }

    public SenderResolver Senders { get; }

    /// <summary>
    /// The RFC 9477 trace fields added to every message passed (SMFIR_ADDHEADER); null: none. A milter
    /// can add fields but this one does not delete the client's own: a forged one fails verification, and
    /// a genuine one copied from another mailbox's message conflicts with ours, which the attribution
    /// refuses to resolve by the trace header (it falls back to the Message-ID).
    /// </summary>
    public Complaints.TraceHeaders? Trace { get; init; }

    public Fingerprinter Fingerprinter { get; } = Fingerprinter.Shared;

    internal LogOnce UnknownLogins { get; } = new();

    public IMilterSession Open(MilterConnectionInfo connection) => new MilterDoorSession(this);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Milter: SASL login {Login} is no mailbox of Floodgate's; deferred")]
    internal static partial void LogUnknownLogin(ILogger logger, string login);
}

internal sealed class MilterDoorSession : MilterSession
{
    private readonly MilterDoor _door;
    private readonly Transaction _transaction;
    private MessageWriter? _message;
    private bool _truncated;
    private string? _clientAddress;
    private string? _lastSender;
    private string? _messageId;
    private ListSignals _listSignals;

    // A refusal at MAIL that Postfix did not wait for (beside policy delegation): given at end of message.
    private Verdict? _refusal;

    public MilterDoorSession(MilterDoor door)
    {
        _door = door;
        _transaction = door.Engine.Open(Door.Milter, door.Counts);
    }

    public override MilterDecision OnConnect(MilterConnectInfo client, MilterMacros macros)
    {
        _clientAddress = client.Address.IsEmpty ? null : client.AddressString;
        _transaction.ClientAddress = _clientAddress;
        return MilterDecision.Continue;
    }

    public override ValueTask<MilterDecision> OnMailFromAsync(MilterArguments arguments, MilterMacros macros)
    {
        ResetMessage();
        var resolution = Resolve(arguments, macros);
        if (resolution.Kind == SenderResolutionKind.UnknownLogin && _door.Counts)
        {
            // The only door: an unknown login is deferred, never passed. Beside policy delegation that door answers it.
            DoorMetrics.UnknownLogins.WithLabels(DoorNames.Name(Door.Milter)).Inc();
            if (_door.UnknownLogins.ShouldLog(resolution.Name!, _door.Engine.Time.GetUtcNow()))
            {
                MilterDoor.LogUnknownLogin(_door.Logger, resolution.Name!);
            }

            return ValueTask.FromResult(ToDecision(PolicyTexts.UnknownLoginDeferred(resolution.Name!, _door.Engine.Options.SupportContact)));
        }

        if (resolution.Kind != SenderResolutionKind.Mailbox)
        {
            // Not a mailbox of ours: Postfix's own restrictions decide; the milter sees no more of it.
            return ValueTask.FromResult(MilterDecision.Accept);
        }

        if (resolution.ByLogin)
        {
            // Postfix or Sendmail authenticated {auth_authen} on this connection: the detector's login networks.
            _door.Engine.LoggedIn(resolution.Mailbox!, _clientAddress);
        }

        // A connection usually carries one sender message after message: reuse its string (ASCII
        // addresses; a non-ASCII one is simply decoded again).
        var address = arguments.Address;
        var sender = _lastSender is not null && Ascii.Equals(address, _lastSender) ? _lastSender : _lastSender = Encoding.UTF8.GetString(address);
        var size = arguments.TryGetParameter("SIZE"u8, out var declared) && long.TryParse(declared, out var n) ? n : 0;
        var begin = _transaction.BeginAsync(resolution.Mailbox!, sender, size);
        return begin.IsCompletedSuccessfully ? ValueTask.FromResult(Began(begin.Result)) : BeganAsync(begin);
    }

    private async ValueTask<MilterDecision> BeganAsync(ValueTask<Verdict> begin)
    {
        var verdict = await begin.ConfigureAwait(false);
        return Began(verdict);
    }

    private MilterDecision Began(in Verdict verdict)
    {
        if (!verdict.IsAccept)
        {
            DoorMetrics.Refused(Door.Milter, verdict.Reason);
            _refusal = verdict;
            return ToDecision(verdict);
        }

        return MilterDecision.Continue;
    }

    public override ValueTask<MilterDecision> OnRecipientAsync(MilterArguments arguments, MilterMacros macros)
    {
        if (!_transaction.IsOpen)
        {
            return ValueTask.FromResult(MilterDecision.Continue);
        }

        Span<char> buffer = stackalloc char[512];
        var address = arguments.Address;
        ReadOnlySpan<char> recipient = Encoding.UTF8.GetMaxCharCount(address.Length) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetChars(address, buffer)]
            : Encoding.UTF8.GetString(address);

        // The only door: cap and reservations, a refusal is per recipient. Beside policy delegation,
        // which enforced this recipient already, it is counted for the detector's picture only.
        // The address is copied only if the store does not answer at once.
        var added = _transaction.AddRecipientAsync(recipient);
        return added.IsCompletedSuccessfully ? ValueTask.FromResult(Added(added.Result)) : AddedAsync(added);
    }

    private static async ValueTask<MilterDecision> AddedAsync(ValueTask<Verdict> added)
    {
        var verdict = await added.ConfigureAwait(false);
        return Added(verdict);
    }

    private static MilterDecision Added(in Verdict verdict)
    {
        if (!verdict.IsAccept)
        {
            DoorMetrics.Refused(Door.Milter, verdict.Reason);
            return ToDecision(verdict);
        }

        return MilterDecision.Continue;
    }

    public override void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (!_transaction.IsOpen)
        {
            return;
        }

        // Rebuild the header section as it was received: "Name: value" CRLF; folded values keep their CRLF WSP.
        _ = Append(name) && Append(": "u8) && Append(value) && Append("\r\n"u8);
        if (_messageId is null && name.Length == 10 && Ascii.EqualsIgnoreCase(name, "Message-ID"u8))
        {
            _messageId = MessageIds.Normalize(value);
        }
        else
        {
            _listSignals |= ListHeaders.Classify(name, value);
        }
    }

    public override MilterDecision OnEndOfHeaders(MilterMacros macros)
    {
        if (_transaction.IsOpen)
        {
            Append("\r\n"u8);
        }

        return MilterDecision.Continue;
    }

    public override void OnBodyChunk(ReadOnlyMemory<byte> chunk)
    {
        if (_transaction.IsOpen)
        {
            Append(chunk.Span);
        }
    }

    public override async ValueTask<MilterDecision> OnEndOfMessageAsync(MilterEndOfMessage message, CancellationToken cancellationToken)
    {
        var transaction = _transaction;
        if (_refusal is { } refusal)
        {
            ResetMessage();
            return ToDecision(refusal);
        }

        if (!transaction.IsOpen)
        {
            return MilterDecision.Continue;
        }

        MessageContent? content = null;
        try
        {
            if (_message is { OverBudget: true })
            {
                // The spool is full: nothing judged is let through unjudged; the client retries.
                transaction.Complete(Outcome.Deferred, "451 4.3.1", PolicyReasons.SpoolFull);
                return MilterDecision.ReplyCode(451, "4.3.1", "Insufficient system storage; try again later");
            }

            content = _message?.Complete();
            _message = null;
            var facts = new MessageFacts
            {
                Size = Math.Max(message.Size, content?.Length ?? 0),
                MessageId = _messageId,
                ListSignals = _listSignals,
                Fingerprint = content is not null && transaction.External >= _door.Engine.Detector?.Options.MinTrackedRecipients
                    ? await MessageInspection.FingerprintAsync(_door.Fingerprinter, content, cancellationToken).ConfigureAwait(false)
                    : default,
            };

            // The status again, whoever answered MAIL: a suspension made meanwhile applies.
            var verdict = await transaction.CheckContentAsync(facts, cancellationToken).ConfigureAwait(false);
            if (verdict.IsAccept)
            {
                if (_door.Options.AddVerdictHeader)
                {
                    message.AddHeader(MilterDoor.VerdictHeader, "pass");
                }

                if (_door.Trace is { } trace)
                {
                    if (trace.AddressValue is { } address)
                    {
                        message.AddHeader(Complaints.TraceHeaders.AddressField, address);
                    }

                    message.AddHeader(Complaints.TraceHeaders.FeedbackIdField, trace.Ids.Create(transaction.Mailbox!.Id, _door.Engine.Time.GetUtcNow()));
                }

                transaction.Complete(Outcome.Accepted, "250", _door.Counts ? PolicyReasons.Relayed : PolicyReasons.Inspected);
                return MilterDecision.Continue;
            }

            if (verdict.Outcome == Outcome.Held)
            {
                transaction.Complete(_door.Quarantine ? Outcome.Held : Outcome.Deferred, _door.Quarantine ? "hold" : "451 4.7.1", verdict.Reason);
                return _door.Quarantine ? MilterDecision.Quarantine(verdict.Text) : MilterDecision.ReplyCode(451, "4.7.1", verdict.Text);
            }

            transaction.Complete(verdict.Outcome, verdict.ReplyCode, verdict.Reason);
            return ToDecision(verdict);
        }
        finally
        {
            content?.Dispose();
            ResetMessage();
        }
    }

    public override void OnAbort() => ResetMessage();

    public override void OnClose() => ResetMessage();

    // The content is kept up to MaxBodySize: its text (what the fingerprint reads) comes first.
    private bool Append(ReadOnlySpan<byte> bytes)
    {
        if (_truncated)
        {
            return false;
        }

        var writer = _message ??= _door.Spool.Begin();
        if (writer.Length + bytes.Length > _door.Options.MaxBodySize)
        {
            _truncated = true;
            return false;
        }

        return writer.Append(bytes);
    }

    private SenderResolution Resolve(MilterArguments arguments, MilterMacros macros)
    {
        Span<char> login = stackalloc char[256];
        Span<char> sender = stackalloc char[256];
        var authen = macros.TryGet("auth_authen"u8, out var a) ? Decode(a, login) : [];
        if (!authen.IsEmpty && _door.Senders.LoginFirst)
        {
            return _door.Senders.Resolve(authen, [], []);
        }

        var address = macros.TryGet("mail_addr"u8, out var macro) && !macro.IsEmpty ? macro : arguments.Address;
        return _door.Senders.Resolve(authen, Decode(address, sender), _clientAddress);
    }

    private void ResetMessage()
    {
        // An abandoned message (RSET, a refused command, a lost client) gives its reservation back.
        _transaction.Abandon();
        _refusal = null;
        _messageId = null;
        _listSignals = ListSignals.None;
        _truncated = false;
        _message?.Dispose();
        _message = null;
    }

    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> buffer) =>
        utf8.IsEmpty ? [] : Encoding.UTF8.GetMaxCharCount(utf8.Length) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetChars(utf8, buffer)]
            : Encoding.UTF8.GetString(utf8);

    private static MilterDecision ToDecision(in Verdict verdict) =>
        verdict.Code is >= 400 and <= 599
            ? MilterDecision.ReplyCode(verdict.Code, verdict.EnhancedCode, verdict.Text)
            : MilterDecision.Tempfail;
}
