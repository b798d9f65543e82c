using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Doors.PolicyDelegation;
using Floodgate.Protocols.PolicyDelegation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Doors.Tests.PolicyDelegation;

/// <summary>
/// The policy door against a counter store that does not answer at once (a shared one: Redis): the
/// decision waits without a thread, the transaction stays the waiting request's, and what it reserved
/// is what counts.
/// </summary>
public sealed class PolicyDoorWaitingTests
{
    private readonly PolicyDoorTests.ManualTime _time = new();
    private readonly GatedCounterStore _counters = new();
    private readonly PolicyDoor _door;

    public PolicyDoorWaitingTests()
    {
        var engine = new PolicyEngine(PolicyDoorTests.Acme(), _counters, _time, new PolicyOptions { SupportContact = "abuse@provider.test" });
        _door = new PolicyDoor(engine, new PolicyDelegationOptions { TransactionTimeout = TimeSpan.FromMinutes(15) }, NullLogger.Instance, _time);
    }

    private WindowTotals Window => _counters.Read(new CounterKey(CounterScope.Mailbox, 100), _time.GetUtcNow());

    [Fact]
    public async Task ARecipientWaitsForTheStoreAndIsCountedWithTheAddressItWasAskedFor()
    {
        _counters.Hold();
        var request = PolicyDoorTests.Request("RCPT", "w1", "ann@acme.test", "bob@example.net");
        var first = _door.DecideAsync(request);
        Assert.False(first.IsCompleted, "waits for the store");
        // The server reuses its request object only after the answer; clearing it here shows the
        // door copied what it needs before it waited.
        request.Reset();

        _counters.Answer();
        Assert.Equal("action=DUNNO", (await first).ToString());
        var end = await _door.DecideAsync(PolicyDoorTests.Request("END-OF-MESSAGE", "w1", "ann@acme.test", string.Empty, recipientCount: 1));

        Assert.Equal("action=DUNNO", end.ToString());
        Assert.Equal((1, 1), (Window.MessagesLastHour, Window.ExternalLastHour));
        Assert.Equal(0, Window.ReservedMessages);
        Assert.Equal(0, _door.OpenTransactions);
    }

    [Fact]
    public async Task ASecondRequestOfAMessageWhileTheFirstWaitsIsDeferredNotDecidedBesideIt()
    {
        _counters.Hold();
        var first = _door.DecideAsync(PolicyDoorTests.Request("RCPT", "w2", "ann@acme.test", "a@example.net"));

        var beside = await _door.DecideAsync(PolicyDoorTests.Request("RCPT", "w2", "ann@acme.test", "b@example.net"));

        Assert.StartsWith("action=DEFER_IF_PERMIT 4.3.2", beside.ToString());
        _counters.Answer();
        Assert.Equal("action=DUNNO", (await first).ToString());
        // Only the first recipient was reserved.
        Assert.Equal(1, Window.ReservedExternal);
    }

    [Fact]
    public async Task TheSweepLeavesAMessageWhoseRequestIsWaiting()
    {
        _counters.Hold();
        var first = _door.DecideAsync(PolicyDoorTests.Request("RCPT", "w3", "ann@acme.test", "a@example.net"));
        _time.Advance(TimeSpan.FromMinutes(20));

        Assert.Equal(0, _door.Sweep());

        _counters.Answer();
        Assert.Equal("action=DUNNO", (await first).ToString());
        Assert.Equal(1, _door.OpenTransactions);
        // Once answered it is idle again, and a later sweep completes it as relayed.
        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(1, _door.Sweep());
        Assert.Equal((1, 1), (Window.MessagesLastHour, Window.ExternalLastHour));
    }

    [Fact]
    public async Task AStoreThatFailsWhileWaitingLeavesTheMessageToTheNextRequest()
    {
        _counters.Hold();
        var first = _door.DecideAsync(PolicyDoorTests.Request("RCPT", "w4", "ann@acme.test", "a@example.net"));

        _counters.Fail(new TimeoutException("store timed out"));

        await Assert.ThrowsAsync<TimeoutException>(async () => await first);
        // The server answers the failure with DEFER_IF_PERMIT; the message is not stuck as "deciding".
        Assert.Equal("action=DUNNO", (await _door.DecideAsync(PolicyDoorTests.Request("RCPT", "w4", "ann@acme.test", "b@example.net"))).ToString());
    }

    /// <summary>The in-process store, but a held ReserveAsync answers only when the test says so.</summary>
    private sealed class GatedCounterStore : ICounterStore
    {
        private readonly InProcessCounterStore _inner = new();
        private TaskCompletionSource? _gate;

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Answer() => Interlocked.Exchange(ref _gate, null)!.SetResult();

        public void Fail(Exception e) => Interlocked.Exchange(ref _gate, null)!.SetException(e);

        public ValueTask<ReserveResult> ReserveAsync(Reservation request, PlanLimits limits, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            _gate is { } gate ? Later(gate.Task, request, limits, now) : ValueTask.FromResult(_inner.Reserve(in request, limits, now));

        private async ValueTask<ReserveResult> Later(Task gate, Reservation request, PlanLimits limits, DateTimeOffset now)
        {
            await gate;
            return _inner.Reserve(in request, limits, now);
        }

        public WindowTotals Read(CounterKey key, DateTimeOffset now) => _inner.Read(key, now);

        public ReserveResult Reserve(in Reservation request, PlanLimits limits, DateTimeOffset now) => _inner.Reserve(in request, limits, now);

        public void Commit(in Reservation held, DateTimeOffset at) => _inner.Commit(in held, at);

        public void Release(in Reservation held) => _inner.Release(in held);

        public void Add(CounterKey key, DateTimeOffset at, int messages, int external, int @internal) => _inner.Add(key, at, messages, external, @internal);

        public DateTimeOffset NextHourRelease(CounterKey key, DateTimeOffset now) => _inner.NextHourRelease(key, now);

        public DateTimeOffset NextDayRelease(CounterKey key, DateTimeOffset now) => _inner.NextDayRelease(key, now);

        public WindowTotals Reset(CounterKey key, DateTimeOffset now) => _inner.Reset(key, now);

        public int Count => _inner.Count;
    }
}
