using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Policy;

/// <summary>
/// The policy engine: plain code, no sockets, no database. It owns every transaction from begin to
/// complete (<see cref="Transaction"/>); a door only translates its protocol into the transaction's
/// steps and the verdict back, so a sender meets the same rules whichever door it uses. State reaches
/// it through small interfaces: the account directory, the counter store (windows and reservations),
/// the detector's memory, the enforcement sink and the observers of completed transactions.
/// </summary>
public sealed class PolicyEngine
{
    private readonly AccountDirectory _directory;
    private readonly ICounterStore _counters;
    private readonly TimeProvider _time;
    private readonly PolicyOptions _options;
    private readonly MassMailDetector? _detector;
    private readonly IEnforcementSink _enforcement;
    private readonly Lock _observersLock = new();
    private ITransactionObserver[] _observers = [];

    public PolicyEngine(
        AccountDirectory directory,
        ICounterStore counters,
        TimeProvider time,
        PolicyOptions options,
        MassMailDetector? detector = null,
        IEnforcementSink? enforcement = null)
    {
        _directory = directory;
        _counters = counters;
        _time = time;
        _options = options;
        _detector = detector;
        _enforcement = enforcement ?? new RefuseOffenses(options);
        DestinationSampleFrom = Math.Max(1, detector?.Options.MinTrackedRecipients ?? 5);
        if (detector is not null)
        {
            AddObserver(detector);
        }
    }

    public AccountDirectory Directory => _directory;

    public ICounterStore Counters => _counters;

    public TimeProvider Time => _time;

    public PolicyOptions Options => _options;

    public MassMailDetector? Detector => _detector;

    /// <summary>Several nodes: the other nodes' recent messages, caught up with before a fingerprinted message is judged.</summary>
    public ISharedDetectorMemory? SharedMemory { get; init; }

    /// <summary>From this external recipient on a transaction keeps destination domains: where the detector starts to track a message.</summary>
    internal int DestinationSampleFrom { get; }

    /// <summary>A new transaction for a door's session (reused message after message).</summary>
    /// <param name="enforces">False for a door that only inspects content while another counts the message.</param>
    public Transaction Open(Door door, bool enforces = true) => new(this, door, enforces);

    /// <summary>Adds a consumer of completed transactions (the transaction log, metrics). Set up before traffic.</summary>
    public void AddObserver(ITransactionObserver observer)
    {
        lock (_observersLock)
        {
            _observers = [.. _observers, observer];
        }
    }

    /// <summary>Is the mailbox, its domain and its client allowed to send now? Checked at every stage.</summary>
    public Verdict CheckStatus(MailboxState mailbox)
    {
        var client = mailbox.Client;
        var cs = client.Status;
        if (!cs.IsActive)
        {
            return cs.Status switch
            {
                AccountStatus.Terminated => PolicyTexts.Terminated(client.Name, cs.Reason, _options.SupportContact),
                AccountStatus.Suspended => PolicyTexts.Suspended("Client", client.Name, cs.Reason, PolicyReasons.ClientSuspended, _options.SupportContact),
                _ => PolicyTexts.Disabled("Client", client.Name, _options.SupportContact),
            };
        }

        var ds = mailbox.Domain.Status;
        if (!ds.IsActive)
        {
            return ds.Status == AccountStatus.Suspended
                ? PolicyTexts.Suspended("Domain", mailbox.Domain.Name, ds.Reason, PolicyReasons.DomainSuspended, _options.SupportContact)
                : PolicyTexts.Disabled("Domain", mailbox.Domain.Name, _options.SupportContact);
        }

        var ms = mailbox.Status;
        if (!ms.IsActive)
        {
            return ms.Status == AccountStatus.Suspended
                ? PolicyTexts.Suspended("Mailbox", mailbox.Address, ms.Reason, PolicyReasons.MailboxSuspended, _options.SupportContact)
                : PolicyTexts.Disabled("Mailbox", mailbox.Address, _options.SupportContact);
        }

        return Verdict.Accept;
    }

    /// <summary>
    /// An authenticated login of <paramref name="mailbox"/> from <paramref name="clientAddress"/>, as
    /// every door hears it (gateway AUTH, Postfix's sasl_username, the milter's {auth_authen}): the
    /// detector's login networks.
    /// </summary>
    public void LoggedIn(MailboxState mailbox, ReadOnlySpan<char> clientAddress) =>
        _detector?.Compromise.LoggedIn(mailbox.Id, clientAddress, _time.GetUtcNow());

    /// <inheritdoc cref="LoggedIn(MailboxState, ReadOnlySpan{char})"/>
    public void LoggedIn(MailboxState mailbox, System.Net.IPAddress clientAddress) =>
        _detector?.Compromise.LoggedIn(mailbox.Id, clientAddress, _time.GetUtcNow());

    /// <summary>
    /// The upstream refused <paramref name="recipient"/> of a message of <paramref name="mailbox"/> with
    /// <paramref name="replyCode"/> and <paramref name="replyText"/>: counted when it says the address does not exist.
    /// </summary>
    public bool RecipientRefused(MailboxState mailbox, ReadOnlySpan<char> recipient, int replyCode, ReadOnlySpan<char> replyText) =>
        _detector is not null && Bounces.UnknownRecipient.IsReply(replyCode, replyText)
        && _detector.Compromise.RecipientRefused(mailbox.Id, recipient, Detection.RefusalSource.Upstream, _time.GetUtcNow());

    /// <summary>
    /// A recipient is internal when its domain belongs to the sender's own client and its local part is
    /// plain: anything that a next MTA might route onwards (the percent hack, a bang path) counts as
    /// external, the stricter class.
    /// </summary>
    public bool IsExternal(MailboxState mailbox, ReadOnlySpan<char> recipient) => Classify(mailbox, recipient, out _);

    /// <summary><see cref="IsExternal"/>, and a hash of the normalised address.</summary>
    internal bool Classify(MailboxState mailbox, ReadOnlySpan<char> recipient, out ulong hash)
    {
        Span<char> buffer = stackalloc char[Addresses.MaxLength + 8];
        if (!Addresses.TryNormalize(recipient, buffer, out var written))
        {
            hash = Hash(recipient);
            return true;
        }

        var normalized = buffer[..written];
        hash = Hash(normalized);
        return !Addresses.HasPlainLocalPart(normalized)
            || !_directory.TryGetDomain(Addresses.DomainOf(normalized), out var domain)
            || domain.Client.Id != mailbox.Client.Id;
    }

    // FNV-1a, 64 bits: a recipient set's hash is the sum of its members', so order does not matter.
    private static ulong Hash(ReadOnlySpan<char> s)
    {
        var h = 0xcbf29ce484222325UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 0x100000001b3UL;
        }

        return h;
    }

    /// <summary>Counts a sent message without a transaction: the windows rebuilt from the transaction log at start.</summary>
    public void RecordSent(int mailboxId, int domainId, int clientId, int external, int @internal, DateTimeOffset at)
    {
        _counters.Add(new CounterKey(CounterScope.Mailbox, mailboxId), at, 1, external, @internal);
        _counters.Add(new CounterKey(CounterScope.Domain, domainId), at, 1, external, @internal);
        _counters.Add(new CounterKey(CounterScope.Client, clientId), at, 1, external, @internal);
    }

    internal Verdict RateVerdict(in ReservationRefusal refusal)
    {
        if (refusal.Unavailable)
        {
            return PolicyTexts.StateUnavailable;
        }

        var what = refusal.Measure switch
        {
            WindowMeasure.Messages => "messages",
            WindowMeasure.ExternalRecipients => "external recipients",
            _ => "internal recipients",
        };
        return PolicyTexts.Rate(ScopeName(refusal.Scope, refusal.Id), what, refusal.Used, refusal.Limit, refusal.Span == WindowSpan.Hour ? "hour" : "24 hours", refusal.RetryAt);
    }

    internal async ValueTask<Verdict> InspectAsync(Transaction transaction, MessageFacts message, CancellationToken cancellationToken)
    {
        var mailbox = transaction.Mailbox!;
        if (transaction.External == 0)
        {
            return Verdict.Accept;
        }

        // The detector first, whatever the bulk opt-out rule would say: it judges every message it
        // tracks, and remembers it at Complete refused or not, so a blast refused for its missing
        // opt-out still builds the run that ends in an offense. Its hold or offense is the answer:
        // the stronger one, and the one the abuse desk was told of.
        // A message without a fingerprint (too few external recipients for the content signals) is still
        // judged by the signs of a stolen password and by what the world says back about its mailbox
        // (complaints, bounces): a few lookups, nothing allocated when nothing is known.
        var fingerprinted = !message.Fingerprint.IsDefault;
        if (_detector is not null)
        {
            if (fingerprinted && SharedMemory is { } shared)
            {
                await shared.CatchUpAsync(cancellationToken).ConfigureAwait(false);
            }

            var now = _time.GetUtcNow();
            // The mailbox's window already holds this message: reserved (the enforcing door) or counted
            // (policy delegation, before the milter inspects). Without a fingerprint only a new network's
            // volume needs it: a shared counter store is not asked for every small message.
            var lastHour = fingerprinted || _detector.Compromise.AwaitsVolume(mailbox.Id, now)
                ? (await _counters.ReadAsync(new CounterKey(CounterScope.Mailbox, mailbox.Id), now, cancellationToken).ConfigureAwait(false)).ExternalLastHour
                : 0;
            var tally = new TransactionTally(transaction.Recipients, transaction.External, transaction.Internal,
                lastHour, transaction.RecipientsHash, transaction.ExternalRecipients, transaction.DestinationDomains);
            var result = !fingerprinted
                ? _detector.EvaluateWithoutFingerprint(mailbox, in tally, message, now)
                : _detector.Evaluate(mailbox, in tally, message, now);
            if (result.ObservedAction != result.Action)
            {
                _enforcement.Observed(mailbox, result, now);
            }

            switch (result.Action)
            {
                case DetectionAction.Offense:
                    return await _enforcement.RaiseOffenseAsync(mailbox, result, now, cancellationToken).ConfigureAwait(false);
                case DetectionAction.Hold:
                    _enforcement.Held(mailbox, result, now);
                    return PolicyTexts.Held(result, _detector.Options.ListService);
            }
        }

        return CheckBulkOptOut(transaction, message.ListSignals, mailbox);
    }

    /// <summary>
    /// A message that looks bulk (many external recipients, or a Precedence or list header fields)
    /// must carry a working List-Unsubscribe. Mail with no external recipient harms no one outside
    /// and is not judged (the caller returns first).
    /// </summary>
    private Verdict CheckBulkOptOut(Transaction transaction, ListSignals signals, MailboxState mailbox)
    {
        var o = _options.BulkOptOut;
        if (o.Mode == BulkOptOutMode.Off || (signals & ListSignals.WorkingUnsubscribe) != 0)
        {
            return Verdict.Accept;
        }

        var many = transaction.External >= o.ExternalRecipients;
        var headers = o.HeadersMakeBulk && HeadersSayBulk(signals);
        if (!many && !headers)
        {
            return Verdict.Accept;
        }

        var verdict = PolicyTexts.BulkWithoutOptOut(WhyBulk(transaction.External, many, headers ? signals : ListSignals.None),
            (signals & ListSignals.Unsubscribe) != 0, _detector?.Options.ListService ?? DetectionOptions.DefaultListService);
        if (o.Mode == BulkOptOutMode.Observe)
        {
            _enforcement.ObservedRefusal(mailbox, verdict, _time.GetUtcNow());
            return Verdict.Accept;
        }

        return verdict;
    }

    // A List-Unsubscribe field (working or not) or other list fields say the message is a mailing.
    // RFC 3834 5: an auto-reply is marked Auto-Submitted, and auto-responders commonly add
    // Precedence: bulk to stop reply loops; that Precedence alone does not make one a mailing.
    private static bool HeadersSayBulk(ListSignals signals) =>
        (signals & (ListSignals.ListFields | ListSignals.Unsubscribe)) != 0
        || ((signals & ListHeaders.Precedence) != 0 && (signals & ListSignals.AutoSubmitted) == 0);

    // Only on the refusal (or observed) path: the reasons go into the reply text.
    private static string WhyBulk(int external, bool many, ListSignals signals)
    {
        var parts = new List<string>(4);
        if (many)
        {
            parts.Add(external.ToString(System.Globalization.CultureInfo.InvariantCulture) + " external recipients");
        }

        if ((signals & ListSignals.AutoSubmitted) == 0)
        {
            if ((signals & ListSignals.PrecedenceBulk) != 0)
            {
                parts.Add("Precedence: bulk");
            }
            else if ((signals & ListSignals.PrecedenceList) != 0)
            {
                parts.Add("Precedence: list");
            }
            else if ((signals & ListSignals.PrecedenceJunk) != 0)
            {
                parts.Add("Precedence: junk");
            }
        }

        if ((signals & ListSignals.ListFields) != 0)
        {
            parts.Add("list header fields");
        }

        if ((signals & ListSignals.Unsubscribe) != 0)
        {
            parts.Add("a List-Unsubscribe field");
        }

        return string.Join(", ", parts);
    }

    internal void Raise(CompletedTransaction completed)
    {
        foreach (var observer in _observers)
        {
            observer.Completed(completed);
        }
    }

    // Only on the refusal path: the name goes into the reply text.
    private string ScopeName(CounterScope scope, int id) => scope switch
    {
        CounterScope.Mailbox => _directory.TryGetMailbox(id, out var m) ? m.Address : $"mailbox {id}",
        CounterScope.Domain => _directory.TryGetDomain(id, out var d) ? "domain " + d.Name : $"domain {id}",
        _ => _directory.TryGetClient(id, out var c) ? "client " + c.Name : $"client {id}",
    };

    /// <summary>Without an enforcement service (tests, tools): an offense refuses the message and suspends nothing.</summary>
    private sealed class RefuseOffenses(PolicyOptions options) : IEnforcementSink
    {
        public ValueTask<Verdict> RaiseOffenseAsync(MailboxState mailbox, DetectionResult result, DateTimeOffset now, CancellationToken cancellationToken) =>
            ValueTask.FromResult(PolicyTexts.OffenseWithoutEnforcement(options.SupportContact));

        public void Held(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
        {
        }

        public void Observed(MailboxState mailbox, DetectionResult result, DateTimeOffset now)
        {
        }

        public void ObservedRefusal(MailboxState mailbox, Verdict verdict, DateTimeOffset now)
        {
        }
    }
}

/// <summary>
/// What the detector needs of a transaction: its recipients, the mailbox's last hour of external
/// recipients (this message included), and the hashes of its external recipients (empty when unknown).
/// </summary>
public readonly record struct TransactionTally(int Recipients, int External, int Internal, int MailboxExternalLastHour, ulong RecipientsHash = 0, ReadOnlyMemory<ulong> ExternalRecipients = default, string? DestinationDomains = null);
