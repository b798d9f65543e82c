using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Fingerprinting;
using Floodgate.Core.Policy;
using Floodgate.Core.Tests.Policy;
using Floodgate.Core.Transactions;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Floodgate.Core.Tests.Detection;

/// <summary>
/// The detector behind the real engine: each message goes through a transaction (MAIL, every RCPT
/// against the cap and the windows, the content check, completion), as a door drives it, on the
/// <see cref="PolicyFixture"/>'s accounts. Counts what was relayed, held and refused. The bulk opt-out
/// rule is off unless a test asks for it: these tests measure the detector, whose blasts have no
/// List-Unsubscribe and would otherwise be refused before anything was relayed.
/// </summary>
internal sealed class DetectorHarness
{
    private readonly PolicyFixture _fixture;

    public DetectorHarness(Action<DetectionOptions>? configure = null, PlanLimits? limits = null, BulkOptOutMode bulkOptOut = BulkOptOutMode.Off)
    {
        var options = new DetectionOptions();
        configure?.Invoke(options);
        _fixture = new PolicyFixture(limits);
        Detector = new MassMailDetector(options);
        Engine = new PolicyEngine(_fixture.Directory, _fixture.Counters, _fixture.Time,
            new PolicyOptions { SupportContact = "abuse@provider.test", BulkOptOut = { Mode = bulkOptOut } }, Detector, Sink);
    }

    public MassMailDetector Detector { get; }

    public PolicyEngine Engine { get; }

    public RecordingEnforcement Sink { get; } = new();

    public FakeTimeProvider Time => _fixture.Time;

    /// <summary>External pieces relayed (one per external recipient of a relayed message).</summary>
    public int RelayedExternal { get; private set; }

    public int Messages { get; private set; }

    /// <summary>Messages held by the detector.</summary>
    public int Held { get; private set; }

    /// <summary>Messages refused by an offense.</summary>
    public int Offenses => Sink.Offenses.Count;

    /// <summary>Recipients refused at RCPT (cap or rate windows).</summary>
    public int RefusedRecipients { get; private set; }

    /// <summary>External pieces relayed before the first hold or offense; -1 while nothing was stopped.</summary>
    public int RelayedBeforeFirstStop { get; private set; } = -1;

    public MailboxState Mailbox(string address) => _fixture.Mailbox(address);

    /// <summary>Drives one message through a gateway transaction; the verdict at the end of data (or the first refusal).</summary>
    public Verdict Send(MimeMessage message, IEnumerable<string> recipients, string? sender = null)
    {
        sender ??= message.From.Mailboxes.First().Address;
        var transaction = Engine.Open(Door.Gateway);
        var begun = transaction.Begin(_fixture.Mailbox(sender), sender, 0);
        if (!begun.IsAccept)
        {
            return begun;
        }

        foreach (var r in recipients)
        {
            if (!transaction.AddRecipient(r).IsAccept)
            {
                RefusedRecipients++;
            }
        }

        if (transaction.Recipients == 0)
        {
            transaction.Abandon();
            return PolicyTexts.RecipientCap(0);
        }

        Messages++;
        var facts = new MessageFacts
        {
            Size = 2000,
            MessageId = MessageIds.Normalize(message.MessageId),
            // From the bytes on the wire, as every door computes it (the raw walker, not the object model).
            Fingerprint = Fingerprinter.Shared.Compute(Wire(message)),
            ListSignals = ListSignalsOf(message),
        };
        var verdict = transaction.CheckContentAsync(facts, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (verdict.IsAccept)
        {
            RelayedExternal += transaction.External;
            transaction.Complete(Outcome.Accepted, "250", PolicyReasons.Relayed);
        }
        else
        {
            if (verdict.Reason == PolicyReasons.Held)
            {
                Held++;
            }

            if (RelayedBeforeFirstStop < 0 && verdict.Reason is PolicyReasons.Held or PolicyReasons.Offense)
            {
                RelayedBeforeFirstStop = RelayedExternal;
            }

            transaction.Complete(verdict.Outcome, verdict.ReplyCode, verdict.Reason);
        }

        return verdict;
    }

    /// <summary>The list signals a door reads off the top-level header fields.</summary>
    public static ListSignals ListSignalsOf(MimeMessage message)
    {
        var signals = ListSignals.None;
        foreach (var header in message.Headers)
        {
            signals |= ListHeaders.Classify(System.Text.Encoding.ASCII.GetBytes(header.Field), header.RawValue);
        }

        return signals;
    }

    /// <summary>The message as a client would send it.</summary>
    public static ReadOnlyMemory<byte> Wire(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        return stream.ToArray();
    }

    /// <summary>Records offenses and holds; an offense refuses the message and suspends nothing.</summary>
    internal sealed class RecordingEnforcement : IEnforcementSink
    {
        public List<DetectionResult> Offenses { get; } = [];

        public List<DetectionResult> Holds { get; } = [];

        public List<DetectionResult> Observations { get; } = [];

        public ValueTask<Verdict> RaiseOffenseAsync(MailboxState mailbox, DetectionResult result, DateTimeOffset now, CancellationToken cancellationToken)
        {
            Offenses.Add(result);
            return ValueTask.FromResult(PolicyTexts.OffenseWithoutEnforcement("abuse@provider.test"));
        }

        public void Held(MailboxState mailbox, DetectionResult result, DateTimeOffset now) => Holds.Add(result);

        public void Observed(MailboxState mailbox, DetectionResult result, DateTimeOffset now) => Observations.Add(result);

        public List<Verdict> ObservedRefusals { get; } = [];

        public void ObservedRefusal(MailboxState mailbox, Verdict verdict, DateTimeOffset now) => ObservedRefusals.Add(verdict);
    }
}
