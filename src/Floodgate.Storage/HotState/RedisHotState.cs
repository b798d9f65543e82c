using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Floodgate.Storage.HotState;

/// <summary>
/// One node's connection to the Redis its peers share: whether it is usable now, how many nodes are
/// alive (for the 1/N fallback), and the channel suspensions are announced on. Commands fail at once
/// while the connection is down (no backlog): a decision must not wait for a reconnect.
/// </summary>
public sealed partial class RedisHotState : IAsyncDisposable, Floodgate.Core.Blocklists.IRoundLease
{
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(10);
    private readonly ConnectionMultiplexer _connection;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly RedisKey _nodesKey;
    private readonly RedisChannel _stateChannel;
    private Task? _heartbeat;
    private int _available;
    // 1 once WindowScripts are in this Redis's script cache: decisions call them by hash.
    private int _scriptsLoaded;
    private int _loading;
    private int _liveNodes = 1;

    private RedisHotState(ConnectionMultiplexer connection, RedisOptions options, ILogger logger)
    {
        _connection = connection;
        Options = options;
        _logger = logger;
        Database = connection.GetDatabase();
        NodeId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("n")[..8]}";
        _nodesKey = options.Prefix + "nodes";
        _stateChannel = RedisChannel.Literal(options.Prefix + "state");
        _available = connection.IsConnected ? 1 : 0;
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                // Perhaps a restart: an empty script cache. Loaded again before the node decides there.
                Volatile.Write(ref _scriptsLoaded, 0);
            }

            SetAvailable(false, e.Exception?.Message ?? e.FailureType.ToString());
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _ = LoadScriptsAsync();
            }
        };
    }

    public RedisOptions Options { get; }

    public IDatabase Database { get; }

    public ISubscriber Subscriber => _connection.GetSubscriber();

    /// <summary>This process among the nodes: written into what it publishes, so it can skip its own.</summary>
    public string NodeId { get; }

    /// <summary>Connected, with the scripts loaded: decisions go to Redis. False: each scope's unavailable rule applies.</summary>
    public bool IsAvailable => Volatile.Read(ref _scriptsLoaded) == 1 && _connection.IsConnected;

    /// <summary>Why the last command that needed Redis failed (for the health page and the logs), or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>The N of 1/N: the setting, or the most nodes seen alive, at least 1.</summary>
    public int Nodes => Math.Max(1, Math.Max(Options.Nodes, Volatile.Read(ref _liveNodes)));

    /// <summary>Raised when Redis becomes usable again (after <see cref="Unavailable"/>), on a pool thread.</summary>
    public event Action? Restored;

    /// <summary>Raised when Redis stops answering, on a pool thread.</summary>
    public event Action? Unavailable;

    /// <summary>
    /// Tells the other nodes the account state changed (a suspension, a lift, an operator's edit): they
    /// reload the directory at once. Not waited for; the state version poll catches a lost one.
    /// </summary>
    public void AnnounceStateChanged()
    {
        try
        {
            Subscriber.Publish(_stateChannel, NodeId, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
        }
    }

    /// <summary>Calls <paramref name="changed"/> when another node announces a change, and when Redis returns (announcements may have been lost).</summary>
    public async Task OnStateChangedAsync(Action changed)
    {
        Restored += changed;
        await Subscriber.SubscribeAsync(_stateChannel, (_, from) =>
        {
            if (from != NodeId)
            {
                changed();
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// One node per round of a periodic job: SET NX with an expiry. Without Redis every node runs it
    /// (a duplicate alert is better than a missed listing).
    /// </summary>
    public async Task<bool> TryTakeAsync(string job, TimeSpan hold, CancellationToken cancellationToken)
    {
        try
        {
            return await Database.StringSetAsync(Options.Prefix + "lease:" + job, NodeId, hold, When.NotExists).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
            return true;
        }
    }

    public string Describe() => string.Join(",", _connection.GetEndPoints().Select(e => e.ToString()));

    /// <summary>Connects (or keeps trying in the background: a node starts while Redis is down, in its fallback).</summary>
    public static async Task<RedisHotState> ConnectAsync(RedisOptions options, ILogger logger)
    {
        var configuration = ConfigurationOptions.Parse(options.Configuration!);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        var timeout = (int)Math.Max(1, options.Timeout.TotalMilliseconds);
        configuration.ConnectTimeout = Math.Max(timeout, 1000);
        configuration.AsyncTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.ConnectRetry = 1;
        configuration.ClientName = "floodgate";
        // A dead server is noticed within a few seconds even when nothing is sent (heartbeats do send).
        configuration.KeepAlive = 5;
        configuration.ReconnectRetryPolicy = new LinearRetry(500);

        var connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        // Without AbortOnConnectFail the multiplexer may come back before its handshake is done.
        for (var waited = 0; !connection.IsConnected && waited < configuration.ConnectTimeout; waited += 10)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        var state = new RedisHotState(connection, options, logger);
        if (connection.IsConnected)
        {
            await state.LoadScriptsAsync().ConfigureAwait(false);
        }

        if (!state.IsAvailable)
        {
            LogUnavailable(logger, state.Describe(), "not reachable at start");
        }

        state._heartbeat = state.HeartbeatAsync(state._stop.Token);
        return state;
    }

    /// <summary>
    /// SCRIPT LOAD of every script on each connected server, then available. At start, after each
    /// reconnect, and when Redis says a script is missing; false (still unavailable) when Redis did
    /// not answer: the heartbeat tries again.
    /// </summary>
    internal async Task<bool> LoadScriptsAsync()
    {
        if (Interlocked.Exchange(ref _loading, 1) == 1)
        {
            return false;
        }

        try
        {
            foreach (var server in _connection.GetServers())
            {
                if (server.IsConnected)
                {
                    foreach (var script in WindowScripts.All)
                    {
                        await server.ScriptLoadAsync(script.Text).ConfigureAwait(false);
                    }
                }
            }

            Volatile.Write(ref _scriptsLoaded, 1);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
            return false;
        }
        finally
        {
            Volatile.Write(ref _loading, 0);
        }

        if (_connection.IsConnected)
        {
            SetAvailable(true, null);
        }

        return true;
    }

    /// <summary>
    /// A decision met NOSCRIPT (it goes again by text): every script is loaded again in the
    /// background. The node stays available meanwhile, so no decision falls back for it.
    /// </summary>
    internal void ScriptsMissing() => _ = LoadScriptsAsync();

    /// <summary>A command failed for want of Redis: the fallback until the connection says it is back.</summary>
    internal void Failed(Exception e)
    {
        LastError = $"{e.GetType().Name}: {e.Message}";
        if (!_connection.IsConnected)
        {
            SetAvailable(false, e.Message);
        }
    }

    private void SetAvailable(bool available, string? error)
    {
        var was = Interlocked.Exchange(ref _available, available ? 1 : 0) == 1;
        if (was == available)
        {
            return;
        }

        if (available)
        {
            LogRestored(_logger, Describe());
            Restored?.Invoke();
        }
        else
        {
            LogUnavailable(_logger, Describe(), error ?? "connection lost");
            Unavailable?.Invoke();
        }
    }

    // Every node keeps its entry in a sorted set fresh; those not seen for NodeTimeout are gone.
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval);
        do
        {
            try
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var batch = Database.CreateBatch();
                var add = batch.SortedSetAddAsync(_nodesKey, NodeId, now);
                var trim = batch.SortedSetRemoveRangeByScoreAsync(_nodesKey, double.NegativeInfinity, now - NodeTimeout.TotalMilliseconds);
                var count = batch.SortedSetLengthAsync(_nodesKey);
                batch.Execute();
                await Task.WhenAll(add, trim, count).ConfigureAwait(false);
                Volatile.Write(ref _liveNodes, (int)Math.Max(1, count.Result));
                // Commits are sent without waiting, so a NOSCRIPT they meet (a SCRIPT FLUSH) is never
                // seen: asked here, so at most one heartbeat of commits is lost.
                if (Volatile.Read(ref _scriptsLoaded) == 0 || !await ScriptsPresentAsync().ConfigureAwait(false))
                {
                    await LoadScriptsAsync().ConfigureAwait(false);
                }
                else if (Volatile.Read(ref _available) == 0 && _connection.IsConnected)
                {
                    SetAvailable(true, null);
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                Failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task<bool> ScriptsPresentAsync()
    {
        foreach (var server in _connection.GetServers())
        {
            if (server.IsConnected && !await server.ScriptExistsAsync(WindowScripts.Settle.Hash).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_heartbeat is not null)
        {
            try
            {
                await _heartbeat.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        try
        {
            // Leaving: the others' N drops at once instead of after NodeTimeout.
            if (IsAvailable)
            {
                await Database.SortedSetRemoveAsync(_nodesKey, NodeId).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
        }

        await _connection.CloseAsync().ConfigureAwait(false);
        _connection.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {EndPoints} is unavailable ({Error}): windows follow each scope's unavailable rule (local at 1/N or 451 4.3.0) until it returns")]
    private static partial void LogUnavailable(ILogger logger, string endPoints, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis at {EndPoints} is available: windows are shared again")]
    private static partial void LogRestored(ILogger logger, string endPoints);
}
