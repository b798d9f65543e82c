using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;
using Floodgate.Relay;
using Floodgate.Hosting;
using MimeKit;

namespace Floodgate.Gateway;

/// <summary>
/// The submission gateway's side of one SMTP session: AUTH against the account directory, the
/// policy engine at MAIL, RCPT and end of DATA, in-line relay, and the transaction log.
/// </summary>
internal sealed class GatewaySession : ISmtpSession
{
    private const string Door = "gateway";

    // WithLabels looks the child up by a fresh label array each call: the per-message ones are kept.
    private static readonly Prometheus.Counter.Child ExternalRecipients = FloodgateMetrics.Recipients.WithLabels(Door, "external");
    private static readonly Prometheus.Counter.Child InternalRecipients = FloodgateMetrics.Recipients.WithLabels(Door, "internal");

    private readonly GatewayServices _services;
    private readonly SmtpConnectionInfo _connection;
    private readonly bool _trusted;
    private readonly bool _loopback;
    private readonly string _clientAddress;
    private readonly List<string> _recipients = new(8);

    private MailboxState? _authenticated;
    private MailboxState? _sender;
    private string _reversePath = string.Empty;
    private TransactionTally _tally;

    public GatewaySession(GatewayServices services, SmtpConnectionInfo connection)
    {
        _services = services;
        _connection = connection;
        var address = connection.Remote.Address.IsIPv4MappedToIPv6 ? connection.Remote.Address.MapToIPv4() : connection.Remote.Address;
        _clientAddress = address.ToString();
        _loopback = IPAddress.IsLoopback(address);
        _trusted = services.IsTrusted(address);
        FloodgateMetrics.Sessions.Inc();
    }

    public bool MaySubmit => _authenticated is not null || _trusted;

    public bool AuthAllowed(bool isTls) =>
        isTls || _services.Options.Smtp.AllowPlaintextAuth || (_loopback && _services.Options.Smtp.AllowPlaintextAuthOnLoopback);

    public async ValueTask<SmtpReply> AuthenticateAsync(string login, string password, CancellationToken cancellationToken)
    {
        if (_services.Throttle.IsBlocked(_clientAddress, login))
        {
            FloodgateMetrics.AuthFailures.Inc();
            return GatewayReplies.AuthThrottled;
        }

        if (_services.Engine.Directory.TryGetMailbox(login.AsSpan().Trim(), out var mailbox)
            && mailbox.PasswordHash is { } hash
            && await _services.Passwords.VerifyAsync(password, hash, cancellationToken).ConfigureAwait(false))
        {
            _services.Throttle.RecordSuccess(login);
            _authenticated = mailbox;
            return GatewayReplies.AuthSucceeded;
        }

        _services.Throttle.RecordFailure(_clientAddress, login);
        FloodgateMetrics.AuthFailures.Inc();
        return GatewayReplies.AuthFailed;
    }

    public SmtpReply MailFrom(string reversePath, long declaredSize)
    {
        Reset();
        var mailbox = _authenticated;
        if (mailbox is null)
        {
            // A trusted network names the mailbox by the envelope sender; all policy still applies.
            if (!_services.Engine.Directory.TryGetMailbox(reversePath, out var named))
            {
                return Refuse(GatewayReplies.UnknownSenderMailbox, "unknown-sender");
            }

            mailbox = named;
        }

        var verdict = _services.Engine.BeginTransaction(mailbox, reversePath, declaredSize, out _tally);
        if (!verdict.IsAccept)
        {
            return Refuse(verdict);
        }

        _sender = mailbox;
        _reversePath = reversePath;
        return GatewayReplies.SenderOk;
    }

    public SmtpReply RcptTo(string forwardPath)
    {
        if (_sender is null)
        {
            return GatewayReplies.NeedMail;
        }

        if (!IsMailbox(forwardPath))
        {
            return GatewayReplies.BadRecipient;
        }

        var verdict = _services.Engine.CheckRecipient(_sender, ref _tally, forwardPath);
        if (!verdict.IsAccept)
        {
            return Refuse(verdict);
        }

        _recipients.Add(forwardPath);
        return GatewayReplies.RecipientOk;
    }

    public SmtpReply DataStart()
    {
        if (_sender is null || _recipients.Count == 0)
        {
            return GatewayReplies.NoValidRecipients;
        }

        var verdict = _services.Engine.CheckStatus(_sender);
        return verdict.IsAccept ? GatewayReplies.StartData : Refuse(verdict);
    }

    public async ValueTask<SmtpReply> MessageAsync(MessageContent content, CancellationToken cancellationToken)
    {
        // Shim until this session reads MessageContent itself: a spooled message is read into one array.
        if (!content.TryGetMemory(out var message))
        {
            var bytes = new byte[content.Length];
            await using (var stream = content.OpenRead())
            {
                await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            }

            message = bytes;
        }

        var started = Stopwatch.GetTimestamp();
        var sender = _sender;
        if (sender is null || _recipients.Count == 0)
        {
            return GatewayReplies.NoValidRecipients;
        }

        var record = new GatewayRecord(sender, _clientAddress, _reversePath, _tally, message.Length);
        if (!MessageHeaders.TryRead(message.Span, out var messageId))
        {
            var bad = _services.Log.Record(record, null, GatewayReplies.Unparsable, PolicyReasons.Ok, "rejected", started, 0);
            Reset();
            return bad;
        }

        record.MessageId = messageId;
        var facts = new MessageFacts
        {
            Size = message.Length,
            MessageId = messageId,
            // The detector neither judges nor remembers a message to fewer external recipients than
            // this (the rate windows cover those): it is not worth the fingerprint's 20 µs.
            Fingerprint = _tally.External >= _services.MinTrackedRecipients ? _services.Fingerprinter.Compute(message) : default,
        };
        var engine = _services.Engine;
        var verdict = engine.CheckMessage(sender, in _tally, facts);
        if (!verdict.IsAccept)
        {
            var held = verdict.Kind == VerdictKind.Hold;
            engine.RecordOutcome(sender, in _tally, facts, held ? MessageOutcome.Held : MessageOutcome.Refused);
            var refused = _services.Log.Record(record, null, ToReply(verdict), verdict.Reason, held ? "held" : VerdictName(verdict.Kind), started, 0, Remembered(facts));
            Reset();
            return refused;
        }

        var relayStarted = Stopwatch.GetTimestamp();
        var result = await _services.Relay.SendAsync(_reversePath, _recipients, message, cancellationToken).ConfigureAwait(false);
        var relayMicros = (long)Stopwatch.GetElapsedTime(relayStarted).TotalMicroseconds;
        SmtpReply reply;
        string outcome;
        if (result.Outcome == RelayOutcome.Sent)
        {
            engine.RecordOutcome(sender, in _tally, facts, MessageOutcome.Relayed);
            ExternalRecipients.Inc(_tally.External);
            InternalRecipients.Inc(_tally.Internal);
            reply = GatewayReplies.Relayed;
            outcome = "relayed";
        }
        else
        {
            reply = SmtpReply.Create(result.Code, result.EnhancedCode, result.Text);
            outcome = result.Outcome == RelayOutcome.TemporaryFailure ? "upstream-deferred" : "upstream-rejected";
        }

        reply = _services.Log.Record(record, result.Text, reply, PolicyReasons.Ok, outcome, started, relayMicros, result.Outcome == RelayOutcome.Sent ? Remembered(facts) : null);
        Reset();
        return reply;
    }

    public void Reset()
    {
        _sender = null;
        _reversePath = string.Empty;
        _recipients.Clear();
        _tally = default;
    }

    public ValueTask DisposeAsync()
    {
        FloodgateMetrics.Sessions.Dec();
        return ValueTask.CompletedTask;
    }

    /// <summary>The fingerprint goes to the log only for messages the detector remembers (bulk-ish ones).</summary>
    private byte[]? Remembered(MessageFacts facts) =>
        !facts.Fingerprint.IsDefault && _tally.External >= _services.MinTrackedRecipients ? facts.Fingerprint.ToBytes() : null;

    private static bool IsMailbox(string address)
    {
        var at = address.LastIndexOf('@');
        return at > 0 && at < address.Length - 1 && address.Length <= 254;
    }

    private static SmtpReply Refuse(SmtpReply reply, string reason)
    {
        FloodgateMetrics.Refusals.WithLabels(Door, reason).Inc();
        return reply;
    }

    private static SmtpReply Refuse(in Verdict verdict)
    {
        FloodgateMetrics.Refusals.WithLabels(Door, verdict.Reason).Inc();
        return ToReply(verdict);
    }

    internal static SmtpReply ToReply(in Verdict verdict) => SmtpReply.Create(verdict.Code, verdict.EnhancedCode, verdict.Text);

    private static string VerdictName(VerdictKind kind) => kind switch
    {
        VerdictKind.Accept => "accepted",
        VerdictKind.Defer => "deferred",
        VerdictKind.Hold => "held",
        _ => "rejected",
    };
}

/// <summary>What the transaction log needs of one gateway transaction.</summary>
internal sealed class GatewayRecord(MailboxState mailbox, string clientAddress, string sender, TransactionTally tally, long size)
{
    public MailboxState Mailbox { get; } = mailbox;

    public string ClientAddress { get; } = clientAddress;

    public string Sender { get; } = sender;

    public TransactionTally Tally { get; } = tally;

    public long Size { get; } = size;

    public string? MessageId { get; set; }
}
