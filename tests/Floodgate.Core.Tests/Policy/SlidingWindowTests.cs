using Floodgate.Core.Policy;

namespace Floodgate.Core.Tests.Policy;

public sealed class SlidingWindowTests
{
    // 10:02: inside the 10:00–10:05 hour bucket and the 10:00–11:00 day bucket.
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 2, 0, TimeSpan.Zero);

    [Fact]
    public void ACountLeavesTheHourWindowBetween55And60MinutesLater()
    {
        var w = new SlidingWindow();
        w.Add(T0, 1, 2, 3);

        Assert.Equal(new WindowTotals(1, 2, 3, 2, 3), w.Read(T0.AddMinutes(57)));
        Assert.Equal(new WindowTotals(0, 0, 0, 2, 3), w.Read(T0.AddMinutes(58)));
    }

    [Fact]
    public void ACountLeavesTheDayWindowBetween23And24HoursLater()
    {
        var w = new SlidingWindow();
        w.Add(T0, 1, 2, 3);

        Assert.Equal(2, w.Read(T0.AddHours(23).AddMinutes(57)).ExternalLastDay);
        Assert.Equal(0, w.Read(T0.AddHours(23).AddMinutes(58)).ExternalLastDay);
    }

    [Fact]
    public void CountsOfEveryBucketInTheWindowAddUp()
    {
        var w = new SlidingWindow();
        for (var i = 0; i < 30; i++)
        {
            w.Add(T0.AddMinutes(5 * i), 1, 1, 0);
        }

        // Buckets 18..29 are in the hour window at the last add; 7 day buckets (10:00..16:00) hold all 30.
        var totals = w.Read(T0.AddMinutes(5 * 29));
        Assert.Equal(12, totals.MessagesLastHour);
        Assert.Equal(30, totals.ExternalLastDay);
    }

    [Fact]
    public void ALateCountInsideTheWindowIsAddedAndOneOutsideIsDropped()
    {
        var w = new SlidingWindow();
        w.Add(T0.AddMinutes(30), 1, 0, 0);
        w.Add(T0, 1, 0, 0);                 // 30 minutes late: still in the hour window
        w.Add(T0.AddMinutes(-40), 1, 0, 0); // 70 minutes before the newest: left the hour window already

        Assert.Equal(2, w.Read(T0.AddMinutes(30)).MessagesLastHour);
    }

    [Fact]
    public void NextHourReleaseIsWhenTheOldestCountedBucketLeaves()
    {
        var w = new SlidingWindow();
        w.Add(T0, 1, 1, 0);
        w.Add(T0.AddMinutes(20), 1, 1, 0);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 11, 0, 0, TimeSpan.Zero), w.NextHourRelease(T0.AddMinutes(25)));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero), w.NextDayRelease(T0.AddMinutes(25)));
    }

    [Fact]
    public void AnEmptyWindowReleasesAfterAFullWindowFromNow()
    {
        var w = new SlidingWindow();

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 11, 5, 0, TimeSpan.Zero), w.NextHourRelease(T0));
        Assert.Equal(default, w.Read(T0));
    }
}
