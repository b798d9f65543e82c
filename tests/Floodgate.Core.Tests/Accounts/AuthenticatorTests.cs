using System.Net;
using Floodgate.Core.Accounts;

namespace Floodgate.Core.Tests.Accounts;

public sealed class AuthenticatorTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Owner = IPAddress.Parse("192.0.2.10");

    [Fact]
    public async Task PaddedAndCasedSpellingsOfALoginShareOneBudget()
    {
        var f = new AccountsFixture();
        string[] spellings = [" ann@acme.test", "ANN@acme.test ", "<Ann@Acme.Test>", "ann@ACME.TEST.", "\tann@acme.test"];
        foreach (var login in spellings)
        {
            Assert.Equal(AuthenticationOutcome.Failed, (await f.AuthenticateAsync(login, "guess", Guesser)).Outcome);
        }

        var sixth = await f.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Guesser);

        Assert.Equal(AuthenticationOutcome.Throttled, sixth.Outcome);
        Assert.Equal(LoginRefusal.LoginAtAddress, sixth.Refusal);
    }

    [Fact]
    public async Task OfTwentyParallelAttemptsOfOneLoginAndAddressOnlyTheLimitReachTheVerifier()
    {
        var f = new AccountsFixture();
        f.Passwords.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 20)
            .Select(i => Task.Run(() => f.Authenticator.AuthenticateAsync("ann@acme.test", $"guess {i}", Guesser, CancellationToken.None).AsTask()))
            .ToArray();

        // The limit's worth wait in the verifier; the others wait for them, none gets past.
        Assert.True(SpinWait.SpinUntil(() => f.Passwords.Calls.Count == f.Options.MaxFailuresPerLogin, TimeSpan.FromSeconds(10)));
        await Task.Delay(100);
        Assert.Equal(f.Options.MaxFailuresPerLogin, f.Passwords.Calls.Count);
        Assert.DoesNotContain(attempts, a => a.IsCompleted);
        f.Passwords.Gate.SetResult();
        var results = await RunClockUntilAsync(f, attempts);

        Assert.Equal(f.Options.MaxFailuresPerLogin, f.Passwords.Calls.Count);
        Assert.Equal(20 - f.Options.MaxFailuresPerLogin, results.Count(r => r.Outcome == AuthenticationOutcome.Throttled));
        Assert.Equal(f.Options.MaxFailuresPerLogin, results.Count(r => r.Outcome == AuthenticationOutcome.Failed));
    }

    [Fact]
    public async Task TwentyParallelSessionsOfTheOwnerAllAuthenticate()
    {
        var f = new AccountsFixture();
        f.Passwords.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 20)
            .Select(_ => Task.Run(() => f.Authenticator.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner, CancellationToken.None).AsTask()))
            .ToArray();
        Assert.True(SpinWait.SpinUntil(() => f.Passwords.Calls.Count == f.Options.MaxFailuresPerLogin, TimeSpan.FromSeconds(10)));
        f.Passwords.Gate.SetResult();

        var results = await RunClockUntilAsync(f, attempts);

        Assert.All(results, r => Assert.Equal(AuthenticationOutcome.Succeeded, r.Outcome));
    }

    // Waiting attempts poll on the fake clock: move it until every attempt has its answer.
    private static async Task<AuthenticationResult[]> RunClockUntilAsync(AccountsFixture f, Task<AuthenticationResult>[] attempts)
    {
        for (var i = 0; i < 10_000 && !attempts.All(a => a.IsCompleted); i++)
        {
            f.Time.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Delay(1);
        }

        return await Task.WhenAll(attempts);
    }

    [Fact]
    public async Task TheOwnerAtAnotherAddressAuthenticatesAfterFiveFailuresElsewhere()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            await f.AuthenticateAsync("ann@acme.test", "guess", Guesser);
        }

        var owners = await f.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner);

        Assert.Equal(AuthenticationOutcome.Succeeded, owners.Outcome);
        Assert.Equal("ann@acme.test", owners.Mailbox?.Address);
    }

    [Fact]
    public async Task ASlowedDownAttemptChecksNoPasswordUntilItsDelayHasPassed()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail("ann@acme.test", AccountsFixture.Address(i));
        }

        var pending = f.Authenticator.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner, CancellationToken.None).AsTask();
        f.Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Empty(f.Passwords.Calls);
        f.Time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(AuthenticationOutcome.Succeeded, (await pending).Outcome);
        Assert.Single(f.Passwords.Calls);
    }

    [Fact]
    public async Task AnAttemptCancelledWhileItWaitsStillCountsAsAFailure()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail("ann@acme.test", AccountsFixture.Address(i));
        }

        using var gone = new CancellationTokenSource();
        var pending = f.Authenticator.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner, gone.Token).AsTask();
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);

        // Six failures now: the next attempt waits 2 s after the cancelled one's slot (1 s), 3 s in all.
        Assert.Equal(TimeSpan.FromSeconds(3), f.Throttle.Begin("ann@acme.test", AccountsFixture.Address(9)).Delay);
    }

    [Fact]
    public async Task AnUnknownLoginCostsOneCheckAgainstTheDummyHashAsAWrongPasswordCostsOneAgainstTheRealHash()
    {
        var f = new AccountsFixture();

        var unknown = await f.AuthenticateAsync("nobody@acme.test", "guess", Guesser);
        var wrong = await f.AuthenticateAsync("ann@acme.test", "guess", Guesser);

        Assert.Equal(AuthenticationOutcome.Failed, unknown.Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, wrong.Outcome);
        Assert.Equal([("guess", f.Passwords.DummyHash), ("guess", AccountsFixture.AnnHash)], f.Passwords.Calls);
    }

    [Theory]
    [InlineData("nopass@acme.test", "a mailbox without a password hash")]
    [InlineData("ann@", "a login that normalises to nothing")]
    public async Task ALoginWithoutAHashIsCheckedAgainstTheDummyHashAndFailsEvenIfItMatches(string login, string reason)
    {
        var f = new AccountsFixture();

        // The fake verifies "nobody knows" against its dummy hash: the login must fail all the same.
        var result = await f.AuthenticateAsync(login, "nobody knows", Guesser);

        Assert.True(result.Outcome == AuthenticationOutcome.Failed, reason);
        Assert.Equal([("nobody knows", f.Passwords.DummyHash)], f.Passwords.Calls);
    }

    [Fact]
    public async Task ASuspendedMailboxStillAuthenticates()
    {
        var f = new AccountsFixture();

        var result = await f.AuthenticateAsync("sam@acme.test", "sam's own", Guesser);

        Assert.Equal(AuthenticationOutcome.Succeeded, result.Outcome);
        Assert.Equal(AccountStatus.Suspended, result.Mailbox?.Status.Status);
    }
}
