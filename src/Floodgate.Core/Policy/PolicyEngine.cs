using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Policy;

/// <summary>Facts of a complete message at the end of DATA.</summary>
public sealed class MessageFacts
{
    public long Size { get; init; }

    public string? MessageId { get; init; }

    /// <summary>The content fingerprint; default when the front door did not compute one.</summary>
    public ContentFingerprint Fingerprint { get; init; }
}

/// <summary>
/// Looks at a complete message (content rules, the mass-mail detector). The default accepts
/// everything; the detector replaces it.
/// </summary>
public interface IMessageInspector
{
    Verdict Inspect(MailboxState mailbox, in TransactionTally tally, MessageFacts message, DateTimeOffset now);

    /// <summary>How the message ended (relayed, held, refused): the inspector's memory.</summary>
    void Completed(MailboxState mailbox, in TransactionTally tally, MessageFacts message, MessageOutcome outcome, DateTimeOffset now);
}

public sealed class AcceptAllInspector : IMessageInspector
{
    public static readonly AcceptAllInspector Instance = new();

    public Verdict Inspect(MailboxState mailbox, in TransactionTally tally, MessageFacts message, DateTimeOffset now) => Verdict.Accept;

    public void Completed(MailboxState mailbox, in TransactionTally tally, MessageFacts message, MessageOutcome outcome, DateTimeOffset now)
    {
    }
}

/// <summary>
/// The policy engine: plain code, no sockets, no database. Each front door translates its
/// protocol into these calls and the verdict back into its protocol, so the same sender meets the
/// same rules whichever door it uses.
/// </summary>
public sealed class PolicyEngine
{
    private readonly AccountDirectory _directory;
    private readonly ICounterStore _counters;
    private readonly TimeProvider _time;
    private readonly PolicyOptions _options;
    private readonly IMessageInspector _inspector;

    public PolicyEngine(AccountDirectory directory, ICounterStore counters, TimeProvider time, PolicyOptions options, IMessageInspector? inspector = null)
    {
        _directory = directory;
        _counters = counters;
        _time = time;
        _options = options;
        _inspector = inspector ?? AcceptAllInspector.Instance;
    }

    public AccountDirectory Directory => _directory;

    public ICounterStore Counters => _counters;

    public TimeProvider Time => _time;

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
    /// MAIL FROM: status, the envelope sender, the declared size and the messages-per-hour windows.
    /// Reads the window totals once for the whole transaction.
    /// </summary>
    public Verdict BeginTransaction(MailboxState mailbox, ReadOnlySpan<char> envelopeSender, long declaredSize, out TransactionTally tally)
    {
        tally = default;
        var verdict = CheckStatus(mailbox);
        if (!verdict.IsAccept)
        {
            return verdict;
        }

        // The null sender (bounces) is allowed: it names no address to spoof.
        if (!envelopeSender.IsEmpty && !mailbox.MaySendAs(envelopeSender))
        {
            return PolicyTexts.SenderNotAllowed(mailbox.Address);
        }

        var limits = mailbox.Client.Limits;
        if (declaredSize > limits.MaxMessageSizeBytes)
        {
            return PolicyTexts.MessageTooLarge(limits.MaxMessageSizeBytes);
        }

        var now = _time.GetUtcNow();
        tally.Mailbox = _counters.Read(new CounterKey(CounterScope.Mailbox, mailbox.Id), now);
        tally.Domain = _counters.Read(new CounterKey(CounterScope.Domain, mailbox.Domain.Id), now);
        tally.Client = _counters.Read(new CounterKey(CounterScope.Client, mailbox.Client.Id), now);

        if (tally.Mailbox.MessagesLastHour >= limits.Mailbox.MessagesPerHour)
        {
            return MessagesRate(CounterScope.Mailbox, mailbox.Id, mailbox.Address, tally.Mailbox.MessagesLastHour, limits.Mailbox.MessagesPerHour, now);
        }

        if (tally.Domain.MessagesLastHour >= limits.Domain.MessagesPerHour)
        {
            return MessagesRate(CounterScope.Domain, mailbox.Domain.Id, "domain " + mailbox.Domain.Name, tally.Domain.MessagesLastHour, limits.Domain.MessagesPerHour, now);
        }

        if (tally.Client.MessagesLastHour >= limits.Client.MessagesPerHour)
        {
            return MessagesRate(CounterScope.Client, mailbox.Client.Id, "client " + mailbox.Client.Name, tally.Client.MessagesLastHour, limits.Client.MessagesPerHour, now);
        }

        return Verdict.Accept;
    }

    /// <summary>
    /// RCPT TO: status, the recipient cap and the recipient windows. On accept the recipient is
    /// added to the tally.
    /// </summary>
    public Verdict CheckRecipient(MailboxState mailbox, ref TransactionTally tally, ReadOnlySpan<char> recipient)
    {
        var verdict = CheckStatus(mailbox);
        if (!verdict.IsAccept)
        {
            return verdict;
        }

        var limits = mailbox.Client.Limits;
        if (tally.Recipients >= limits.MaxRecipientsPerMessage)
        {
            return PolicyTexts.RecipientCap(limits.MaxRecipientsPerMessage);
        }

        var external = IsExternal(mailbox, recipient);
        verdict = CheckRecipientWindows(mailbox, in tally, limits, external);
        if (!verdict.IsAccept)
        {
            return verdict;
        }

        tally.Recipients++;
        if (external)
        {
            tally.External++;
        }
        else
        {
            tally.Internal++;
        }

        return Verdict.Accept;
    }

    /// <summary>End of DATA: status, size and the message inspector (content rules, detector).</summary>
    public Verdict CheckMessage(MailboxState mailbox, in TransactionTally tally, MessageFacts message)
    {
        var verdict = CheckStatus(mailbox);
        if (!verdict.IsAccept)
        {
            return verdict;
        }

        var limits = mailbox.Client.Limits;
        if (message.Size > limits.MaxMessageSizeBytes)
        {
            return PolicyTexts.MessageTooLarge(limits.MaxMessageSizeBytes);
        }

        return _inspector.Inspect(mailbox, in tally, message, _time.GetUtcNow());
    }

    /// <summary>The message left Floodgate: count it in every window of the mailbox, its domain and its client.</summary>
    public void RecordSent(MailboxState mailbox, in TransactionTally tally) =>
        RecordSent(mailbox.Id, mailbox.Domain.Id, mailbox.Client.Id, tally.External, tally.Internal, _time.GetUtcNow());

    /// <summary>
    /// The end of a message that reached <see cref="CheckMessage"/>: relayed ones count in the
    /// windows; every outcome goes to the inspector's memory (held attempts are evidence too).
    /// </summary>
    public void RecordOutcome(MailboxState mailbox, in TransactionTally tally, MessageFacts message, MessageOutcome outcome)
    {
        var now = _time.GetUtcNow();
        if (outcome == MessageOutcome.Relayed)
        {
            RecordSent(mailbox.Id, mailbox.Domain.Id, mailbox.Client.Id, tally.External, tally.Internal, now);
        }

        _inspector.Completed(mailbox, in tally, message, outcome, now);
    }

    /// <summary>
    /// The inspector's memory only, no windows: for a front door that inspects content while another
    /// door counts the same message (Postfix: the milter inspects, policy delegation counts).
    /// </summary>
    public void RecordInspected(MailboxState mailbox, in TransactionTally tally, MessageFacts message, MessageOutcome outcome) =>
        _inspector.Completed(mailbox, in tally, message, outcome, _time.GetUtcNow());

    /// <summary>Counts a sent message; also used to rebuild the windows from the transaction log at start.</summary>
    public void RecordSent(int mailboxId, int domainId, int clientId, int external, int @internal, DateTimeOffset at)
    {
        _counters.Add(new CounterKey(CounterScope.Mailbox, mailboxId), at, 1, external, @internal);
        _counters.Add(new CounterKey(CounterScope.Domain, domainId), at, 1, external, @internal);
        _counters.Add(new CounterKey(CounterScope.Client, clientId), at, 1, external, @internal);
    }

    /// <summary>A recipient is internal when its domain belongs to the sender's own client.</summary>
    public bool IsExternal(MailboxState mailbox, ReadOnlySpan<char> recipient)
    {
        var at = recipient.LastIndexOf('@');
        if (at < 0)
        {
            return true;
        }

        return !_directory.TryGetDomain(recipient[(at + 1)..], out var domain) || domain.Client.Id != mailbox.Client.Id;
    }

    private Verdict CheckRecipientWindows(MailboxState mailbox, in TransactionTally tally, PlanLimits limits, bool external)
    {
        var soFar = external ? tally.External : tally.Internal;
        var verdict = CheckScope(CounterScope.Mailbox, mailbox.Id, in tally.Mailbox, limits.Mailbox, external, soFar);
        if (verdict.IsAccept)
        {
            verdict = CheckScope(CounterScope.Domain, mailbox.Domain.Id, in tally.Domain, limits.Domain, external, soFar);
        }

        if (verdict.IsAccept)
        {
            verdict = CheckScope(CounterScope.Client, mailbox.Client.Id, in tally.Client, limits.Client, external, soFar);
        }

        return verdict;
    }

    /// <summary>One scope's hour and day windows for one class of recipient, with this transaction's recipients so far.</summary>
    private Verdict CheckScope(CounterScope scope, int id, in WindowTotals totals, ScopeLimits limits, bool external, int soFar)
    {
        var (hour, day, hourLimit, dayLimit) = external
            ? (totals.ExternalLastHour, totals.ExternalLastDay, limits.ExternalRecipientsPerHour, limits.ExternalRecipientsPerDay)
            : (totals.InternalLastHour, totals.InternalLastDay, limits.InternalRecipientsPerHour, limits.InternalRecipientsPerDay);
        if (hour + soFar + 1 > hourLimit)
        {
            return HourRate(scope, id, ScopeName(scope, id), external ? "external recipients" : "internal recipients", hour + soFar, hourLimit);
        }

        if (day + soFar + 1 > dayLimit)
        {
            return DayRate(scope, id, ScopeName(scope, id), external ? "external recipients" : "internal recipients", day + soFar, dayLimit);
        }

        return Verdict.Accept;
    }

    // Only on the refusal path: the name goes into the reply text.
    private string ScopeName(CounterScope scope, int id) => scope switch
    {
        CounterScope.Mailbox => _directory.TryGetMailbox(id, out var m) ? m.Address : $"mailbox {id}",
        CounterScope.Domain => _directory.TryGetDomain(id, out var d) ? "domain " + d.Name : $"domain {id}",
        _ => _directory.TryGetClient(id, out var c) ? "client " + c.Name : $"client {id}",
    };

    private Verdict MessagesRate(CounterScope scope, int id, string name, int used, int limit, DateTimeOffset now) =>
        PolicyTexts.Rate(name, "messages", used, limit, "hour", _counters.NextHourRelease(new CounterKey(scope, id), now));

    private Verdict HourRate(CounterScope scope, int id, string name, string what, int used, int limit)
    {
        var now = _time.GetUtcNow();
        return PolicyTexts.Rate(name, what, used, limit, "hour", _counters.NextHourRelease(new CounterKey(scope, id), now));
    }

    private Verdict DayRate(CounterScope scope, int id, string name, string what, int used, int limit)
    {
        var now = _time.GetUtcNow();
        return PolicyTexts.Rate(name, what, used, limit, "24 hours", _counters.NextDayRelease(new CounterKey(scope, id), now));
    }
}
