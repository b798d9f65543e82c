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

    // A message with its first recipient: MAIL alone is not sent to Redis (it goes with the first RCPT).
    private static Reservation Message(int mailbox = 1) => new(mailbox, 10, 100, 1, 1, 0);

    [Fact]
    public async Task TwoNodesGrantTogetherExactlyTheWindowOfOne()
    {
        var a = await NodeAsync();
        var b = await NodeAsync();
        var limits = Limits(messagesPerHour: 25);

        // 60 parallel messages, alternating between the nodes: the window holds 25, whoever asks.
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
    /// With a lag, each commit carries a time up to that many minutes behind the last decision's (the
    /// clock of a node behind the others'), so it lands in an older bucket, or none.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(70)]
    public async Task RedisDecidesAsTheInProcessStoreDoes(int commitLagMinutes)
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
            var r1 = local.Reserve(in message, limits, now);
            var r2 = await redis.ReserveAsync(message, limits, now);
            // Redis defers MAIL's message to the first recipient: a window full of messages refuses there.
            Assert.True(r2.Reserved, $"step {step}: MAIL alone is not judged in Redis");
            Reservation held1 = r1.Held, held2 = r2.Held;
            var accepted = 0;
            for (var n = random.Next(1, 6); n > 0; n--)
            {
                var external = random.Next(3) > 0;
                var recipient = new Reservation(mailbox, message.DomainId, 100, 0, external ? 1 : 0, external ? 0 : 1);
                var a2 = await redis.ReserveAsync(recipient with { Epoch = held2.Epoch }, limits, now);
                if (!r1.Reserved)
                {
                    // MAIL was refused in process: in Redis every RCPT of it is, for the same window.
                    Assert.False(a2.Reserved, $"step {step}: Redis granted a recipient of a message the in-process store refused");
                    Assert.Equal(r1.Refusal, a2.Refusal);
                    continue;
                }

                var a1 = local.Reserve(in recipient, limits, now);
                AssertSame(a1, a2, $"step {step} RCPT");
                if (a1.Reserved)
                {
                    accepted++;
                    held1 = held1.Plus(a1.Held);
                    held2 = held2.Plus(a2.Held) with { Epoch = a2.Held.Epoch };
                }
            }

            if (!r1.Reserved)
            {
                continue;
            }

            // A message none of whose recipients was accepted is never relayed.
            if (accepted == 0 || random.Next(4) == 0)
            {
                local.Release(in held1);
                redis.Release(in held2);
            }
            else
            {
                var at = now - TimeSpan.FromMinutes(random.Next(0, commitLagMinutes + 1));
                local.Commit(in held1, at);
                redis.Commit(in held2, at);
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
    public async Task MailAloneAsksRedisNothingAndItsFirstRecipientCarriesTheMessage()
    {
        var node = await NodeAsync();
        var limits = Limits(messagesPerHour: 1);
        var key = new CounterKey(CounterScope.Mailbox, 1);
        var first = node.Reserve(new Reservation(1, 10, 100, 1, 0, 0), limits, Start);
        Assert.Equal(0, (await node.ReadAsync(key, Start)).MessagesLastHour);

        var recipient = await node.ReserveAsync(new Reservation(1, 10, 100, 0, 1, 0, first.Held.Epoch), limits, Start);
        Assert.True(recipient.Reserved && recipient.Held.Epoch > 0);
        Assert.Equal((1, 1), ((await node.ReadAsync(key, Start)).MessagesLastHour, (await node.ReadAsync(key, Start)).ExternalLastHour));

        // The window is full: the next message's MAIL is answered, its first RCPT refused for the messages.
        var second = node.Reserve(new Reservation(1, 10, 100, 1, 0, 0), limits, Start);
        var refused = await node.ReserveAsync(new Reservation(1, 10, 100, 0, 1, 0, second.Held.Epoch), limits, Start);
        Assert.False(refused.Reserved);
        Assert.Equal((WindowMeasure.Messages, 1, 1), (refused.Refusal.Measure, refused.Refusal.Used, refused.Refusal.Limit));
        node.Release(second.Held);
        node.Commit(first.Held.Plus(recipient.Held) with { Epoch = recipient.Held.Epoch }, Start);
        var totals = await node.ReadAsync(key, Start);
        Assert.Equal((1, 1, 0), (totals.MessagesLastHour, totals.ExternalLastHour, totals.ReservedMessages));
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
