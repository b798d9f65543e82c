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

    public PolicyReply Decide(PolicyRequest request) => request.ProtocolState switch
    {
        PolicyProtocolState.Rcpt => Recipient(request),
        PolicyProtocolState.EndOfMessage => EndOfMessage(request),
        PolicyProtocolState.Mail => Mail(request),
        _ => PolicyReply.Dunno,
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
            if (_time.GetElapsedTime(Volatile.Read(ref transaction.LastSeen), now) > _timeout && _transactions.TryRemove(instance, out _))
            {
                lock (transaction)
                {
                    Expire(transaction.Transaction);
                }

                removed++;
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
            if (_transactions.TryRemove(instance, out _))
            {
                lock (transaction)
                {
                    Expire(transaction.Transaction);
                }
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

    private PolicyReply Recipient(PolicyRequest request)
    {
        var resolution = Resolve(request);
        if (resolution.Kind != SenderResolutionKind.Mailbox)
        {
            return resolution.Kind == SenderResolutionKind.UnknownLogin ? UnknownLogin(resolution.Name!) : PolicyReply.Dunno;
        }

        var mailbox = resolution.Mailbox!;
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
                DoorMetrics.Refused(Door.Policy, "busy");
                return DoorReplies.PolicyBusy;
            }

            transaction = _transactions.GetOrAdd(instanceKey.ToString(), static (_, state) => new PolicyTransaction(state.Engine.Open(Door.Policy), state.Now), (Engine: _engine, Now: now));
        }

        lock (transaction)
        {
            Volatile.Write(ref transaction.LastSeen, _time.GetTimestamp());
            var t = transaction.Transaction;
            if (!transaction.Begun)
            {
                transaction.Begun = true;
                t.ClientAddress = request.ClientAddress;
                if (resolution.ByLogin)
                {
                    // Once per message: Postfix authenticated sasl_username from client_address.
                    _engine.LoggedIn(mailbox, request.ClientAddress);
                }

                var begin = t.Begin(mailbox, request.Sender ?? string.Empty, Math.Max(0, request.Size));
                if (!begin.IsAccept)
                {
                    // Every recipient of a refused MAIL gets the same answer; Postfix has no MAIL-stage request here.
                    transaction.Refusal = begin;
                }
            }

            if (transaction.Refusal is { } refusal)
            {
                return Refuse(in refusal);
            }

            if (!t.IsOpen)
            {
                // Completed by the sweep between the lookup and the lock (its timeout passed): no open
                // transaction to add to, and none may be let through uncapped. The client tries again.
                DoorMetrics.Refused(Door.Policy, "busy");
                return DoorReplies.PolicyBusy;
            }

            var verdict = t.AddRecipient(recipient);
            if (alone)
            {
                // Nothing ties this recipient to a message: counted on its own, now.
                t.Complete(verdict.IsAccept ? Outcome.Accepted : verdict.Outcome, verdict.IsAccept ? "250" : verdict.ReplyCode, verdict.IsAccept ? PolicyReasons.Relayed : verdict.Reason);
            }

            return verdict.IsAccept ? PolicyReply.Dunno : Refuse(in verdict);
        }
    }

    private PolicyReply EndOfMessage(PolicyRequest request)
    {
        Span<char> key = stackalloc char[128];
        var instanceKey = Decode(request.GetUtf8(PolicyAttribute.Instance), key);
        if (instanceKey.IsEmpty || !_lookup.TryRemove(instanceKey, out _, out var transaction))
        {
            // Not ours (no mailbox at RCPT), or already completed at expiry: Postfix decides.
            return PolicyReply.Dunno;
        }

        lock (transaction)
        {
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

    private sealed class PolicyTransaction(Transaction transaction, long now)
    {
        public readonly Transaction Transaction = transaction;
        public long LastSeen = now;
        public bool Begun;
        public Verdict? Refusal;
    }
}
