using Floodgate.Web.Notifications;
using Floodgate.Web.Tests.Infrastructure;

namespace Floodgate.Web.Tests.Notifications;

public sealed class NotificationSettingsTests
{
    private static readonly NotificationOptions Defaults = new();

    [Theory]
    [InlineData(1, 30, "the first wait is the initial delay")]
    [InlineData(2, 60, "it doubles after each failure")]
    [InlineData(3, 120, "and again")]
    [InlineData(7, 1920, "32 minutes after the seventh")]
    [InlineData(8, 3600, "capped at an hour")]
    [InlineData(500, 3600, "still capped, without overflow, however many attempts")]
    public void TheWaitDoublesFromTheInitialDelayUpToTheCap(int attempts, int seconds, string why)
    {
        // 0.5 is the middle of the jitter's spread: no jitter at all.
        Assert.True(TimeSpan.FromSeconds(seconds) == NotificationDispatcher.Backoff(attempts, Defaults, 0.5), why);
    }

    [Fact]
    public void JitterSpreadsTheWaitByItsFractionEitherWay()
    {
        Assert.Equal(TimeSpan.FromSeconds(24), NotificationDispatcher.Backoff(1, Defaults, 0));
        Assert.Equal(TimeSpan.FromSeconds(36), NotificationDispatcher.Backoff(1, Defaults, 1));
        Assert.Equal(TimeSpan.FromHours(1), NotificationDispatcher.Backoff(20, Defaults, 1));
    }

    [Theory]
    [InlineData("Notifications:From", "nobody", "Notifications:From: 'nobody' is not an e-mail address")]
    [InlineData("Notifications:ClaimLease", "00:00:01", "Notifications:ClaimLease: must be longer than Notifications:WebhookTimeout")]
    [InlineData("Notifications:MaxAttempts", "0", "Notifications:MaxAttempts: must be between 1 and 1000")]
    [InlineData("Notifications:RetryMaxDelay", "00:00:00.100", "Notifications:RetryMaxDelay: must be at least Notifications:RetryInitialDelay")]
    public async Task ABadSettingStopsTheStartAndSaysWhichOne(string key, string value, string says)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServe.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }
}
