using System.Net;
using Floodgate.Core.Accounts;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Core.Tests.Accounts;

/// <summary>
/// One client (acme.test) with ann and bob (passwords known), sam (suspended) and nopass (no
/// password hash), a throttle and an authenticator over them, and a fake verifier.
/// </summary>
internal sealed class AccountsFixture
{
    public const string AnnPassword = "correct horse battery";
    public const string AnnHash = "hash:" + AnnPassword;

    public AccountsFixture(LoginThrottleOptions? options = null)
    {
        Options = options ?? new LoginThrottleOptions();
        var acme = new Client
        {
            Id = 1,
            Name = "Acme",
            ContactName = "Ann",
            ContactPhone = "+1 555 0100",
            ContactEmail = "ann@acme.test",
            Domains =
            [
                new Domain
                {
                    Id = 10,
                    ClientId = 1,
                    Name = "acme.test",
                    Mailboxes =
                    [
                        new Mailbox { Id = 100, DomainId = 10, Address = "ann@acme.test", PasswordHash = AnnHash },
                        new Mailbox { Id = 101, DomainId = 10, Address = "bob@acme.test", PasswordHash = "hash:bob's own" },
                        new Mailbox { Id = 102, DomainId = 10, Address = "sam@acme.test", PasswordHash = "hash:sam's own", Status = AccountStatus.Suspended, StatusReason = "mass mailing" },
                        new Mailbox { Id = 103, DomainId = 10, Address = "nopass@acme.test" },
                    ],
                },
            ],
        };
        Directory.Apply([acme], new PlanLimits(), 1);
        Throttle = new LoginThrottle(Time, Options);
        Authenticator = new Authenticator(Directory, Throttle, Passwords, Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));

    public LoginThrottleOptions Options { get; }

    public AccountDirectory Directory { get; } = new();

    public FakePasswordVerifier Passwords { get; } = new();

    public LoginThrottle Throttle { get; }

    public Authenticator Authenticator { get; }

    public static IPAddress Address(int i) => new([198, 51, (byte)(i >> 8), (byte)i]);

    /// <summary>One failed attempt of <paramref name="login"/> straight through the throttle.</summary>
    public void Fail(string login, IPAddress address)
    {
        var attempt = Throttle.Begin(login, address);
        Assert.NotEqual(LoginDecision.Refused, attempt.Decision);
        Throttle.End(in attempt, succeeded: false);
    }

    public void Succeed(string login, IPAddress address)
    {
        var attempt = Throttle.Begin(login, address);
        Assert.NotEqual(LoginDecision.Refused, attempt.Decision);
        Throttle.End(in attempt, succeeded: true);
    }

    /// <summary>Authenticates, moving the fake clock on by seconds while the attempt waits out a slowdown.</summary>
    public async Task<AuthenticationResult> AuthenticateAsync(string login, string password, IPAddress address)
    {
        var pending = Authenticator.AuthenticateAsync(login, password, address, CancellationToken.None).AsTask();
        for (var i = 0; i < 120 && !pending.IsCompleted; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));

            // The delay's continuation normally runs inside Advance; the spin only guards against it being queued.
            SpinWait.SpinUntil(() => pending.IsCompleted, TimeSpan.FromMilliseconds(20));
        }

        return await pending;
    }
}

/// <summary>
/// A stored hash is "hash:" + the password; every call is recorded. With <see cref="Gate"/> set,
/// a check waits for it, as a KDF run on the thread pool would.
/// </summary>
internal sealed class FakePasswordVerifier : IPasswordVerifier
{
    private readonly Lock _sync = new();
    private readonly List<(string Password, string Hash)> _calls = [];

    // Of the same form as real hashes: "nobody knows" verifies against it, as a password would against a real dummy.
    public string DummyHash => "hash:nobody knows";

    public TaskCompletionSource? Gate { get; set; }

    public List<(string Password, string Hash)> Calls
    {
        get
        {
            lock (_sync)
            {
                return [.. _calls];
            }
        }
    }

    public ValueTask<bool> VerifyAsync(string password, string storedHash, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            _calls.Add((password, storedHash));
        }

        var verified = storedHash == "hash:" + password;
        return Gate is { } gate ? new ValueTask<bool>(WaitAsync(gate.Task, verified)) : ValueTask.FromResult(verified);
    }

    private static async Task<bool> WaitAsync(Task gate, bool verified)
    {
        await gate;
        return verified;
    }
}
