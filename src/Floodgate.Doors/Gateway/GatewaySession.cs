using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Core.Lists;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Doors.Gateway;

/// <summary>
/// The submission gateway's side of one SMTP session: it translates SMTP into the engine's
/// transaction (AUTH, MAIL → Begin, RCPT → AddRecipient, end of DATA → CheckContentAsync, then the
/// in-line relay and Complete) and the verdicts back into replies. Every decision is the engine's.
/// </summary>
internal sealed class GatewaySession : ISmtpSession
{
    private readonly GatewayServices _services;
    private readonly IPAddress _address;
    private readonly IPAddress _localAddress;
    private readonly bool _trusted;
    private readonly bool _loopback;
    private readonly Transaction _transaction;
    private readonly List<string> _recipients = new(8);

    // Hosted lists this message posts to: taken here, not relayed (the gateway's AUTH names the poster).
    private readonly List<int> _lists = new(1);

    private MailboxState? _authenticated;
    private int _credentialStamp;

    public GatewaySession(GatewayServices services, SmtpConnectionInfo connection)
    {
        _services = services;
        _address = connection.Remote.Address.IsIPv4MappedToIPv6 ? connection.Remote.Address.MapToIPv4() : connection.Remote.Address;
        _localAddress = connection.Local.Address.IsIPv4MappedToIPv6 ? connection.Local.Address.MapToIPv4() : connection.Local.Address;
        _loopback = IPAddress.IsLoopback(_address);
        _trusted = services.Senders.IsTrusted(_address);
        _transaction = services.Engine.Open(Door.Gateway);
        _transaction.ClientAddress = _address.ToString();
        DoorMetrics.Sessions.Inc();
    }

    public bool MaySubmit => _authenticated is not null || _trusted;

    public bool AuthAllowed(bool isTls) =>
        isTls || _services.Options.AllowPlaintextAuth || (_loopback && _services.Options.AllowPlaintextAuthOnLoopback);

    public async ValueTask<SmtpReply> AuthenticateAsync(string login, string password, bool isTls, CancellationToken cancellationToken)
    {
        var context = new LoginContext(_address, _localAddress, isTls);
        var result = await _services.Authenticator.AuthenticateAsync(login, password, context, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case AuthenticationOutcome.Succeeded:
                _authenticated = result.Mailbox;
                _credentialStamp = result.CredentialStamp;
                _services.Engine.LoggedIn(result.Mailbox!, _address);
                return DoorReplies.AuthSucceeded;
            case AuthenticationOutcome.Throttled:
                DoorMetrics.AuthFailures.WithLabels("throttled").Inc();
                return DoorReplies.AuthThrottled;
            case AuthenticationOutcome.Unavailable:
                DoorMetrics.AuthFailures.WithLabels("unavailable").Inc();
                return DoorReplies.AuthUnavailable;
            default:
                DoorMetrics.AuthFailures.WithLabels("failed").Inc();
                return DoorReplies.AuthFailed;
        }
    }

    public ValueTask<SmtpReply> MailFromAsync(string reversePath, long declaredSize, CancellationToken cancellationToken)
    {
        Reset();
        var mailbox = _authenticated;
        if (mailbox is null && (!_trusted || !_services.Senders.Lookup(reversePath, out mailbox)))
        {
            // A trusted network names the mailbox by the envelope sender; all policy still applies.
            DoorMetrics.Refused(Door.Gateway, PolicyReasons.UnknownSender);
            return ValueTask.FromResult(DoorReplies.UnknownSenderMailbox);
        }

        // The stamp only for the session's own login: a mailbox a trusted network named has no password in play.
        var pending = _transaction.BeginAsync(mailbox, reversePath, declaredSize, _authenticated is not null ? _credentialStamp : null, cancellationToken);
        return pending.IsCompletedSuccessfully ? ValueTask.FromResult(MailReply(pending.Result)) : AwaitMail(pending);
    }

    private async ValueTask<SmtpReply> AwaitMail(ValueTask<Verdict> pending) => MailReply(await pending.ConfigureAwait(false));

    private SmtpReply MailReply(Verdict verdict)
    {
        if (verdict.IsAccept)
        {
            return DoorReplies.SenderOk;
        }

        if (verdict.Reason == PolicyReasons.CredentialsRevoked)
        {
            // The login is no longer in force: from here on the wire answers 530 to MAIL and RCPT itself.
            _authenticated = null;
        }

        return Refuse(in verdict);
    }

    public ValueTask<SmtpReply> RcptToAsync(string forwardPath, CancellationToken cancellationToken)
    {
        if (!_transaction.IsOpen)
        {
            return ValueTask.FromResult(DoorReplies.NeedMail);
        }

        if (!IsMailbox(forwardPath))
        {
            return ValueTask.FromResult(DoorReplies.BadRecipient);
        }

        var isList = _services.Lists.TryGetList(forwardPath, out var listId);
        if (isList && !_services.Lists.MayPost(listId, _transaction.Mailbox!))
        {
            return ValueTask.FromResult(DoorReplies.NotAPoster);
        }

        var pending = _transaction.AddRecipientAsync(forwardPath, cancellationToken);
        return pending.IsCompletedSuccessfully
            ? ValueTask.FromResult(RcptReply(forwardPath, isList, listId, pending.Result))
            : AwaitRcpt(pending, forwardPath, isList, listId);
    }

    private async ValueTask<SmtpReply> AwaitRcpt(ValueTask<Verdict> pending, string forwardPath, bool isList, int listId) =>
        RcptReply(forwardPath, isList, listId, await pending.ConfigureAwait(false));

    private SmtpReply RcptReply(string forwardPath, bool isList, int listId, Verdict verdict)
    {
        if (!verdict.IsAccept)
        {
            return Refuse(in verdict);
        }

        if (isList)
        {
            if (!_lists.Contains(listId))
            {
                _lists.Add(listId);
            }
        }
        else
        {
            _recipients.Add(forwardPath);
        }

        return DoorReplies.RecipientOk;
    }

    public SmtpReply DataStart()
    {
        if (!_transaction.IsOpen || _recipients.Count + _lists.Count == 0)
        {
            return DoorReplies.NoValidRecipients;
        }

        var verdict = _transaction.CheckStatus();
        return verdict.IsAccept ? DoorReplies.StartData : Refuse(in verdict);
    }

    public async ValueTask<SmtpReply> MessageAsync(MessageContent message, CancellationToken cancellationToken)
    {
        var transaction = _transaction;
        if (!transaction.IsOpen || _recipients.Count + _lists.Count == 0)
        {
            return DoorReplies.NoValidRecipients;
        }

        try
        {
            // The header block is in the head (the first 64 KiB), which is always in memory.
            if (!MessageHeaders.TryRead(message.Head.Span, out var messageId, out var listSignals))
            {
                transaction.Complete(Outcome.Rejected, "554 5.6.0", PolicyReasons.Unparsable);
                return DoorReplies.Unparsable;
            }

            var facts = new MessageFacts
            {
                Size = message.Length,
                MessageId = messageId,
                ListSignals = listSignals,
                Fingerprint = transaction.External >= _services.MinTrackedRecipients
                    ? await MessageInspection.FingerprintAsync(_services.Fingerprinter, message, cancellationToken).ConfigureAwait(false)
                    : default,
            };
            var verdict = await transaction.CheckContentAsync(facts, cancellationToken).ConfigureAwait(false);
            if (!verdict.IsAccept)
            {
                transaction.Complete(verdict.Outcome, verdict.ReplyCode, verdict.Reason);
                return ToReply(in verdict);
            }

            if (_recipients.Count == 0)
            {
                return await PostToListsAsync(transaction, message, null, 0, cancellationToken).ConfigureAwait(false);
            }

            var time = _services.Engine.Time;
            var relayStarted = time.GetTimestamp();
            var stamped = _services.Trace is { } trace && _services.Spool is { } spool
                ? trace.Stamp(message, transaction.Mailbox!.Id, time.GetUtcNow(), spool)
                : null;
            RelayResult result;
            try
            {
                result = await _services.Relay.SendAsync(transaction.EnvelopeSender, _recipients, stamped ?? message, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                stamped?.Dispose();
            }

            var relayMicros = (long)time.GetElapsedTime(relayStarted).TotalMicroseconds;
            if (result.Refused is { } refused)
            {
                // The upstream's word on each address: unknown users count toward the invalid-recipients signal.
                foreach (var r in refused)
                {
                    if ((uint)r.Index < (uint)_recipients.Count)
                    {
                        _services.Engine.RecipientRefused(transaction.Mailbox!, _recipients[r.Index], r.Code, r.Text);
                    }
                }
            }

            if (result.Outcome == Outcome.Accepted)
            {
                if (_lists.Count > 0)
                {
                    return await PostToListsAsync(transaction, message, result.Text, relayMicros, cancellationToken).ConfigureAwait(false);
                }

                transaction.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed, result.Text, relayMicros);
                return DoorReplies.Relayed;
            }

            var reply = SmtpReply.Create(result.Code, result.EnhancedCode, result.Text);
            transaction.Complete(result.Outcome, result.Code + " " + result.EnhancedCode,
                result.Outcome == Outcome.Deferred ? PolicyReasons.UpstreamDeferred : PolicyReasons.UpstreamRejected, result.Text, relayMicros);
            return reply;
        }
        finally
        {
            // Whatever happened (a throw included), the transaction holds nothing any more.
            Reset();
        }
    }

    /// <summary>
    /// Queues the message as a post to each list it was addressed to. With other recipients it is
    /// posted after their relay succeeded; should the store fail then, the 451 makes the client send
    /// again and those recipients may get it twice, which is better than a post lost.
    /// </summary>
    private async ValueTask<SmtpReply> PostToListsAsync(Transaction transaction, MessageContent message, string? relayed, long relayMicros, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var listId in _lists)
            {
                await using var content = message.OpenRead();
                await _services.Lists.EnqueueAsync(listId, transaction.Mailbox!, content, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            transaction.Complete(Outcome.Deferred, "451 4.3.0", PolicyReasons.UpstreamDeferred, "list post not stored: " + ex.Message, relayMicros);
            return DoorReplies.ListPostFailed;
        }

        transaction.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed, relayed ?? "queued as a list post", relayMicros);
        return relayed is null ? DoorReplies.ListPostQueued : DoorReplies.Relayed;
    }

    public void Reset()
    {
        _transaction.Abandon();
        _recipients.Clear();
        _lists.Clear();
    }

    public ValueTask DisposeAsync()
    {
        // A disconnect in the middle of a transaction gives its reservation back.
        Reset();
        DoorMetrics.Sessions.Dec();
        return ValueTask.CompletedTask;
    }

    private static bool IsMailbox(string address)
    {
        var at = address.LastIndexOf('@');
        return at > 0 && at < address.Length - 1 && address.Length <= 254;
    }

    private static SmtpReply Refuse(in Verdict verdict)
    {
        DoorMetrics.Refused(Door.Gateway, verdict.Reason);
        return ToReply(in verdict);
    }

    internal static SmtpReply ToReply(in Verdict verdict) => SmtpReply.Create(verdict.Code, verdict.EnhancedCode, verdict.Text);
}
