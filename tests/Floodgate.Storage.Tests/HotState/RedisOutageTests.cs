using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Storage.HotState;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Floodgate.Storage.Tests.HotState;

/// <summary>Each test owns its Redis: it is killed mid-test.</summary>
public sealed class RedisOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ITestOutputHelper _output = output;
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private PrivateRedis _redis = null!;
    private RedisHotState? _state;

    public async Task InitializeAsync() => _redis = await PrivateRedis.StartAsync();

    public async Task DisposeAsync()
    {
        if (_state is not null)
        {
            await _state.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private async Task<RedisCounterStore> StoreAsync(Action<RedisOptions> configure)
    {
        var options = new RedisOptions { Configuration = _redis.Configuration, Timeout = TimeSpan.FromMilliseconds(300) };
        configure(options);
        _state = await RedisHotState.ConnectAsync(options, NullLogger.Instance);
        return new RedisCounterStore(_state);
    }

    private static PlanLimits Limits(int messagesPerHour) => new()
    {
        Mailbox = new ScopeLimits { MessagesPerHour = messagesPerHour, ExternalRecipientsPerHour = 1000, ExternalRecipientsPerDay = 1000, InternalRecipientsPerHour = 1000, InternalRecipientsPerDay = 1000 },
    };

    // A message with its first recipient (MAIL alone waits for it: RedisCounterStore).
    private static Reservation Message() => new(1, 10, 100, 1, 1, 0);

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} within 15 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task WithTheLocalRuleANodeKeepsToItsShareOfTheLimitUntilRedisReturns()
    {
        var store = await StoreAsync(o => o.Nodes = 2);
        var limits = Limits(messagesPerHour: 10);
        Assert.True(store.Reserve(Message(), limits, Now).Reserved);

        await _redis.KillAsync();
        var during = new List<ReserveResult>();
        for (var i = 0; i < 8; i++)
        {
            during.Add(await store.ReserveAsync(Message(), limits, Now));
        }

        // Two nodes: each may take 10 / 2 locally, whatever Redis had counted.
        Assert.Equal(5, during.Count(r => r.Reserved));
        Assert.All(during.Where(r => !r.Reserved), r => Assert.False(r.Refusal.Unavailable));
        Assert.All(during.Where(r => r.Reserved), r => store.Commit(r.Held, Now));
        Assert.False(store.State.IsAvailable);

        // Redis comes back empty (no persistence): decisions go to it again.
        await _redis.StartAgainAsync();
        await UntilAsync(() => store.State.IsAvailable, "the node sees Redis again");
        // A command may still fail in the moment the connection comes back (CI saw one on a loaded
        // machine): that decision is local, where the node's share is used up, so it is refused. The
        // next ones must go to Redis.
        var attempts = 0;
        ReserveResult after;
        do
        {
            after = await store.ReserveAsync(Message(), limits, Now);
            attempts++;
            if (!after.Reserved)
            {
                _output.WriteLine($"attempt {attempts} after Redis returned refused: {after.Refusal}; available {store.State.IsAvailable}; last error {store.State.LastError}");
            }
        }
        while (!after.Reserved && attempts < 3);

        Assert.True(after.Reserved, $"refused {attempts} times after Redis returned: {after.Refusal}; last error {store.State.LastError}");
        Assert.True(after.Held.Epoch > 0, "reserved in Redis, not locally");
        var fallbacks = store.Fallbacks;
        var next = await store.ReserveAsync(Message(), limits, Now);
        Assert.True(next.Reserved && next.Held.Epoch > 0, $"the next decision in Redis too: {next.Refusal}; last error {store.State.LastError}");
        Assert.Equal(fallbacks, store.Fallbacks);
        store.Release(next.Held);
        // What the node counted during the outage still counts on it.
        Assert.Equal(6, (await store.ReadAsync(new CounterKey(CounterScope.Mailbox, 1), Now)).MessagesLastHour);
    }

    [Fact]
    public async Task WindowsReplayedIntoARedisThatCameBackEmptyAreAllThere()
    {
        // The node rebuilt the windows once (at start), so its client knows the replay script...
        var store = await StoreAsync(_ => { });
        var first = new CounterKey(CounterScope.Mailbox, 1);
        Assert.True(await store.ClaimRebuildAsync());
        store.Add(first, Now, 1, 1, 0);
        store.RebuildDone();
        Assert.Equal(1, (await store.ReadAsync(first, Now)).MessagesLastHour);

        // ...and Redis comes back without it: the replay after the restart must not lose its first window.
        await _redis.KillAsync();
        await UntilAsync(() => !store.State.IsAvailable, "the node sees Redis gone");
        await _redis.StartAgainAsync();
        await UntilAsync(() => store.State.IsAvailable, "the node sees Redis again");
        Assert.True(await store.ClaimRebuildAsync(), "an empty Redis asks for a rebuild again");
        var second = new CounterKey(CounterScope.Mailbox, 2);
        store.Add(first, Now, 3, 3, 0);
        store.Add(second, Now, 2, 2, 0);
        store.RebuildDone();

        Assert.Equal(2, (await store.ReadAsync(second, Now)).MessagesLastHour);
        Assert.Equal(3, (await store.ReadAsync(first, Now)).MessagesLastHour);
    }

    [Fact]
    public async Task AScriptCacheFlushedUnderTheNodeCostsNoDecisionAndIsLoadedAgain()
    {
        var store = await StoreAsync(_ => { });
        var limits = Limits(messagesPerHour: 10);
        Assert.True((await store.ReserveAsync(Message(), limits, Now)).Held.Epoch > 0);
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.Configuration + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        // An operator's SCRIPT FLUSH: the node calls its scripts by hash.
        await server.ScriptFlushAsync();
        var fallbacks = store.Fallbacks;
        var reserved = await store.ReserveAsync(Message(), limits, Now);

        Assert.True(reserved.Reserved && reserved.Held.Epoch > 0, $"decided in Redis: {reserved.Refusal}; last error {store.State.LastError}");
        Assert.Equal(fallbacks, store.Fallbacks);
        // Every script is back, so commits (sent by hash, without waiting) count again.
        await UntilAsync(() => WindowScripts.All.All(s => server.ScriptExists(s.Hash)), "every script loaded again");
        store.Commit(reserved.Held, Now);
        await UntilAsync(() => store.Read(new CounterKey(CounterScope.Mailbox, 1), Now) is { MessagesLastHour: 2, ReservedMessages: 1 }, "the commit counted");
    }

    [Fact]
    public async Task WithTheRefuseRuleEveryNewMessageIsDeferredWith451WhileRedisIsAway()
    {
        var store = await StoreAsync(o => o.DomainWhenUnavailable = UnavailableRule.Refuse);
        var limits = Limits(messagesPerHour: 10);
        await _redis.KillAsync();

        var refused = await store.ReserveAsync(Message(), limits, Now);

        Assert.False(refused.Reserved);
        Assert.True(refused.Refusal.Unavailable);
        Assert.Equal((CounterScope.Domain, 10), (refused.Refusal.Scope, refused.Refusal.Id));
        Assert.Equal(1, store.UnavailableRefusals);
    }

    [Fact]
    public async Task ATransactionBegunInRedisIsDeferredIfRedisGoesBeforeItsRecipients()
    {
        var store = await StoreAsync(_ => { });
        var limits = Limits(messagesPerHour: 10);
        var begun = await store.ReserveAsync(Message(), limits, Now);
        Assert.True(begun.Held.Epoch > 0);

        await _redis.KillAsync();
        var recipient = await store.ReserveAsync(new Reservation(1, 10, 100, 0, 1, 0, begun.Held.Epoch), limits, Now);

        // Its MAIL is held in Redis: the rest cannot be judged locally.
        Assert.False(recipient.Reserved);
        Assert.True(recipient.Refusal.Unavailable);
        store.Release(begun.Held);
    }
}
