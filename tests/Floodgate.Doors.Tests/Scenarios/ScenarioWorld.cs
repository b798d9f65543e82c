using System.Collections.Concurrent;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Floodgate.Protocols.Content;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// One engine per test, built as ServeHost builds it: the account directory, the in-process counter
/// store, the mass-mail detector and Core's EnforcementService (offenses into an in-memory recorder),
/// the authenticator, one message spool, a recording relay; time is a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class ScenarioWorld : IAsyncDisposable
{
    public const string Password = "correct horse";
    public const string Ann = "ann@acme.test";

    /// <summary>Suspended by an operator (reason: a phished password).</summary>
    public const string Sam = "sam@acme.test";

    /// <summary>Of the suspended domain paused.test (client Acme).</summary>
    public const string Pat = "pat@paused.test";

    /// <summary>Of the terminated client Gone.</summary>
    public const string Tom = "tom@gone.test";

    /// <summary>Of client Tight, whose plan allows a mailbox 5 external recipients an hour.</summary>
    public const string Tia = "tia@tight.test";

    /// <summary>A login Postfix's SASL (Dovecot) accepts and Floodgate has no mailbox for.</summary>
    public const string Ghost = "ghost@acme.test";

    public const int TightExternalPerHour = 5;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "floodgate-scenario-" + Guid.NewGuid().ToString("N")[..12]);

    public ScenarioWorld(bool trustLoopback)
    {
        TrustedNetworks = trustLoopback ? ["127.0.0.0/8"] : [];
        Directory.Apply(Accounts(), new PlanLimits(), 1);
        Detector = new MassMailDetector(Detection);
        Enforcement = new EnforcementService(Directory, new LadderOptions(), Policy, Offenses, NullLogger<EnforcementService>.Instance);
        Engine = new PolicyEngine(Directory, Counters, Time, Policy, Detector, Enforcement);
        Authenticator = new Authenticator(Directory, new LoginThrottle(Time, new LoginThrottleOptions()), new PlainPasswords(), Time);
        Spool = new MessageSpool(new MessageSpoolOptions { Directory = Path.Combine(_folder, "spool") });
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    public AccountDirectory Directory { get; } = new();

    public InProcessCounterStore Counters { get; } = new();

    public PolicyOptions Policy { get; } = new() { SupportContact = "abuse@provider.test" };

    public DetectionOptions Detection { get; } = new();

    public MassMailDetector Detector { get; }

    public RecordingOffenses Offenses { get; } = new();

    public EnforcementService Enforcement { get; }

    public PolicyEngine Engine { get; }

    public Authenticator Authenticator { get; }

    public MessageSpool Spool { get; }

    public RecordingRelay Relay { get; } = new();

    /// <summary>Every door's TrustedNetworks (the gateway's Smtp:TrustedNetworks, PolicyDelegation's, Milter's).</summary>
    public List<string> TrustedNetworks { get; }

    public MailboxState Mailbox(string address) =>
        Directory.TryGetMailbox(address, out var mailbox) ? mailbox : throw new InvalidOperationException($"no mailbox {address}");

    /// <summary>What the mailbox, its domain and its client hold now, read from the engine's counters.</summary>
    public (WindowTotals Mailbox, WindowTotals Domain, WindowTotals Client) Read(string address)
    {
        var m = Mailbox(address);
        var now = Time.GetUtcNow();
        return (Engine.Counters.Read(new CounterKey(CounterScope.Mailbox, m.Id), now),
            Engine.Counters.Read(new CounterKey(CounterScope.Domain, m.Domain.Id), now),
            Engine.Counters.Read(new CounterKey(CounterScope.Client, m.Client.Id), now));
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static List<Client> Accounts()
    {
        const string hash = PlainPasswords.Prefix + Password;
        var tight = new Plan { Id = 1, Name = "Tight", Limits = new PlanLimits() };
        tight.Limits.Mailbox.ExternalRecipientsPerHour = TightExternalPerHour;
        return
        [
            new Client
            {
                Id = 1, Name = "Acme", ContactName = "Ann Archer", ContactPhone = "+1 555 0100", ContactEmail = "boss@acme.test",
                Domains =
                [
                    new Domain
                    {
                        Id = 10, ClientId = 1, Name = "acme.test",
                        Mailboxes =
                        [
                            new Mailbox { Id = 100, DomainId = 10, Address = Ann, PasswordHash = hash },
                            new Mailbox { Id = 101, DomainId = 10, Address = Sam, PasswordHash = hash, Status = AccountStatus.Suspended, StatusReason = "password phished" },
                        ],
                    },
                    new Domain
                    {
                        Id = 11, ClientId = 1, Name = "paused.test", Status = AccountStatus.Suspended, StatusReason = "unpaid invoice",
                        Mailboxes = [new Mailbox { Id = 110, DomainId = 11, Address = Pat, PasswordHash = hash }],
                    },
                ],
            },
            new Client
            {
                Id = 2, Name = "Gone", ContactName = "Gil Gone", ContactPhone = "+1 555 0200", ContactEmail = "gil@gone.test",
                Status = AccountStatus.Terminated, StatusReason = "third offense",
                Domains = [new Domain { Id = 20, ClientId = 2, Name = "gone.test", Mailboxes = [new Mailbox { Id = 200, DomainId = 20, Address = Tom, PasswordHash = hash }] }],
            },
            new Client
            {
                Id = 3, Name = "Tight", ContactName = "Tess Tight", ContactPhone = "+1 555 0300", ContactEmail = "tess@tight.test", PlanId = 1, Plan = tight,
                Domains = [new Domain { Id = 30, ClientId = 3, Name = "tight.test", Mailboxes = [new Mailbox { Id = 300, DomainId = 30, Address = Tia, PasswordHash = hash }] }],
            },
        ];
    }
}

/// <summary>Passwords stored as "plain:" + the password: the scenarios test the doors, not the KDF.</summary>
internal sealed class PlainPasswords : IPasswordVerifier
{
    public const string Prefix = "plain:";

    public string DummyHash => Prefix + "\u0001nobody knows";

    public ValueTask<bool> VerifyAsync(string password, string storedHash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(storedHash == Prefix + password);
}

/// <summary>Keeps the offenses in memory; each is "durable" at once.</summary>
public sealed class RecordingOffenses : IOffenseRecorder
{
    private readonly ConcurrentQueue<Offense> _offenses = new();

    public IReadOnlyList<Offense> Offenses => [.. _offenses];

    public Task<RecordedStep> RecordAsync(Offense offense, CancellationToken cancellationToken)
    {
        _offenses.Enqueue(offense);
        return Task.FromResult(RecordedStep.AsDecided(offense));
    }

    public bool IsStored(Guid key) => _offenses.Any(o => o.Key == key);
}

/// <summary>The gateway's upstream: records what it was asked to send and answers what the test says (sent, by default).</summary>
public sealed class RecordingRelay : IMessageRelay
{
    private readonly ConcurrentQueue<(string Sender, string[] Recipients, byte[] Message)> _sent = new();

    public RelayResult Answer { get; set; } = RelayResult.Sent("250 2.0.0 queued as SCENARIO");

    public IReadOnlyList<(string Sender, string[] Recipients, byte[] Message)> Sent => [.. _sent];

    public string Describe() => "recording relay";

    public async ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, MessageContent message, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        await using (var stream = message.OpenRead())
        {
            await stream.CopyToAsync(copy, cancellationToken);
        }

        _sent.Enqueue((sender, [.. recipients], copy.ToArray()));
        return Answer;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
