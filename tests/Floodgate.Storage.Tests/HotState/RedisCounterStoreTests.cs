using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Storage.HotState;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Storage.Tests.HotState;

public sealed class RedisFixture : IAsyncLifetime
{
    public PrivateRedis Redis { get; private set; } = null!;

    public async Task InitializeAsync() => Redis = await PrivateRedis.StartAsync();

    public async Task DisposeAsync() => await Redis.DisposeAsync();
}

public sealed class RedisCounterStoreTests(RedisFixture fixture) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private readonly List<RedisHotState> _states = [];
    private readonly List<RedisCounterStore> _stores = [];
    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("n")[..8] + ":";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Every decision of these tests was Redis's, none the local fallback's.
        Assert.All(_stores, s => Assert.Equal(0, s.Fallbacks + s.UnavailableRefusals));
        foreach (var state in _states)
        {
            await state.DisposeAsync();
        }
    }

    private async Task<RedisCounterStore> NodeAsync(Action<RedisOptions>? configure = null)
    {
        var options = new RedisOptions { Configuration = fixture.Redis.Configuration, Prefix = _prefix, Timeout = TimeSpan.FromMilliseconds(500) };
        configure?.Invoke(options);
        var state = await RedisHotState.ConnectAsync(options, NullLogger.Instance);
        _states.Add(state);
        var store = new RedisCounterStore(state);
        _stores.Add(store);
        return store;
    }

    private static PlanLimits Limits(int messagesPerHour = 1000, int externalPerHour = 1000, int externalPerDay = 5000) => new()
    {
        Mailbox = new ScopeLimits { MessagesPerHour = messagesPerHour, ExternalRecipientsPerHour = externalPerHour, ExternalRecipientsPerDay = externalPerDay, InternalRecipientsPerHour = 1000, InternalRecipientsPerDay = 5000 },
        Domain = ScopeLimits.DomainDefaults(),
        Client = ScopeLimits.ClientDefaults(),
    };

    private static Reservation Message(int mailbox = 1) => new(mailbox, 10, 100, 1, 0, 0);

    [Fact]
    public async Task TwoNodesGrantTogetherExactlyTheWindowOfOne()
    {
        var a = await NodeAsync();
        var b = await NodeAsync();
        var limits = Limits(messagesPerHour: 25);

        // 60 parallel MAILs, alternating between the nodes: the window holds 25, whoever asks.
        var attempts = Enumerable.Range(0, 60).Select(i => (i % 2 == 0 ? a : b).ReserveAsync(Message(), limits, Start).AsTask());
        var results = await Task.WhenAll(attempts);

        Assert.Equal(25, results.Count(r => r.Reserved));
        var refused = results.First(r => !r.Reserved).Refusal;
        Assert.Equal((CounterScope.Mailbox, WindowMeasure.Messages, WindowSpan.Hour, 25, 25, false), (refused.Scope, refused.Measure, refused.Span, refused.Used, refused.Limit, refused.Unavailable));
        Assert.Equal(25, (await b.ReadAsync(new CounterKey(CounterScope.Mailbox, 1), Start)).MessagesLastHour);
    }

    [Fact]
    public async Task AReleaseOnOneNodeFreesCapacityForTheOther()
    {
        var a = await NodeAsync();
        var b = await NodeAsync();
        var limits = Limits(messagesPerHour: 2);
        var first = a.Reserve(Message(), limits, Start);
        var second = a.Reserve(Message(), limits, Start);
        Assert.True(first.Reserved && second.Reserved);
        Assert.False(b.Reserve(Message(), limits, Start).Reserved);

        a.Release(first.Held);
        a.Commit(second.Held, Start);
        // Commit and release do not wait; A's next command is served after them (one connection).
        var totals = await a.ReadAsync(new CounterKey(CounterScope.Mailbox, 1), Start);
        Assert.Equal((1, 0), (totals.MessagesLastHour, totals.ReservedMessages));

        var third = await b.ReserveAsync(Message(), limits, Start);
        Assert.True(third.Reserved);
        Assert.False(b.Reserve(Message(), limits, Start).Reserved);
    }

    /// <summary>
    /// The same random life of a few senders (messages, recipients, commits, releases, hours passing)
    /// through the in-process store and Redis: every decision and every total must agree.
    /// </summary>
    [Fact]
    public async Task RedisDecidesAsTheInProcessStoreDoes()
    {
        var redis = await NodeAsync();
        var local = new InProcessCounterStore();
        var random = new Random(1207);
        var limits = Limits(messagesPerHour: 12, externalPerHour: 30, externalPerDay: 80);
        limits.Domain = new ScopeLimits { MessagesPerHour = 20, ExternalRecipientsPerHour = 45, ExternalRecipientsPerDay = 120, InternalRecipientsPerHour = 40, InternalRecipientsPerDay = 100 };
        var now = Start;
        for (var step = 0; step < 400; step++)
        {
            now += TimeSpan.FromSeconds(random.Next(0, 1500));
            var mailbox = random.Next(1, 4);
            var message = new Reservation(mailbox, 10 + (mailbox % 2), 100, 1, 0, 0);
            var (r1, r2) = (local.Reserve(in message, limits, now), await redis.ReserveAsync(message, limits, now));
            AssertSame(r1, r2, $"step {step} MAIL");
            if (!r1.Reserved)
            {
                continue;
            }

            Reservation held1 = r1.Held, held2 = r2.Held;
            for (var n = random.Next(0, 6); n > 0; n--)
            {
                var external = random.Next(3) > 0;
                var recipient = new Reservation(mailbox, message.DomainId, 100, 0, external ? 1 : 0, external ? 0 : 1);
                var a1 = local.Reserve(in recipient, limits, now);
                var a2 = await redis.ReserveAsync(recipient with { Epoch = held2.Epoch }, limits, now);
                AssertSame(a1, a2, $"step {step} RCPT");
                if (a1.Reserved)
                {
                    held1 = held1.Plus(a1.Held);
                    held2 = held2.Plus(a2.Held);
                }
            }

            if (random.Next(4) == 0)
            {
                local.Release(in held1);
                redis.Release(in held2);
            }
            else
            {
                local.Commit(in held1, now);
                redis.Commit(in held2, now);
            }

            foreach (var key in new[] { new CounterKey(CounterScope.Mailbox, mailbox), new CounterKey(CounterScope.Domain, message.DomainId), new CounterKey(CounterScope.Client, 100) })
            {
                Assert.Equal(local.Read(key, now), await redis.ReadAsync(key, now));
            }
        }
    }

    private static void AssertSame(in ReserveResult expected, in ReserveResult actual, string where)
    {
        Assert.True(expected.Reserved == actual.Reserved, $"{where}: in process {expected.Reserved}, Redis {actual.Reserved} ({actual.Refusal})");
        if (!expected.Reserved)
        {
            Assert.Equal(expected.Refusal, actual.Refusal);
        }
    }

    [Fact]
    public async Task ReservationsOfANodeThatDiedStopCountingAfterAnHour()
    {
        var dead = await NodeAsync();
        var alive = await NodeAsync();
        var limits = Limits(messagesPerHour: 3);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(dead.Reserve(Message(), limits, Start).Reserved);
        }

        // The node died holding three MAILs; nothing will release them.
        Assert.False(alive.Reserve(Message(), limits, Start.AddMinutes(30)).Reserved);
        Assert.True(alive.Reserve(Message(), limits, Start.AddMinutes(95)).Reserved);
    }

    [Fact]
    public async Task OperatorsResetClearsCountsButKeepsReservations()
    {
        var node = await NodeAsync();
        var limits = Limits(messagesPerHour: 5);
        var sent = node.Reserve(Message(), limits, Start);
        node.Commit(sent.Held, Start);
        var open = node.Reserve(Message(), limits, Start);
        Assert.True(open.Reserved);

        var before = node.Reset(new CounterKey(CounterScope.Mailbox, 1), Start);

        Assert.Equal(2, before.MessagesLastHour);
        var after = await node.ReadAsync(new CounterKey(CounterScope.Mailbox, 1), Start);
        Assert.Equal((1, 1), (after.MessagesLastHour, after.ReservedMessages));
    }

    [Fact]
    public async Task TheRetryHintIsWhenTheOldestCountLeavesTheWindow()
    {
        var node = await NodeAsync();
        var local = new InProcessCounterStore();
        var limits = Limits(messagesPerHour: 2);
        foreach (var at in new[] { Start.AddMinutes(7), Start.AddMinutes(21) })
        {
            node.Commit(node.Reserve(Message(), limits, at).Held, at);
            local.Commit(local.Reserve(Message(), limits, at).Held, at);
        }

        var refused = node.Reserve(Message(), limits, Start.AddMinutes(30));
        Assert.False(refused.Reserved);
        Assert.Equal(Start.AddMinutes(65), refused.Refusal.RetryAt);
        Assert.Equal(local.NextHourRelease(new CounterKey(CounterScope.Mailbox, 1), Start.AddMinutes(30)), node.NextHourRelease(new CounterKey(CounterScope.Mailbox, 1), Start.AddMinutes(30)));
    }
}

public sealed class RedisRoundLeaseTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task OneNodeOfTwoTakesARoundAndTheNextRoundIsAnyonesAgain()
    {
        var options = new RedisOptions { Configuration = fixture.Redis.Configuration, Prefix = "lease:" + Guid.NewGuid().ToString("n")[..8] + ":" };
        await using var a = await RedisHotState.ConnectAsync(options, NullLogger.Instance);
        await using var b = await RedisHotState.ConnectAsync(options, NullLogger.Instance);

        var first = await Task.WhenAll(a.TryTakeAsync("round", TimeSpan.FromMilliseconds(400), default), b.TryTakeAsync("round", TimeSpan.FromMilliseconds(400), default));
        Assert.Single(first, taken => taken);

        await Task.Delay(600);
        Assert.True(await b.TryTakeAsync("round", TimeSpan.FromSeconds(5), default));
        Assert.False(await a.TryTakeAsync("round", TimeSpan.FromSeconds(5), default));
    }
}
