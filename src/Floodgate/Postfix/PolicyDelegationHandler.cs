using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Policy;
using Floodgate.Protocols.PolicyDelegation;
using Floodgate.Storage.Transactions;

namespace Floodgate.Postfix;

/// <summary>
/// The policy delegation front door (Postfix check_policy_service, SMTPD_POLICY_README) over the same
/// policy engine as the gateway. Postfix asks once per RCPT and once at END-OF-MESSAGE; the requests of
/// one message share the <c>instance</c> attribute, which keys the transaction's tally here.
/// <list type="bullet">
/// <item>RCPT, first of an instance: BeginTransaction (status, sender ownership, message rate), then every
/// RCPT: CheckRecipient (status, the recipient cap, the recipient windows).</item>
/// <item>END-OF-MESSAGE: status again, then the message counts in the windows and the transaction log.
/// The state of the instance is freed.</item>
/// </list>
/// A request naming no mailbox Floodgate knows (no SASL login, an unknown login, an untrusted client)
/// gets DUNNO: Postfix's own restrictions decide, as for any mail that is not the provider's outbound.
/// </summary>
internal sealed class PolicyDelegationHandler : IPolicyHandler
{
    private const string Door = PostfixLog.PolicyDoor;
    private const int ReplyCacheSize = 4096;

    // Full table: refuse new messages for a moment rather than let them through without a cap.
    private static readonly PolicyReply Busy = PolicyReply.DeferIfPermit("4.3.2 Policy service busy, try again later");
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly PolicyEngine _engine;
    private readonly PostfixLog _log;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly int _maxTransactions;
    private readonly bool _milterInspects;
    private readonly bool[] _senderFirst;
    private readonly IPNetwork[] _trusted;
    private readonly ConcurrentDictionary<string, PolicyTransaction> _transactions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PolicyTransaction>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly ConcurrentDictionary<Verdict, PolicyReply> _replies = new();
    private long _nextSweep;

    /// <param name="milterInspects">The milter feeds the detector's memory with the same message; this door then only counts windows.</param>
    public PolicyDelegationHandler(PolicyEngine engine, PostfixLog log, PolicyDelegationOptions options, bool milterInspects, TimeProvider? time = null)
    {
        _milterInspects = milterInspects;
        _engine = engine;
        _log = log;
        _time = time ?? engine.Time;
        _timeout = options.TransactionTimeout;
        _maxTransactions = options.MaxTransactions;
        _trusted = PostfixOptionsValidation.Networks(options.TrustedNetworks);
        // Unbound options (no ApplyDefaults): the SASL login only, the safe choice.
        _senderFirst = options.MailboxFrom.Count == 0 ? [false] : new bool[options.MailboxFrom.Count];
        for (var i = 0; i < options.MailboxFrom.Count; i++)
        {
            _senderFirst[i] = options.MailboxFrom[i] == MailboxSources.Sender;
        }

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

    /// <summary>Frees transactions idle longer than the timeout; returns how many.</summary>
    public int Sweep()
    {
        var now = _time.GetTimestamp();
        var removed = 0;
        foreach (var (instance, transaction) in _transactions)
        {
            if (_time.GetElapsedTime(Volatile.Read(ref transaction.LastSeen), now) > _timeout && _transactions.TryRemove(instance, out _))
            {
                removed++;
            }
        }

        Volatile.Write(ref _nextSweep, now + (long)(SweepInterval.TotalSeconds * _time.TimestampFrequency));
        return removed;
    }

    // Used when check_policy_service also sits in smtpd_sender_restrictions: status only, no state.
    private PolicyReply Mail(PolicyRequest request)
    {
        if (!TryResolve(request, out var mailbox))
        {
            return PolicyReply.Dunno;
        }

        var verdict = _engine.CheckStatus(mailbox);
        return verdict.IsAccept ? PolicyReply.Dunno : Refuse(verdict);
    }

    private PolicyReply Recipient(PolicyRequest request)
    {
        if (!TryResolve(request, out var mailbox))
        {
            return PolicyReply.Dunno;
        }

        Span<char> rcpt = stackalloc char[512];
        var recipient = Decode(request.GetUtf8(PolicyAttribute.Recipient), rcpt);
        var instance = request.GetUtf8(PolicyAttribute.Instance);
        Span<char> key = stackalloc char[128];
        var instanceKey = Decode(instance, key);
        PolicyTransaction? transaction;
        if (instanceKey.IsEmpty)
        {
            // No instance (an old Postfix or a test client): judge the recipient alone; no cap possible.
            transaction = new PolicyTransaction(mailbox, _time.GetTimestamp());
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
                PostfixLog.Refused(Door, "busy");
                return Busy;
            }

            transaction = _transactions.GetOrAdd(instanceKey.ToString(), new PolicyTransaction(mailbox, now));
        }

        lock (transaction)
        {
            Volatile.Write(ref transaction.LastSeen, _time.GetTimestamp());
            if (!transaction.Begun)
            {
                transaction.Begun = true;
                transaction.Sender = request.Sender ?? string.Empty;
                transaction.ClientAddress = request.ClientAddress;
                var begin = _engine.BeginTransaction(transaction.Mailbox, transaction.Sender, Math.Max(0, request.Size), out transaction.Tally);
                if (!begin.IsAccept)
                {
                    // Every recipient of a refused MAIL gets the same answer; Postfix has no MAIL-stage request here.
                    transaction.Refusal = begin;
                }
            }

            if (transaction.Refusal is { } refusal)
            {
                return Refuse(refusal);
            }

            var verdict = _engine.CheckRecipient(transaction.Mailbox, ref transaction.Tally, recipient);
            return verdict.IsAccept ? PolicyReply.Dunno : Refuse(verdict);
        }
    }

    private PolicyReply EndOfMessage(PolicyRequest request)
    {
        Span<char> key = stackalloc char[128];
        var instanceKey = Decode(request.GetUtf8(PolicyAttribute.Instance), key);
        if (instanceKey.IsEmpty || !_lookup.TryRemove(instanceKey, out _, out var transaction))
        {
            // Not ours (no mailbox at RCPT) or expired: Postfix decides.
            return PolicyReply.Dunno;
        }

        var started = Stopwatch.GetTimestamp();
        lock (transaction)
        {
            var mailbox = transaction.Mailbox;
            var tally = transaction.Tally;

            // Postfix's recipient_count is what it accepted; a later restriction may have refused some we passed.
            if (request.RecipientCount >= 0 && request.RecipientCount < tally.Recipients)
            {
                var count = (int)request.RecipientCount;
                tally.External = Math.Min(tally.External, count);
                tally.Internal = count - tally.External;
                tally.Recipients = count;
            }

            if (transaction.Refusal is { } refusal)
            {
                return Refuse(refusal);
            }

            var status = _engine.CheckStatus(mailbox);
            if (!status.IsAccept)
            {
                _log.Record(Door, mailbox, transaction.ClientAddress, transaction.Sender, in tally, request.Size, null, TransactionVerdict.Rejected, PostfixLog.Code(status), status.Reason, started);
                return Refuse(status);
            }

            // No body here, so no fingerprint: the milter inspects content; this door counts the message.
            // Postfix runs these restrictions before the milter's end of message, so a message the milter
            // then holds or refuses has counted too: the windows err on the sender's side.
            if (_milterInspects)
            {
                _engine.RecordSent(mailbox, in tally);
            }
            else
            {
                _engine.RecordOutcome(mailbox, in tally, new MessageFacts { Size = Math.Max(0, request.Size) }, MessageOutcome.Relayed);
            }

            _log.Record(Door, mailbox, transaction.ClientAddress, transaction.Sender, in tally, request.Size, null, TransactionVerdict.Accepted, "250", "relayed", started);
            return PolicyReply.Dunno;
        }
    }

    private bool TryResolve(PolicyRequest request, out MailboxState mailbox)
    {
        Span<char> name = stackalloc char[256];
        foreach (var sender in _senderFirst)
        {
            if (!sender)
            {
                var login = request.GetUtf8(PolicyAttribute.SaslUsername);
                if (!login.IsEmpty)
                {
                    // A login decides alone: an unknown one never falls back to the sender it claims.
                    return _engine.Directory.TryGetMailbox(Decode(login, name), out mailbox);
                }
            }
            else if (request.Has(PolicyAttribute.Sender) && IsTrusted(request.GetUtf8(PolicyAttribute.ClientAddress)))
            {
                var address = request.GetUtf8(PolicyAttribute.Sender);
                if (!address.IsEmpty && _engine.Directory.TryGetMailbox(Decode(address, name), out mailbox))
                {
                    return true;
                }
            }
        }

        mailbox = null!;
        return false;
    }

    private bool IsTrusted(ReadOnlySpan<byte> clientAddress)
    {
        if (_trusted.Length == 0 || !IPAddress.TryParse(clientAddress, out var address))
        {
            return false;
        }

        foreach (var network in _trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private PolicyReply Refuse(in Verdict verdict)
    {
        PostfixLog.Refused(Door, verdict.Reason);
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
    internal static PolicyReply ToReply(in Verdict verdict) => verdict.Kind switch
    {
        VerdictKind.Accept => PolicyReply.Dunno,
        VerdictKind.Hold => PolicyReply.Hold(verdict.Text),
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

    private sealed class PolicyTransaction(MailboxState mailbox, long now)
    {
        public readonly MailboxState Mailbox = mailbox;
        public long LastSeen = now;
        public bool Begun;
        public string Sender = string.Empty;
        public string? ClientAddress;
        public Verdict? Refusal;
        public TransactionTally Tally;
    }
}
