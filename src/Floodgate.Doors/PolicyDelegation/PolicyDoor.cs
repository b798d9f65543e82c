using System.Collections.Concurrent;
using System.Text;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Protocols.PolicyDelegation;
using Microsoft.Extensions.Logging;

namespace Floodgate.Doors.PolicyDelegation;

/// <summary>
/// The policy delegation door (Postfix check_policy_service, SMTPD_POLICY_README): it translates
/// Postfix's requests into the engine's transaction. Postfix asks once per RCPT and once at
/// END-OF-MESSAGE; the requests of one message share the <c>instance</c> attribute, which keys the
/// transaction here.
/// <list type="bullet">
/// <item>RCPT, first of an instance: Begin (status, sender, size, a message reserved); every RCPT:
/// AddRecipient (status, cap, a recipient reserved in the mailbox, domain and client windows).</item>
/// <item>END-OF-MESSAGE: status again, the recipients Postfix really accepted, then Complete: the
/// reservations become counts and the transaction log has it.</item>
/// <item>No END-OF-MESSAGE within <see cref="PolicyDelegationOptions.TransactionTimeout"/> (a client
/// gone after RCPT, a configuration without smtpd_end_of_data_restrictions, a DATA slower than the
/// timeout): the transaction is completed as relayed, because Postfix never says it was not; the
/// reservation counted all along, so nothing depends on END-OF-MESSAGE arriving.</item>
/// </list>
/// A request without a login from a client outside the trusted networks is not the provider's outbound
/// mail: DUNNO, Postfix decides. A login Floodgate does not know, of a domain we police that allows it,
/// becomes a mailbox before the answer (the resolver's provisioner); any other gets
/// <see cref="PolicyDelegationOptions.UnknownLogin"/> (default: defer), logged and counted.
/// </summary>
internal sealed partial class PolicyDoor : IPolicyHandler
{
    private const int ReplyCacheSize = 4096;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly PolicyEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private readonly int _maxTransactions;
    private readonly UnknownLoginAction _unknownLogin;
    private readonly SenderResolver _senders;
    private readonly ConcurrentDictionary<string, PolicyTransaction> _transactions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PolicyTransaction>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly ConcurrentDictionary<Verdict, PolicyReply> _replies = new();
    private readonly LogOnce _unknownLogins = new();
    private long _nextSweep;

    /// <param name="provisioner">Creates an unknown login's mailbox on first sight when its domain allows it; null: never.</param>
    public PolicyDoor(PolicyEngine engine, PolicyDelegationOptions options, ILogger logger, TimeProvider? time = null, Floodgate.Core.Accounts.IMailboxProvisioner? provisioner = null)
    {
        _engine = engine;
        _logger = logger;
        _time = time ?? engine.Time;
        _timeout = options.TransactionTimeout;
        _maxTransactions = options.MaxTransactions;
        _unknownLogin = options.UnknownLogin;
        _senders = new SenderResolver(engine.Directory, PostfixOptions.Networks(options.TrustedNetworks), PostfixOptions.Sources(options.MailboxFrom),
            provisioner, DoorNames.Name(Door.Policy));
        _lookup = _transactions.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Messages between their first RCPT and END-OF-MESSAGE (or expiry).</summary>
    public int OpenTransactions => _transactions.Count;

    public ValueTask<PolicyReply> DecideAsync(PolicyRequest request) => request.ProtocolState switch
    {
        PolicyProtocolState.Rcpt => Recipient(request),
        PolicyProtocolState.EndOfMessage => ValueTask.FromResult(EndOfMessage(request)),
        PolicyProtocolState.Mail => ValueTask.FromResult(Mail(request)),
        _ => ValueTask.FromResult(PolicyReply.Dunno),
    };

    /// <summary>
    /// Completes the transactions without a request for longer than the timeout: as relayed (counted)
    /// when they had recipients, since Postfix never tells a policy service that a message was not
    /// sent. Returns how many.
    /// </summary>
    public int Sweep()
    {
        var now = _time.GetTimestamp();
        var removed = 0;
        foreach (var (instance, transaction) in _transactions)
        {
            // One being decided is not idle: it is left to its request.
            if (_time.GetElapsedTime(Volatile.Read(ref transaction.LastSeen), now) > _timeout && transaction.TryEnterToEnd())
            {
                try
                {
                    if (_transactions.TryRemove(KeyValuePair.Create(instance, transaction)))
                    {
                        Expire(transaction);
                        removed++;
                    }
                }
                finally
                {
                    transaction.Exit();
                }
            }
        }

        Volatile.Write(ref _nextSweep, now + (long)(SweepInterval.TotalSeconds * _time.TimestampFrequency));
        return removed;
    }

    /// <summary>Completes every open transaction (the door is stopping): the same rule as at expiry.</summary>
    public void CompleteAll()
    {
        foreach (var (instance, transaction) in _transactions)
        {
            // A request still deciding is waited for (at most the counter store's timeout).
            transaction.EnterToEnd();
            try
            {
                if (_transactions.TryRemove(KeyValuePair.Create(instance, transaction)))
                {
                    Expire(transaction);
                }
            }
            finally
            {
                transaction.Exit();
            }
        }
    }

    // Used when check_policy_service also sits in smtpd_sender_restrictions: status only, no state.
    private PolicyReply Mail(PolicyRequest request)
    {
        var resolution = Resolve(request);
        return resolution.Kind switch
        {
            SenderResolutionKind.Mailbox => _engine.CheckStatus(resolution.Mailbox!) is { IsAccept: false } refusal ? Refuse(in refusal) : PolicyReply.Dunno,
            SenderResolutionKind.UnknownLogin => UnknownLogin(resolution.Name!),
            _ => PolicyReply.Dunno,
        };
    }

    private ValueTask<PolicyReply> Recipient(PolicyRequest request)
    {
        var resolution = Resolve(request);
        if (resolution.Kind != SenderResolutionKind.Mailbox)
        {
            return ValueTask.FromResult(resolution.Kind == SenderResolutionKind.UnknownLogin ? UnknownLogin(resolution.Name!) : PolicyReply.Dunno);
        }

        Span<char> rcpt = stackalloc char[512];
        var recipient = Decode(request.GetUtf8(PolicyAttribute.Recipient), rcpt);
        Span<char> key = stackalloc char[128];
        var instanceKey = Decode(request.GetUtf8(PolicyAttribute.Instance), key);
        PolicyTransaction? transaction;
        var alone = instanceKey.IsEmpty;
        if (alone)
        {
            // No instance (an old Postfix or a test client): the recipient judged alone; no cap possible.
            transaction = new PolicyTransaction(_engine.Open(Door.Policy), _time.GetTimestamp());
        }
        else if (!_lookup.TryGetValue(instanceKey, out transaction))
        {
            var now = _time.GetTimestamp();
            if (now >= Volatile.Read(ref _nextSweep) || _transactions.Count >= _maxTransactions)
            {
                Sweep();
            }

            if (_transactions.Count >= _maxTransactions)
            {
                return ValueTask.FromResult(Busy());
            }

            transaction = _transactions.GetOrAdd(instanceKey.ToString(), static (_, state) => new PolicyTransaction(state.Engine.Open(Door.Policy), state.Now), (Engine: _engine, Now: now));
        }

        if (!transaction.TryEnter())
        {
            // Another request of this message is still being decided. Postfix waits for each answer, so
            // this is no Postfix: refuse for a moment rather than decide beside the first.
            return ValueTask.FromResult(Busy());
        }

        ValueTask<PolicyReply> reply;
        try
        {
            reply = Decide(transaction, resolution, request, recipient, alone);
        }
        catch
        {
            transaction.Exit();
            throw;
        }

        if (reply.IsCompleted)
        {
            transaction.Exit();
            return reply;
        }

        return ExitWhenDecided(transaction, reply);
    }

    private static async ValueTask<PolicyReply> ExitWhenDecided(PolicyTransaction transaction, ValueTask<PolicyReply> reply)
    {
        try
        {
            return await reply.ConfigureAwait(false);
        }
        finally
        {
            transaction.Exit();
        }
    }

    // The transaction is this request's until the reply: only the counter store is waited for.
    private ValueTask<PolicyReply> Decide(PolicyTransaction transaction, SenderResolution resolution, PolicyRequest request, ReadOnlySpan<char> recipient, bool alone)
    {
        Volatile.Write(ref transaction.LastSeen, _time.GetTimestamp());
        if (transaction.Ended)
        {
            // Completed by the sweep between the lookup and now (its timeout passed): no open
            // transaction to add to, and none may be let through uncapped. The client tries again.
            return ValueTask.FromResult(Busy());
        }

        if (!transaction.Begun)
        {
            transaction.Begun = true;
            var mailbox = resolution.Mailbox!;
            transaction.Transaction.ClientAddress = request.ClientAddress;
            if (resolution.ByLogin)
            {
                // Once per message: Postfix authenticated sasl_username from client_address.
                _engine.LoggedIn(mailbox, request.ClientAddress);
            }

            var begin = transaction.Transaction.BeginAsync(mailbox, request.Sender ?? string.Empty, Math.Max(0, request.Size));
            if (!begin.IsCompletedSuccessfully)
            {
                return BeginThenAddAsync(transaction, begin, recipient.ToString(), alone);
            }

            Began(transaction, begin.Result);
        }

        return Add(transaction, recipient, alone);
    }

    private async ValueTask<PolicyReply> BeginThenAddAsync(PolicyTransaction transaction, ValueTask<Verdict> begin, string recipient, bool alone)
    {
        Verdict verdict;
        try
        {
            verdict = await begin.ConfigureAwait(false);
        }
        catch
        {
            // Not begun: the next request of the message (after the server's DEFER_IF_PERMIT) begins it.
            transaction.Begun = false;
            throw;
        }

        Began(transaction, verdict);
        return await Add(transaction, recipient, alone).ConfigureAwait(false);
    }

    private static void Began(PolicyTransaction transaction, in Verdict begin)
    {
        if (!begin.IsAccept)
        {
            // Every recipient of a refused MAIL gets the same answer; Postfix has no MAIL-stage request here.
            transaction.Refusal = begin;
        }
    }

    private ValueTask<PolicyReply> Add(PolicyTransaction transaction, ReadOnlySpan<char> recipient, bool alone)
    {
        if (transaction.Refusal is { } refusal)
        {
            return ValueTask.FromResult(Refuse(in refusal));
        }

        var t = transaction.Transaction;
        if (!t.IsOpen)
        {
            return ValueTask.FromResult(Busy());
        }

        var added = t.AddRecipientAsync(recipient);
        return added.IsCompletedSuccessfully ? ValueTask.FromResult(Added(t, added.Result, alone)) : AddedAsync(t, added, alone);
    }

    private async ValueTask<PolicyReply> AddedAsync(Transaction t, ValueTask<Verdict> added, bool alone)
    {
        var verdict = await added.ConfigureAwait(false);
        return Added(t, verdict, alone);
    }

    private PolicyReply Added(Transaction t, in Verdict verdict, bool alone)
    {
        if (alone)
        {
            // Nothing ties this recipient to a message: counted on its own, now.
            t.Complete(verdict.IsAccept ? Outcome.Accepted : verdict.Outcome, verdict.IsAccept ? "250" : verdict.ReplyCode, verdict.IsAccept ? PolicyReasons.Relayed : verdict.Reason);
        }

        return verdict.IsAccept ? PolicyReply.Dunno : Refuse(in verdict);
    }

    private static PolicyReply Busy()
    {
        DoorMetrics.Refused(Door.Policy, "busy");
        return DoorReplies.PolicyBusy;
    }

    private PolicyReply EndOfMessage(PolicyRequest request)
    {
        Span<char> key = stackalloc char[128];
        var instanceKey = Decode(request.GetUtf8(PolicyAttribute.Instance), key);
        if (instanceKey.IsEmpty || !_lookup.TryGetValue(instanceKey, out var transaction))
        {
            // Not ours (no mailbox at RCPT), or already completed at expiry: Postfix decides.
            return PolicyReply.Dunno;
        }

        if (!transaction.TryEnter())
        {
            return Busy();
        }

        try
        {
            if (transaction.Ended)
            {
                return PolicyReply.Dunno;
            }

            // Owned here, so still in the table under this key.
            _lookup.TryRemove(instanceKey, out _, out _);
            transaction.Ended = true;
            var t = transaction.Transaction;
            if (transaction.Refusal is { } refusal)
            {
                return Refuse(in refusal);
            }

            if (!t.IsOpen)
            {
                return PolicyReply.Dunno;
            }

            // Postfix's recipient_count is what it accepted; a later restriction may have refused some we reserved.
            if (request.RecipientCount >= 0)
            {
                t.LimitRecipients((int)Math.Min(int.MaxValue, request.RecipientCount));
            }

            var status = t.CheckStatus();
            if (!status.IsAccept)
            {
                t.Complete(status.Outcome, status.ReplyCode, status.Reason);
                return Refuse(in status);
            }

            // No body here, so no fingerprint: the milter inspects content; this door counts the message.
            // Postfix runs these restrictions before the milter's end of message, so a message the milter
            // then holds or refuses has counted too: the windows err on the sender's side.
            t.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
            return PolicyReply.Dunno;
        }
        finally
        {
            transaction.Exit();
        }
    }

    private static void Expire(PolicyTransaction transaction)
    {
        transaction.Ended = true;
        Expire(transaction.Transaction);
    }

    private static void Expire(Transaction transaction)
    {
        if (!transaction.IsOpen)
        {
            return;
        }

        if (transaction.Recipients == 0)
        {
            transaction.Abandon();
        }
        else
        {
            transaction.Complete(Outcome.Accepted, null, PolicyReasons.NoEndOfMessage);
        }
    }

    private SenderResolution Resolve(PolicyRequest request)
    {
        Span<char> login = stackalloc char[256];
        var saslLogin = Decode(request.GetUtf8(PolicyAttribute.SaslUsername), login);
        if (!saslLogin.IsEmpty && _senders.LoginFirst)
        {
            // The usual request: a login, which decides alone; the sender and client are not needed.
            return _senders.Resolve(saslLogin, [], []);
        }

        Span<char> sender = stackalloc char[256];
        Span<char> client = stackalloc char[64];
        return _senders.Resolve(
            saslLogin,
            Decode(request.GetUtf8(PolicyAttribute.Sender), sender),
            Decode(request.GetUtf8(PolicyAttribute.ClientAddress), client));
    }

    private PolicyReply UnknownLogin(string login)
    {
        DoorMetrics.UnknownLogins.WithLabels(DoorNames.Name(Door.Policy)).Inc();
        if (_unknownLogins.ShouldLog(login, _time.GetUtcNow()))
        {
            LogUnknownLogin(_logger, login, _unknownLogin.ToString().ToLowerInvariant());
        }

        return _unknownLogin switch
        {
            UnknownLoginAction.Dunno => PolicyReply.Dunno,
            UnknownLoginAction.Reject => Refuse(PolicyTexts.UnknownLoginRejected(login, _engine.Options.SupportContact)),
            _ => Refuse(PolicyTexts.UnknownLoginDeferred(login, _engine.Options.SupportContact)),
        };
    }

    private PolicyReply Refuse(in Verdict verdict)
    {
        DoorMetrics.Refused(Door.Policy, verdict.Reason);
        if (_replies.TryGetValue(verdict, out var cached))
        {
            return cached;
        }

        // Texts name mailboxes and retry times, so the cache is bounded, not keyed by reason.
        if (_replies.Count >= ReplyCacheSize)
        {
            _replies.Clear();
        }

        var reply = ToReply(verdict);
        _replies.TryAdd(verdict, reply);
        return reply;
    }

    /// <summary>
    /// A verdict as a Postfix access(5) action: the SMTP reply itself (<c>550 5.7.1 text</c>, <c>452 4.5.3
    /// text</c>, <c>451 4.7.1 text</c>), which Postfix sends as is; a hold becomes HOLD.
    /// </summary>
    internal static PolicyReply ToReply(in Verdict verdict) => verdict.Outcome switch
    {
        Outcome.Accepted => PolicyReply.Dunno,
        Outcome.Held => PolicyReply.Hold(verdict.Text),
        _ => PolicyReply.Smtp(verdict.Code, verdict.EnhancedCode, verdict.Text),
    };

    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> buffer)
    {
        if (utf8.IsEmpty)
        {
            return [];
        }

        // Longer than any address or instance Postfix sends: decode to a string rather than truncate.
        return Encoding.UTF8.GetMaxCharCount(utf8.Length) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetChars(utf8, buffer)]
            : Encoding.UTF8.GetString(utf8);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy delegation: SASL login {Login} is no mailbox of Floodgate's; action {Action}")]
    private static partial void LogUnknownLogin(ILogger logger, string login, string action);

    /// <summary>
    /// One message's transaction and who has it: a request deciding (across its wait for the counter
    /// store, so no lock), or the sweep ending it. A flag instead of a semaphore: a message allocates
    /// nothing for it, and the only contention is the sweep, which never waits.
    /// </summary>
    private sealed class PolicyTransaction(Transaction transaction, long now)
    {
        private const int Free = 0;
        private const int Deciding = 1;
        private const int Ending = 2;
        public readonly Transaction Transaction = transaction;
        public long LastSeen = now;
        public bool Begun;

        /// <summary>Out of the table: completed at END-OF-MESSAGE, at expiry or at stop.</summary>
        public bool Ended;
        public Verdict? Refusal;
        private int _owner;

        /// <summary>For a request: false while another request decides; waits out the sweep, which is brief.</summary>
        public bool TryEnter()
        {
            var spin = default(SpinWait);
            while (true)
            {
                var owner = Interlocked.CompareExchange(ref _owner, Deciding, Free);
                if (owner == Free)
                {
                    return true;
                }

                if (owner == Deciding)
                {
                    return false;
                }

                spin.SpinOnce();
            }
        }

        /// <summary>For the sweep: false while a request decides (it is not idle then).</summary>
        public bool TryEnterToEnd() => Interlocked.CompareExchange(ref _owner, Ending, Free) == Free;

        /// <summary>For the stop: waits for a deciding request.</summary>
        public void EnterToEnd()
        {
            var spin = default(SpinWait);
            while (!TryEnterToEnd())
            {
                spin.SpinOnce();
            }
        }

        public void Exit() => Volatile.Write(ref _owner, Free);
    }
}
