using Floodgate.Core.Accounts;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Core.Tests.Policy;

public sealed class LoginThrottleTests
{
    [Fact]
    public void ALoginIsBlockedAfterItsFailuresFromAnyAddressUntilTheWindowPasses()
    {
        var time = new FakeTimeProvider();
        var throttle = new LoginThrottle(time, new LoginThrottleOptions { MaxFailuresPerLogin = 3, MaxFailuresPerAddress = 100, Window = TimeSpan.FromMinutes(15) });
        for (var i = 0; i < 3; i++)
        {
            Assert.False(throttle.IsBlocked($"10.0.0.{i}", "ann@acme.test"));
            throttle.RecordFailure($"10.0.0.{i}", "ann@acme.test");
        }

        Assert.True(throttle.IsBlocked("10.9.9.9", "ann@acme.test"));
        Assert.False(throttle.IsBlocked("10.9.9.9", "bob@acme.test"));
        time.Advance(TimeSpan.FromMinutes(15));
        Assert.False(throttle.IsBlocked("10.9.9.9", "ann@acme.test"));
    }

    [Fact]
    public void AnAddressIsBlockedAfterItsFailuresForAnyLoginAndASuccessDoesNotResetIt()
    {
        var time = new FakeTimeProvider();
        var throttle = new LoginThrottle(time, new LoginThrottleOptions { MaxFailuresPerLogin = 100, MaxFailuresPerAddress = 4 });
        for (var i = 0; i < 4; i++)
        {
            throttle.RecordFailure("203.0.113.7", $"user{i}@acme.test");
        }

        throttle.RecordSuccess("user9@acme.test");
        Assert.True(throttle.IsBlocked("203.0.113.7", "user9@acme.test"));
        Assert.False(throttle.IsBlocked("203.0.113.8", "user9@acme.test"));
    }
}
