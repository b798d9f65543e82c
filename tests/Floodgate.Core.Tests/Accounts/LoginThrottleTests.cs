using System.Net;
using Floodgate.Core.Accounts;

namespace Floodgate.Core.Tests.Accounts;

public sealed class LoginThrottleTests
{
    private const string Ann = "ann@acme.test";
    private static readonly IPAddress Guesser = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Owner = IPAddress.Parse("192.0.2.10");

    [Fact]
    public void AnAttemptCountsAsAFailureFromTheMomentItBegins()
    {
        var f = new AccountsFixture();

        // None of these has ended: their password checks are still running.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(LoginDecision.Allowed, f.Throttle.Begin(Ann, Guesser).Decision);
        }

        // The sixth cannot pass while five run: it waits for them (Busy), it is not let through.
        var sixth = f.Throttle.Begin(Ann, Guesser);
        Assert.Equal(LoginDecision.Busy, sixth.Decision);
        Assert.Equal(LoginRefusal.LoginAtAddress, sixth.Refusal);
    }

    [Fact]
    public void OnceTheRunningAttemptsFailTheNextIsRefused()
    {
        var f = new AccountsFixture();
        var running = Enumerable.Range(0, 5).Select(_ => f.Throttle.Begin(Ann, Guesser)).ToList();
        running.ForEach(a => f.Throttle.End(in a, succeeded: false));

        Assert.Equal(LoginDecision.Refused, f.Throttle.Begin(Ann, Guesser).Decision);
    }

    [Fact]
    public void OnceTheRunningAttemptsSucceedTheNextIsAllowed()
    {
        var f = new AccountsFixture();
        var running = Enumerable.Range(0, 5).Select(_ => f.Throttle.Begin(Ann, Guesser)).ToList();
        running.ForEach(a => f.Throttle.End(in a, succeeded: true));

        Assert.Equal(LoginDecision.Allowed, f.Throttle.Begin(Ann, Guesser).Decision);
    }

    [Fact]
    public void ASuccessRefundsItsOwnCount()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 4; i++)
        {
            f.Fail(Ann, Guesser);
        }

        f.Succeed(Ann, Guesser);

        Assert.NotEqual(LoginDecision.Refused, f.Throttle.Begin(Ann, Guesser).Decision);
    }

    [Fact]
    public void ASuccessDoesNotClearTheFailuresBeforeIt()
    {
        // A guesser holding one valid account must not reset its address's budget with it.
        var f = new AccountsFixture(new LoginThrottleOptions { MaxFailuresPerAddress = 4 });
        for (var i = 0; i < 3; i++)
        {
            f.Fail($"user{i}@acme.test", Guesser);
        }

        f.Succeed("mine@acme.test", Guesser);
        f.Fail("user3@acme.test", Guesser);

        Assert.Equal(LoginRefusal.Address, f.Throttle.Begin("user4@acme.test", Guesser).Refusal);
    }

    [Fact]
    public void FailuresOfALoginAtOneAddressDoNotRefuseItAtAnother()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, Guesser);
        }

        Assert.Equal(LoginDecision.Refused, f.Throttle.Begin(Ann, Guesser).Decision);
        Assert.NotEqual(LoginDecision.Refused, f.Throttle.Begin(Ann, Owner).Decision);
    }

    [Fact]
    public void AnAddressIsRefusedAfterItsFailuresAcrossLogins()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 10; i++)
        {
            f.Fail($"user{i}@acme.test", Guesser);
        }

        var next = f.Throttle.Begin("someone-else@acme.test", Guesser);

        Assert.Equal(LoginRefusal.Address, next.Refusal);
        Assert.Equal(f.Time.GetUtcNow() + f.Options.Window, next.RetryAfter);
    }

    [Fact]
    public void EveryHostOfAnIPv6Slash64IsOneAddress()
    {
        var f = new AccountsFixture();
        for (var i = 1; i <= 10; i++)
        {
            f.Fail($"user{i}@acme.test", IPAddress.Parse($"2001:db8:0:1::{i:x}"));
        }

        Assert.Equal(LoginRefusal.Address, f.Throttle.Begin(Ann, IPAddress.Parse("2001:db8:0:1:ffff:ffff:ffff:ffff")).Refusal);
        Assert.NotEqual(LoginDecision.Refused, f.Throttle.Begin(Ann, IPAddress.Parse("2001:db8:0:2::1")).Decision);
    }

    [Fact]
    public void AnIPv4MappedAddressIsItsIPv4Address()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, IPAddress.Parse("::ffff:203.0.113.7"));
        }

        Assert.Equal(LoginRefusal.LoginAtAddress, f.Throttle.Begin(Ann, Guesser).Refusal);
    }

    [Fact]
    public void TheBudgetComesBackWhenTheWindowHasPassedItsFailures()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, Guesser);
        }

        var refused = f.Throttle.Begin(Ann, Guesser);
        Assert.Equal(f.Time.GetUtcNow() + f.Options.Window, refused.RetryAfter);

        f.Time.Advance(f.Options.Window - TimeSpan.FromTicks(1));
        Assert.Equal(LoginDecision.Refused, f.Throttle.Begin(Ann, Guesser).Decision);
        f.Time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(LoginDecision.Allowed, f.Throttle.Begin(Ann, Guesser).Decision);
    }

    [Fact]
    public void PastTheSlowdownAttemptsOfALoginQueueWithDoublingDelays()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, AccountsFixture.Address(i));
        }

        // Four at once from four more addresses: each waits its own delay (1, 2, 4, 8 s) after the one before.
        var waits = new List<double>();
        for (var i = 5; i < 9; i++)
        {
            var attempt = f.Throttle.Begin(Ann, AccountsFixture.Address(i));
            Assert.Equal(LoginDecision.Delayed, attempt.Decision);
            waits.Add(attempt.Delay.TotalSeconds);
        }

        Assert.Equal([1, 3, 7, 15], waits);
    }

    [Fact]
    public void OneAttemptAfterAnotherTheSlowdownDoublesUpToItsCap()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, AccountsFixture.Address(i));
        }

        var waits = new List<double>();
        for (var i = 5; i < 11; i++)
        {
            var attempt = f.Throttle.Begin(Ann, AccountsFixture.Address(i));
            waits.Add(attempt.Delay.TotalSeconds);
            f.Time.Advance(attempt.Delay);
            f.Throttle.End(in attempt, succeeded: false);
        }

        Assert.Equal([1, 2, 4, 8, 16, 16], waits);
    }

    [Fact]
    public void AnAttemptThatWouldWaitLongerThanTheBoundIsRefused()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, AccountsFixture.Address(i));
        }

        for (var i = 5; i < 9; i++)
        {
            f.Throttle.Begin(Ann, AccountsFixture.Address(i));
        }

        // The queue is busy for 15 s; the next delay, 16 s, would make it 31 s: past MaxWait (30 s).
        var refused = f.Throttle.Begin(Ann, AccountsFixture.Address(9));

        Assert.Equal(LoginRefusal.LoginSlowedDown, refused.Refusal);
        Assert.Equal(f.Time.GetUtcNow() + TimeSpan.FromSeconds(15), refused.RetryAfter);
    }

    [Fact]
    public void AnAddressWhereTheLoginSucceededIsNotSlowedDown()
    {
        var f = new AccountsFixture();
        f.Succeed(Ann, Owner);
        for (var i = 0; i < 20; i++)
        {
            var attempt = f.Throttle.Begin(Ann, AccountsFixture.Address(i));
            f.Throttle.End(in attempt, succeeded: false);
        }

        var owners = f.Throttle.Begin(Ann, Owner);

        Assert.Equal(LoginDecision.Allowed, owners.Decision);
        Assert.Equal(TimeSpan.Zero, owners.Delay);
    }

    [Fact]
    public void AKnownAddressIsForgottenAfterItsLifetime()
    {
        var f = new AccountsFixture(new LoginThrottleOptions { KnownAddressLifetime = TimeSpan.FromDays(30) });
        f.Succeed(Ann, Owner);
        f.Time.Advance(TimeSpan.FromDays(30));
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, AccountsFixture.Address(i));
        }

        Assert.Equal(LoginDecision.Delayed, f.Throttle.Begin(Ann, Owner).Decision);
    }

    [Fact]
    public void AMillionAddressesEachGuessingANewLoginHoldAtMostMaxTrackedEntries()
    {
        var f = new AccountsFixture(new LoginThrottleOptions { MaxTracked = 1_000 });
        var most = 0;
        for (var i = 0; i < 1_000_000; i++)
        {
            var attempt = f.Throttle.Begin($"user{i}@acme.test", new IPAddress(0x0a000000u + (uint)i));
            Assert.NotEqual(LoginDecision.Refused, attempt.Decision);
            f.Throttle.End(in attempt, succeeded: false);
            most = Math.Max(most, f.Throttle.TrackedCount);
        }

        Assert.Equal(1_000, most);
    }

    [Fact]
    public void AMillionLoginsSucceedingFromOneAddressHoldAtMostMaxTrackedEntries()
    {
        // Each login remembers the address for 30 days: none of these entries expires, so eviction alone must hold the bound.
        var f = new AccountsFixture(new LoginThrottleOptions { MaxTracked = 1_000 });
        var most = 0;
        for (var i = 0; i < 1_000_000; i++)
        {
            var attempt = f.Throttle.Begin($"user{i}@acme.test", Owner);
            Assert.NotEqual(LoginDecision.Refused, attempt.Decision);
            f.Throttle.End(in attempt, succeeded: true);
            most = Math.Max(most, f.Throttle.TrackedCount);
        }

        Assert.Equal(1_000, most);
    }

    [Fact]
    public void AGuesserThatKeepsTryingStaysRefusedWhileIdleEntriesAreEvicted()
    {
        var f = new AccountsFixture(new LoginThrottleOptions { MaxTracked = 12 });
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, Guesser);
        }

        for (var i = 0; i < 100; i++)
        {
            f.Fail($"user{i}@acme.test", AccountsFixture.Address(i));
            Assert.Equal(LoginRefusal.LoginAtAddress, f.Throttle.Begin(Ann, Guesser).Refusal);
        }
    }

    [Fact]
    public void WhenFullExpiredEntriesAreSweptBeforeALiveOneIsEvicted()
    {
        var f = new AccountsFixture(new LoginThrottleOptions { MaxTracked = 50 });
        f.Succeed(Ann, Owner);
        for (var i = 0; i < 15; i++)
        {
            f.Fail($"user{i}@acme.test", AccountsFixture.Address(i));
        }

        // Ann's entry (her known address) is now the least recently used, and the only one not expired.
        f.Time.Advance(f.Options.Window);
        f.Fail("late1@acme.test", AccountsFixture.Address(100));
        f.Fail("late2@acme.test", AccountsFixture.Address(101));
        Assert.True(f.Throttle.TrackedCount < 10, $"{f.Throttle.TrackedCount} entries left: the expired ones were not swept");
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, AccountsFixture.Address(200 + i));
        }

        Assert.Equal(LoginDecision.Allowed, f.Throttle.Begin(Ann, Owner).Decision);
    }

    [Fact]
    public void ForgettingALoginClearsItsFailures()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < 5; i++)
        {
            f.Fail(Ann, Owner);
        }

        Assert.Equal(LoginDecision.Refused, f.Throttle.Begin(Ann, Owner).Decision);

        f.Throttle.Forget(Ann);

        Assert.Equal(LoginDecision.Allowed, f.Throttle.Begin(Ann, Owner).Decision);
    }

    [Fact]
    public void ForgettingALoginForgetsTheAddressesWhereItSucceeded()
    {
        // The thief logged in from the guesser's address, which became a known one.
        var f = new AccountsFixture();
        f.Succeed(Ann, Guesser);

        f.Throttle.Forget(Ann);
        for (var i = 0; i < f.Options.SlowdownAfter; i++)
        {
            f.Fail(Ann, AccountsFixture.Address(i));
        }

        // A known address would skip the slowdown; after the reset it is one address like any other.
        Assert.Equal(LoginDecision.Delayed, f.Throttle.Begin(Ann, Guesser).Decision);
    }

    [Fact]
    public void ForgettingALoginKeepsWhatAnAddressDidWithOtherLogins()
    {
        var f = new AccountsFixture();
        for (var i = 0; i < f.Options.MaxFailuresPerAddress; i++)
        {
            f.Fail(i % 2 == 0 ? Ann : "bob@acme.test", Guesser);
        }

        f.Throttle.Forget(Ann);

        Assert.Equal(LoginRefusal.Address, f.Throttle.Begin("carol@acme.test", Guesser).Refusal);
    }
}
