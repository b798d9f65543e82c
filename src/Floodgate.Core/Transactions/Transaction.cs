using Floodgate.Core.Accounts;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;

namespace Floodgate.Core.Transactions;

/// <summary>Facts of a complete message: what a door read off it before asking the engine about its content.</summary>
public sealed class MessageFacts
{
    public long Size { get; init; }

    /// <summary>Without angle brackets (<see cref="MessageIds.Normalize"/>), or null.</summary>
    public string? MessageId { get; init; }

    /// <summary>The content fingerprint; default when the door computed none (too few external recipients, no content).</summary>
    public ContentFingerprint Fingerprint { get; init; }

    /// <summary>What the top-level header fields say about a mailing (<see cref="ListHeaders.Classify"/>), read by every door that sees content.</summary>
    public ListSignals ListSignals { get; init; }
}

/// <summary>
/// One message submission, owned by the engine and driven by a door through the same steps whatever
/// the door: <see cref="Begin"/> (MAIL: status, sender, size, a message reserved in the windows),
/// <see cref="AddRecipient"/> (RCPT: status, the cap, a recipient reserved in the mailbox, domain
/// and client windows at once), <see cref="CheckContentAsync"/> (end of data: status, size, the
/// mass-mail detector, enforcement), and <see cref="Complete"/> (what became of it: reservations
/// become counts if it was relayed and are released otherwise; one <see cref="CompletedTransaction"/>
/// goes to the engine's observers). <see cref="Abandon"/> releases without an outcome (RSET, a
/// disconnect before the content). A door keeps one instance per session and reuses it; it is not
/// thread-safe (a door drives it from one request at a time).
/// </summary>
public sealed class Transaction
{
    private readonly PolicyEngine _engine;
    private Reservation _held;
    private ulong[] _externalRecipients = [];
    private string? _destination0;
    private string? _destination1;
    private string? _destination2;
    private string? _destination3;
    private int _destinationCount;
    private long _begun;
    private long _contentStarted;

    internal Transaction(PolicyEngine engine, Door door, bool enforces)
    {
        _engine = engine;
        Door = door;
        Enforces = enforces;
    }

    public Door Door { get; }

    /// <summary>
    /// True: the transaction reserves in the windows and its completion counts. False: it only
    /// inspects content and feeds the detector's memory, while another door counts the same message.
    /// </summary>
    public bool Enforces { get; }

    public MailboxState? Mailbox { get; private set; }

    public bool IsOpen => Mailbox is not null;

    public string EnvelopeSender { get; private set; } = string.Empty;

    /// <summary>The SMTP client's address, for the log; the door sets it once per session.</summary>
    public string? ClientAddress { get; set; }

    public int Recipients { get; private set; }

    public int External { get; private set; }

    public int Internal { get; private set; }

    /// <summary>An order-independent hash of the recipients: a retry goes to the same ones, a new copy to others.</summary>
    public ulong RecipientsHash { get; private set; }

    /// <summary>The hashes of the external recipients accepted so far, in order: the detector's new-recipient memory.</summary>
    public ReadOnlyMemory<ulong> ExternalRecipients => _externalRecipients.AsMemory(0, External);

    /// <summary>What this transaction holds in the windows now.</summary>
    public Reservation Held => _held;

    /// <summary>The facts given to <see cref="CheckContentAsync"/>, if it ran.</summary>
    public MessageFacts? Message { get; private set; }

    /// <summary>When <see cref="Begin"/> accepted, on the engine's <see cref="TimeProvider"/> timestamp scale.</summary>
    public long BegunTimestamp => _begun;

    /// <summary>
    /// MAIL: the session's login is still good, the mailbox, its domain and its client may send, the
    /// envelope sender is the mailbox's, the declared size fits the plan, and one message fits each
    /// messages-per-hour window (reserved). A transaction still open is abandoned first.
    /// With a shared counter store this waits for it on the calling thread: every door uses
    /// <see cref="BeginAsync"/>; this form is for in-process callers (tests, replays, benchmarks).
    /// </summary>
    /// <param name="credentialStamp">
    /// The <see cref="AuthenticationResult.CredentialStamp"/> of the door's own AUTH, or null when the
    /// door checked no password (Postfix authenticated, or a trusted network named the mailbox).
    /// </param>
    public Verdict Begin(MailboxState mailbox, string envelopeSender, long declaredSize, int? credentialStamp = null)
    {
        var verdict = Admit(mailbox, envelopeSender, declaredSize, credentialStamp);
        if (!verdict.IsAccept || !Enforces)
        {
            return verdict.IsAccept ? Opened(mailbox, envelopeSender, default) : verdict;
        }

        var result = _engine.Counters.Reserve(MessageRequest(mailbox), mailbox.Client.Limits, _engine.Time.GetUtcNow());
        return result.Reserved ? Opened(mailbox, envelopeSender, result.Held) : _engine.RateVerdict(result.Refusal);
    }

    /// <summary>
    /// <see cref="Begin"/> for a door that can wait without a thread (the gateway): a shared counter
    /// store is asked without blocking; in process it completes at once.
    /// </summary>
    public ValueTask<Verdict> BeginAsync(MailboxState mailbox, string envelopeSender, long declaredSize, int? credentialStamp = null, CancellationToken cancellationToken = default)
    {
        var verdict = Admit(mailbox, envelopeSender, declaredSize, credentialStamp);
        if (!verdict.IsAccept || !Enforces)
        {
            return ValueTask.FromResult(verdict.IsAccept ? Opened(mailbox, envelopeSender, default) : verdict);
        }

        var pending = _engine.Counters.ReserveAsync(MessageRequest(mailbox), mailbox.Client.Limits, _engine.Time.GetUtcNow(), cancellationToken);
        return pending.IsCompletedSuccessfully
            ? ValueTask.FromResult(Began(mailbox, envelopeSender, pending.Result))
            : AwaitBegin(pending, mailbox, envelopeSender);
    }

    private async ValueTask<Verdict> AwaitBegin(ValueTask<ReserveResult> pending, MailboxState mailbox, string envelopeSender) =>
        Began(mailbox, envelopeSender, await pending.ConfigureAwait(false));

    private Verdict Began(MailboxState mailbox, string envelopeSender, in ReserveResult result) =>
        result.Reserved ? Opened(mailbox, envelopeSender, result.Held) : _engine.RateVerdict(result.Refusal);

    private static Reservation MessageRequest(MailboxState mailbox) => new(mailbox.Id, mailbox.Domain.Id, mailbox.Client.Id, 1, 0, 0);

    /// <summary>Everything of MAIL but the windows: a transaction still open is abandoned first.</summary>
    private Verdict Admit(MailboxState mailbox, string envelopeSender, long declaredSize, int? credentialStamp)
    {
        Abandon();

        // One integer comparison: a password changed since the session's AUTH ends that session's sending.
        if (credentialStamp is { } stamp && stamp != mailbox.CredentialStamp)
        {
            return PolicyTexts.CredentialsRevoked;
        }

        var verdict = _engine.CheckStatus(mailbox);
        if (!verdict.IsAccept)
        {
            return verdict;
        }

        // The null sender (bounces) is allowed: it names no address to spoof.
        if (envelopeSender.Length != 0 && !mailbox.MaySendAs(envelopeSender))
        {
            return PolicyTexts.SenderNotAllowed(mailbox.Address);
        }

        var limits = mailbox.Client.Limits;
        return declaredSize > limits.MaxMessageSizeBytes ? PolicyTexts.MessageTooLarge(limits.MaxMessageSizeBytes) : Verdict.Accept;
    }

    private Verdict Opened(MailboxState mailbox, string envelopeSender, in Reservation held)
    {
        _held = held;
        Mailbox = mailbox;
        EnvelopeSender = envelopeSender;
        _begun = _engine.Time.GetTimestamp();
        return Verdict.Accept;
    }

    /// <summary>
    /// RCPT: status again (a suspension made meanwhile applies at once), the plan's cap, and the
    /// recipient reserved in the mailbox, domain and client windows (external or internal), all or none.
    /// Waits on the calling thread for a shared store, as <see cref="Begin"/> does: doors use the async forms.
    /// </summary>
    public Verdict AddRecipient(ReadOnlySpan<char> recipient)
    {
        if (!AdmitRecipient(recipient, out var mailbox, out var external, out var hash, out var verdict))
        {
            return verdict;
        }

        if (Enforces)
        {
            var result = _engine.Counters.Reserve(RecipientRequest(mailbox, external), mailbox.Client.Limits, _engine.Time.GetUtcNow());
            if (!result.Reserved)
            {
                return _engine.RateVerdict(result.Refusal);
            }

            _held = _held.Plus(result.Held) with { Epoch = result.Held.Epoch };
        }

        Accepted(recipient, external, hash, mailbox.Client.Limits);
        return Verdict.Accept;
    }

    /// <summary><see cref="AddRecipient"/> for a door that can wait without a thread (the gateway).</summary>
    public ValueTask<Verdict> AddRecipientAsync(string recipient, CancellationToken cancellationToken = default) =>
        AddRecipientCore(recipient, recipient, cancellationToken);

    /// <summary>
    /// <see cref="AddRecipient"/> for a door that can wait and holds the address in a buffer of its own
    /// (the Postfix doors): it is copied only when the store does not answer at once.
    /// </summary>
    public ValueTask<Verdict> AddRecipientAsync(ReadOnlySpan<char> recipient, CancellationToken cancellationToken = default) =>
        AddRecipientCore(recipient, null, cancellationToken);

    private ValueTask<Verdict> AddRecipientCore(ReadOnlySpan<char> recipient, string? text, CancellationToken cancellationToken)
    {
        if (!AdmitRecipient(recipient, out var mailbox, out var external, out var hash, out var verdict))
        {
            return ValueTask.FromResult(verdict);
        }

        if (!Enforces)
        {
            Accepted(recipient, external, hash, mailbox.Client.Limits);
            return ValueTask.FromResult(Verdict.Accept);
        }

        var pending = _engine.Counters.ReserveAsync(RecipientRequest(mailbox, external), mailbox.Client.Limits, _engine.Time.GetUtcNow(), cancellationToken);
        return pending.IsCompletedSuccessfully
            ? ValueTask.FromResult(Reserved(recipient, external, hash, mailbox.Client.Limits, pending.Result))
            : AwaitRecipient(pending, text ?? recipient.ToString(), external, hash, mailbox.Client.Limits);
    }

    private async ValueTask<Verdict> AwaitRecipient(ValueTask<ReserveResult> pending, string recipient, bool external, ulong hash, PlanLimits limits)
    {
        var result = await pending.ConfigureAwait(false);
        return Reserved(recipient, external, hash, limits, in result);
    }

    private Verdict Reserved(ReadOnlySpan<char> recipient, bool external, ulong hash, PlanLimits limits, in ReserveResult result)
    {
        if (!result.Reserved)
        {
            return _engine.RateVerdict(result.Refusal);
        }

        if (Mailbox is null)
        {
            // Abandoned while the store answered (the session ended): give the reservation back.
            _engine.Counters.Release(result.Held);
            return PolicyTexts.TransactionEnded;
        }

        _held = _held.Plus(result.Held) with { Epoch = result.Held.Epoch };
        Accepted(recipient, external, hash, limits);
        return Verdict.Accept;
    }

    // The transaction's epoch on every later request: its reservations are released in one place.
    private Reservation RecipientRequest(MailboxState mailbox, bool external) =>
        new(mailbox.Id, mailbox.Domain.Id, mailbox.Client.Id, 0, external ? 1 : 0, external ? 0 : 1, _held.Epoch);

    private bool AdmitRecipient(ReadOnlySpan<char> recipient, out MailboxState mailbox, out bool external, out ulong hash, out Verdict verdict)
    {
        mailbox = Mailbox ?? throw new InvalidOperationException("AddRecipient before Begin.");
        external = false;
        hash = 0;
        verdict = _engine.CheckStatus(mailbox);
        if (!verdict.IsAccept)
        {
            return false;
        }

        var limits = mailbox.Client.Limits;
        if (Recipients >= limits.MaxRecipientsPerMessage)
        {
            verdict = PolicyTexts.RecipientCap(limits.MaxRecipientsPerMessage);
            return false;
        }

        external = _engine.Classify(mailbox, recipient, out hash);
        return true;
    }

    private void Accepted(ReadOnlySpan<char> recipient, bool external, ulong hash, PlanLimits limits)
    {
        Recipients++;
        RecipientsHash += hash;
        if (external)
        {
            if (External == _externalRecipients.Length)
            {
                // From the pool, sized for the cap, given back when the transaction ends: a door that
                // opens a transaction per message (the policy door) allocates nothing for it.
                var larger = System.Buffers.ArrayPool<ulong>.Shared.Rent(Math.Max(External + 1, limits.MaxRecipientsPerMessage));
                _externalRecipients.AsSpan(0, External).CopyTo(larger);
                ReturnExternalRecipients();
                _externalRecipients = larger;
            }

            _externalRecipients[External++] = hash;
            if (External >= _engine.DestinationSampleFrom && _destinationCount < MaxDestinations)
            {
                NoteDestination(recipient);
            }
        }
        else
        {
            Internal++;
        }
    }

    /// <summary>Status only: DATA, or a door that checks again at the end (the milter beside policy delegation).</summary>
    public Verdict CheckStatus() =>
        Mailbox is { } mailbox ? _engine.CheckStatus(mailbox) : throw new InvalidOperationException("CheckStatus before Begin.");

    /// <summary>
    /// End of data: status, size, the mass-mail detector on the fingerprint, then the bulk opt-out
    /// rule (<see cref="BulkOptOutOptions"/>). An offense is durable
    /// (suspension, incident, contact task) before this completes, so the reply that announces it
    /// never outruns it.
    /// </summary>
    public ValueTask<Verdict> CheckContentAsync(MessageFacts message, CancellationToken cancellationToken)
    {
        var mailbox = Mailbox ?? throw new InvalidOperationException("CheckContentAsync before Begin.");
        Message = message;
        _contentStarted = _engine.Time.GetTimestamp();
        var verdict = _engine.CheckStatus(mailbox);
        if (!verdict.IsAccept)
        {
            return ValueTask.FromResult(verdict);
        }

        var limits = mailbox.Client.Limits;
        if (message.Size > limits.MaxMessageSizeBytes)
        {
            return ValueTask.FromResult(PolicyTexts.MessageTooLarge(limits.MaxMessageSizeBytes));
        }

        return _engine.InspectAsync(this, message, cancellationToken);
    }

    /// <summary>
    /// Postfix's recipient_count at END-OF-MESSAGE is what it accepted: a later restriction may have
    /// refused recipients this transaction reserved. The surplus is released (external ones last:
    /// which were refused is unknown, so the windows keep the stricter count).
    /// </summary>
    public void LimitRecipients(int accepted)
    {
        if (Mailbox is null || accepted < 0 || accepted >= Recipients)
        {
            return;
        }

        var dropInternal = Math.Min(Internal, Recipients - accepted);
        var dropExternal = Recipients - accepted - dropInternal;
        var release = new Reservation(_held.MailboxId, _held.DomainId, _held.ClientId, 0, Enforces ? dropExternal : 0, Enforces ? dropInternal : 0, _held.Epoch);
        if (!release.IsEmpty)
        {
            _engine.Counters.Release(in release);
            _held = _held.Minus(in release);
        }

        Internal -= dropInternal;
        External -= dropExternal;
        Recipients = accepted;
    }

    /// <summary>
    /// The end of the transaction: relayed (<see cref="Outcome.Accepted"/>) turns the reservations into
    /// counts; any other outcome releases them. Raises one <see cref="CompletedTransaction"/>.
    /// </summary>
    /// <param name="replyCode">What the client was told: "250", "550 5.7.1", "hold".</param>
    /// <param name="reason">A <see cref="PolicyReasons"/> key.</param>
    public void Complete(Outcome outcome, string? replyCode, string reason, string? upstreamReply = null, long relayMicros = 0)
    {
        var mailbox = Mailbox;
        if (mailbox is null)
        {
            return;
        }

        var time = _engine.Time;
        var now = time.GetUtcNow();
        if (outcome == Outcome.Accepted)
        {
            _engine.Counters.Commit(in _held, now);
            if (Enforces && External > 0)
            {
                // The recipients become known only once relayed; learned here, from the reused buffer.
                _engine.Detector?.LearnRecipients(mailbox, _externalRecipients.AsSpan(0, External), now);
            }
        }
        else
        {
            _engine.Counters.Release(in _held);
        }

        var timed = _contentStarted != 0 ? _contentStarted : _begun;
        var total = (long)time.GetElapsedTime(timed).TotalMicroseconds;
        var message = Message;
        var completed = new CompletedTransaction
        {
            At = now,
            Door = Door,
            Mailbox = mailbox,
            ClientAddress = ClientAddress,
            EnvelopeSender = EnvelopeSender,
            Recipients = Recipients,
            External = External,
            Internal = Internal,
            RecipientsHash = RecipientsHash,
            Size = message?.Size ?? 0,
            MessageId = message?.MessageId,
            Fingerprint = message?.Fingerprint ?? default,
            DestinationDomains = DestinationDomains,
            Outcome = outcome,
            ReplyCode = replyCode,
            Reason = reason,
            UpstreamReply = upstreamReply,
            Counted = Enforces,
            RelayMicros = relayMicros,
            PolicyMicros = Math.Max(0, total - relayMicros),
            TotalMicros = total,
        };
        Clear();
        _engine.Raise(completed);
    }

    /// <summary>Ends the transaction without an outcome (RSET, HELO, a disconnect, a timeout before the content): releases what it holds.</summary>
    public void Abandon()
    {
        if (Mailbox is null)
        {
            return;
        }

        _engine.Counters.Release(in _held);
        Clear();
    }

    /// <summary>Distinct destination domains a transaction keeps for people to read (evidence, notifications).</summary>
    public const int MaxDestinations = 4;

    /// <summary>
    /// The destination domains (comma-separated, lower-case, at most <see cref="MaxDestinations"/>) of
    /// a message with enough external recipients for the detector to track it. Smaller messages keep
    /// none: nobody reads them, and the hot path would pay for them.
    /// </summary>
    public string? DestinationDomains => _destinationCount switch
    {
        0 => null,
        1 => _destination0,
        2 => string.Concat(_destination0, ",", _destination1),
        3 => string.Concat(_destination0, ",", _destination1, ",", _destination2),
        _ => string.Join(',', _destination0, _destination1, _destination2, _destination3),
    };

    private void NoteDestination(ReadOnlySpan<char> recipient)
    {
        var at = recipient.LastIndexOf('@');
        if (at < 0)
        {
            return;
        }

        var domain = recipient[(at + 1)..].TrimEnd('>').Trim();
        if (domain.IsEmpty || domain.Length > DomainNames.MaxLength
            || domain.Equals(_destination0, StringComparison.OrdinalIgnoreCase)
            || domain.Equals(_destination1, StringComparison.OrdinalIgnoreCase)
            || domain.Equals(_destination2, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var name = DomainNames.Get(domain);
        switch (_destinationCount++)
        {
            case 0: _destination0 = name; break;
            case 1: _destination1 = name; break;
            case 2: _destination2 = name; break;
            default: _destination3 = name; break;
        }
    }

    private void Clear()
    {
        _destination0 = _destination1 = _destination2 = _destination3 = null;
        _destinationCount = 0;
        _held = default;
        Mailbox = null;
        EnvelopeSender = string.Empty;
        Recipients = External = Internal = 0;
        RecipientsHash = 0;
        ReturnExternalRecipients();
        Message = null;
        _begun = _contentStarted = 0;
    }

    private void ReturnExternalRecipients()
    {
        if (_externalRecipients.Length > 0)
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(_externalRecipients);
            _externalRecipients = [];
        }
    }
}
