using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;

namespace Floodgate.Core.Tests.Policy;

/// <summary>An operator's reset of one scope's windows (the REST API's counters reset).</summary>
public sealed class CounterResetTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 2, 0, TimeSpan.Zero);
    private static readonly CounterKey Mailbox = new(CounterScope.Mailbox, 1);
    private static readonly CounterKey Domain = new(CounterScope.Domain, 10);

    [Fact]
    public void AResetForgetsTheCountsOfItsScopeOnlyAndReturnsWhatItHad()
    {
        var store = new InProcessCounterStore();
        store.Commit(new Reservation(1, 10, 100, 2, 5, 3), T0);
        store.Commit(new Reservation(2, 10, 100, 1, 1, 0), T0);

        var before = store.Reset(Mailbox, T0.AddMinutes(1));

        Assert.Equal(new WindowTotals(2, 5, 3, 5, 3), before);
        Assert.Equal(default, store.Read(Mailbox, T0.AddMinutes(1)));
        Assert.Equal(new WindowTotals(3, 6, 3, 6, 3), store.Read(Domain, T0.AddMinutes(1)));
        Assert.Equal(new WindowTotals(1, 1, 0, 1, 0), store.Read(new CounterKey(CounterScope.Mailbox, 2), T0.AddMinutes(1)));
    }

    [Fact]
    public void AReservationInFlightSurvivesAResetAndItsReleaseNeverGoesBelowZero()
    {
        var store = new InProcessCounterStore();
        var limits = new PlanLimits();
        store.Commit(new Reservation(1, 10, 100, 1, 4, 0), T0);
        var first = new Reservation(1, 10, 100, 1, 2, 0);
        var second = new Reservation(1, 10, 100, 1, 1, 0);
        Assert.True(store.TryReserve(in first, limits, T0, out _));
        Assert.True(store.TryReserve(in second, limits, T0, out _));

        store.Reset(Mailbox, T0);
        var afterReset = store.Read(Mailbox, T0);
        store.Release(in first);
        var afterRelease = store.Read(Mailbox, T0);
        store.Release(in second);
        store.Release(in second); // a duplicate release (a door's retry) must not go negative either

        // Counts are gone; both reservations still count until their transactions end.
        Assert.Equal(new WindowTotals(2, 3, 0, 3, 0, 2, 3, 0), afterReset);
        Assert.Equal(new WindowTotals(1, 1, 0, 1, 0, 1, 1, 0), afterRelease);
        Assert.Equal(default, store.Read(Mailbox, T0));
    }

    [Fact]
    public void AfterAResetAFullWindowAdmitsUpToItsLimitAgain()
    {
        var store = new InProcessCounterStore();
        var limits = new PlanLimits { Mailbox = new ScopeLimits { MessagesPerHour = 2, ExternalRecipientsPerHour = 10, ExternalRecipientsPerDay = 10 } };
        store.Commit(new Reservation(1, 10, 100, 2, 2, 0), T0);
        var next = new Reservation(1, 10, 100, 1, 0, 0);

        var refused = store.TryReserve(in next, limits, T0, out var refusal);
        store.Reset(Mailbox, T0);
        var admitted = store.TryReserve(in next, limits, T0, out _);

        Assert.False(refused);
        Assert.Equal((CounterScope.Mailbox, WindowMeasure.Messages), (refusal.Scope, refusal.Measure));
        Assert.True(admitted);
    }

    [Fact]
    public void AResetOfAKeyWithoutWindowsChangesNothingAndAddsNoWindow()
    {
        var store = new InProcessCounterStore();

        Assert.Equal(default, store.Reset(Mailbox, T0));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void AResetAllocatesNothing()
    {
        var store = new InProcessCounterStore();
        store.Commit(new Reservation(1, 10, 100, 1, 1, 0), T0);
        for (var i = 0; i < 100; i++)
            store.Reset(Mailbox, T0);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            store.Add(Mailbox, T0, 1, 1, 0);
            store.Reset(Mailbox, T0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
