using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using StackExchange.Redis;

namespace Floodgate.Storage.HotState;

/// <summary>
/// The windows of every node in one Redis: each decision is one script over the mailbox, domain and
/// client keys (<see cref="WindowScripts"/>), one round trip, atomic on the server, so N nodes grant
/// exactly what one would. Commit and release do not wait (fire and forget; one connection keeps
/// them in order with the node's next decision).
/// While Redis is unavailable each scope follows its <see cref="UnavailableRule"/>: node-local
/// windows at 1/N of the limit, or 451 4.3.0. A transaction stays where it began: one that began in
/// Redis is refused (451 4.3.0) if Redis goes away before its last recipient, one that began locally
/// finishes locally.
/// </summary>
/// <remarks>
/// <see cref="Add"/> is the rebuild from the transaction log at start: Redis keeps the windows across
/// node restarts, so only a node that finds the windows empty (<see cref="ClaimRebuildAsync"/>, the
/// first after Redis itself started empty) writes them.
/// </remarks>
public sealed class RedisCounterStore : ICounterStore
{
    // A reservation made in the local fallback: released there, whatever Redis does meanwhile.
    private const int LocalEpoch = -1;

    // MAIL's message, not yet sent: it goes to Redis with the transaction's first recipient, in the same
    // script, so a message costs one awaited round trip, not two. Its window is then judged at that
    // RCPT (451 4.7.1 there instead of at MAIL); a transaction that ends without a recipient never
    // asked Redis anything, and a relayed message always had one.
    private const int DeferredEpoch = -2;
    private readonly RedisHotState _state;
    private readonly IDatabase _db;
    private readonly InProcessCounterStore _local = new();
    private readonly ConcurrentDictionary<CounterKey, RedisKey> _keys = new();
    private readonly ConditionalWeakTable<PlanLimits, ScaledLimits> _scaled = [];
    private readonly ConditionalWeakTable<PlanLimits, byte[]> _packed = [];
    private readonly RedisKey _rebuiltKey;
    private volatile bool _rebuilding;
    private long _fallbacks;
    private long _refusals;

    public RedisCounterStore(RedisHotState state)
    {
        _state = state;
        _db = state.Database;
        _rebuiltKey = state.Options.Prefix + WindowScripts.Layout + ":rebuilt";
    }

    /// <summary>Keys known to this node (its key cache), not the size of Redis.</summary>
    public int Count => _keys.Count;

    public RedisHotState State => _state;

    /// <summary>Reservations made in the local fallback since start.</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>Reservations refused with 451 4.3.0 for want of Redis since start.</summary>
    public long UnavailableRefusals => Interlocked.Read(ref _refusals);

    /// <summary>
    /// True for the one node that should rebuild the windows from the transaction log: Redis holds no
    /// mark that they were rebuilt (it started empty). The mark is set at once, so the others skip.
    /// </summary>
    public async Task<bool> ClaimRebuildAsync()
    {
        try
        {
            _rebuilding = await _db.StringSetAsync(_rebuiltKey, _state.NodeId, when: When.NotExists).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _state.Failed(e);
            _rebuilding = false;
        }

        return _rebuilding;
    }

    /// <summary>The rebuild is over: <see cref="Add"/> writes nothing more.</summary>
    public void RebuildDone() => _rebuilding = false;

    public WindowTotals Read(CounterKey key, DateTimeOffset now)
    {
        if (_state.IsAvailable)
        {
            try
            {
                return Totals(Evaluate(WindowScripts.Read, [Key(key)], [now.ToUnixTimeMilliseconds()]), _local.Read(key, now));
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _state.Failed(e);
            }
        }

        return _local.Read(key, now);
    }

    public async ValueTask<WindowTotals> ReadAsync(CounterKey key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (_state.IsAvailable)
        {
            try
            {
                var result = await EvaluateAsync(WindowScripts.Read, [Key(key)], [now.ToUnixTimeMilliseconds()]).ConfigureAwait(false);
                return Totals(result, _local.Read(key, now));
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _state.Failed(e);
            }
        }

        return _local.Read(key, now);
    }

    public ReserveResult Reserve(in Reservation request, PlanLimits limits, DateTimeOffset now)
    {
        if (IsMessageAlone(in request))
        {
            return ReserveResult.Granted(request with { Epoch = DeferredEpoch });
        }

        var sent = WithDeferredMessage(in request);
        if (request.Epoch == LocalEpoch || !_state.IsAvailable)
        {
            return Answer(in request, WithoutRedis(in sent, limits, now));
        }

        try
        {
            return Answer(in request, Reserved(in sent, Evaluate(WindowScripts.Reserve, Keys(in sent), Arguments(in sent, limits, now)), now));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _state.Failed(e);
            return Answer(in request, WithoutRedis(in sent, limits, now));
        }
    }

    public ValueTask<ReserveResult> ReserveAsync(Reservation request, PlanLimits limits, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (IsMessageAlone(in request))
        {
            return ValueTask.FromResult(ReserveResult.Granted(request with { Epoch = DeferredEpoch }));
        }

        var sent = WithDeferredMessage(in request);
        if (request.Epoch == LocalEpoch || !_state.IsAvailable)
        {
            return ValueTask.FromResult(Answer(in request, WithoutRedis(in sent, limits, now)));
        }

        return ReserveInRedisAsync(request, sent, limits, now);
    }

    private async ValueTask<ReserveResult> ReserveInRedisAsync(Reservation request, Reservation sent, PlanLimits limits, DateTimeOffset now)
    {
        try
        {
            var keys = Keys(in sent);
            var arguments = Arguments(in sent, limits, now);
            RedisResult result;
            try
            {
                result = await _db.ScriptEvaluateAsync(WindowScripts.Reserve.Hash, keys, arguments).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (ServerScript.IsMissing(e))
            {
                _state.ScriptsMissing();
                result = await _db.ScriptEvaluateAsync(WindowScripts.Reserve.Text, keys, arguments).ConfigureAwait(false);
            }

            return Answer(in request, Reserved(in sent, result, now));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _state.Failed(e);
            return Answer(in request, WithoutRedis(in sent, limits, now));
        }
    }

    // MAIL: a message with no recipient yet (a new transaction).
    private static bool IsMessageAlone(in Reservation request) =>
        request.Epoch == 0 && request.Messages > 0 && request.External == 0 && request.Internal == 0;

    // The first RCPT carries the deferred message with it, as a new transaction's request.
    private static Reservation WithDeferredMessage(in Reservation request) =>
        request.Epoch == DeferredEpoch ? request with { Messages = request.Messages + 1, Epoch = 0 } : request;

    // What the transaction asked for is what it now holds more of, in the generation the store used.
    private static ReserveResult Answer(in Reservation request, in ReserveResult result) =>
        result.Reserved ? ReserveResult.Granted(request with { Epoch = result.Held.Epoch }) : result;

    public void Commit(in Reservation held, DateTimeOffset at) => Settle(in held, at, count: true);

    // A release only gives back: the time is not read.
    public void Release(in Reservation held) => Settle(in held, DateTimeOffset.UnixEpoch, count: false);

    public void Add(CounterKey key, DateTimeOffset at, int messages, int external, int @internal)
    {
        if (!_rebuilding)
        {
            return;
        }

        try
        {
            _db.ScriptEvaluate(WindowScripts.Add.Hash, [Key(key)], [at.ToUnixTimeMilliseconds(), messages, external, @internal], CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _state.Failed(e);
        }
    }

    public DateTimeOffset NextHourRelease(CounterKey key, DateTimeOffset now) => NextRelease(key, now, day: false);

    public DateTimeOffset NextDayRelease(CounterKey key, DateTimeOffset now) => NextRelease(key, now, day: true);

    public WindowTotals Reset(CounterKey key, DateTimeOffset now)
    {
        var local = _local.Reset(key, now);
        if (!_state.IsAvailable)
        {
            return local;
        }

        try
        {
            return Totals(Evaluate(WindowScripts.Reset, [Key(key)], [now.ToUnixTimeMilliseconds()]), local);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _state.Failed(e);
            return local;
        }
    }

    private DateTimeOffset NextRelease(CounterKey key, DateTimeOffset now, bool day)
    {
        if (_state.IsAvailable)
        {
            try
            {
                var ms = (long)Evaluate(WindowScripts.NextRelease, [Key(key)], [now.ToUnixTimeMilliseconds(), day ? 1 : 0]);
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _state.Failed(e);
            }
        }

        return day ? _local.NextDayRelease(key, now) : _local.NextHourRelease(key, now);
    }

    private void Settle(in Reservation held, DateTimeOffset at, bool count)
    {
        if (held.IsEmpty || held.Epoch == DeferredEpoch)
        {
            // Nothing was sent for it: a MAIL whose transaction had no recipient.
            return;
        }

        if (held.Epoch == LocalEpoch || held.Epoch == 0)
        {
            if (count)
            {
                _local.Commit(in held, at);
            }
            else
            {
                _local.Release(in held);
            }

            return;
        }

        if (_state.IsAvailable)
        {
            try
            {
                _db.ScriptEvaluate(WindowScripts.Settle.Hash, Keys(in held),
                    [at.ToUnixTimeMilliseconds(), held.Epoch, held.Messages, held.External, held.Internal, count ? 1 : 0], CommandFlags.FireAndForget);
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                _state.Failed(e);
            }
        }

        // Redis went away after this message was reserved there: its reservation expires with its
        // generation; a relayed message still counts, here, for the rest of the outage.
        if (count)
        {
            var local = held with { Epoch = 0 };
            _local.Add(new CounterKey(CounterScope.Mailbox, local.MailboxId), at, local.Messages, local.External, local.Internal);
            _local.Add(new CounterKey(CounterScope.Domain, local.DomainId), at, local.Messages, local.External, local.Internal);
            _local.Add(new CounterKey(CounterScope.Client, local.ClientId), at, local.Messages, local.External, local.Internal);
        }
    }

    private ReserveResult WithoutRedis(in Reservation request, PlanLimits limits, DateTimeOffset now)
    {

        if (request.Epoch > 0)
        {
            // Begun in Redis: its earlier reservations are there, and its rest cannot be judged here.
            Interlocked.Increment(ref _refusals);
            return ReserveResult.Refused(new ReservationRefusal(CounterScope.Mailbox, request.MailboxId, WindowSpan.Hour, WindowMeasure.Messages, 0, 0, now, Unavailable: true));
        }

        var options = _state.Options;
        var refuse = options.MailboxWhenUnavailable == UnavailableRule.Refuse ? (CounterScope?)CounterScope.Mailbox
            : options.DomainWhenUnavailable == UnavailableRule.Refuse ? CounterScope.Domain
            : options.ClientWhenUnavailable == UnavailableRule.Refuse ? CounterScope.Client
            : null;
        if (refuse is { } scope)
        {
            Interlocked.Increment(ref _refusals);
            var id = scope == CounterScope.Mailbox ? request.MailboxId : scope == CounterScope.Domain ? request.DomainId : request.ClientId;
            return ReserveResult.Refused(new ReservationRefusal(scope, id, WindowSpan.Hour, WindowMeasure.Messages, 0, 0, now, Unavailable: true));
        }

        Interlocked.Increment(ref _fallbacks);
        var local = request with { Epoch = 0 };
        return _local.TryReserve(in local, Scaled(limits), now, out var refusal)
            ? ReserveResult.Granted(request with { Epoch = LocalEpoch })
            : ReserveResult.Refused(in refusal);
    }

    // 1/N of every window, N the nodes that share the limits; a limit of 0 stays 0.
    private PlanLimits Scaled(PlanLimits limits)
    {
        var nodes = _state.Nodes;
        if (_scaled.TryGetValue(limits, out var cached) && cached.Nodes == nodes)
        {
            return cached.Limits;
        }

        var scaled = new PlanLimits
        {
            MaxRecipientsPerMessage = limits.MaxRecipientsPerMessage,
            MaxMessageSizeBytes = limits.MaxMessageSizeBytes,
            Mailbox = Scale(limits.Mailbox, nodes),
            Domain = Scale(limits.Domain, nodes),
            Client = Scale(limits.Client, nodes),
        };
        _scaled.AddOrUpdate(limits, new ScaledLimits(nodes, scaled));
        return scaled;
    }

    private static ScopeLimits Scale(ScopeLimits limits, int nodes) => new()
    {
        MessagesPerHour = Part(limits.MessagesPerHour, nodes),
        ExternalRecipientsPerHour = Part(limits.ExternalRecipientsPerHour, nodes),
        ExternalRecipientsPerDay = Part(limits.ExternalRecipientsPerDay, nodes),
        InternalRecipientsPerHour = Part(limits.InternalRecipientsPerHour, nodes),
        InternalRecipientsPerDay = Part(limits.InternalRecipientsPerDay, nodes),
    };

    private static int Part(int limit, int nodes) => limit <= 0 ? limit : Math.Max(1, limit / nodes);

    private static ReserveResult Reserved(in Reservation request, RedisResult result, DateTimeOffset now)
    {
        var values = (RedisResult[])result!;
        var code = (int)values[0];
        if (code == 0)
        {
            return ReserveResult.Granted(request with { Epoch = (int)values[1] });
        }

        if (code < 0)
        {
            // The transaction outlived its reservation generation (over an hour): start again.
            return ReserveResult.Refused(new ReservationRefusal(CounterScope.Mailbox, request.MailboxId, WindowSpan.Hour, WindowMeasure.Messages, 0, 0, now, Unavailable: true));
        }

        var scope = (CounterScope)(code - 1);
        var id = scope switch
        {
            CounterScope.Mailbox => request.MailboxId,
            CounterScope.Domain => request.DomainId,
            _ => request.ClientId,
        };
        return ReserveResult.Refused(new ReservationRefusal(scope, id, (int)values[1] == 0 ? WindowSpan.Hour : WindowSpan.Day,
            (WindowMeasure)(int)values[2], (int)values[3], (int)values[4], DateTimeOffset.FromUnixTimeMilliseconds((long)values[5])));
    }

    // What Redis counts, plus what this node counted locally during an outage (still in its windows).
    private static WindowTotals Totals(RedisResult result, WindowTotals local)
    {
        var v = (RedisResult[])result!;
        var reservedMessages = (int)v[5];
        var reservedExternal = (int)v[6];
        var reservedInternal = (int)v[7];
        return new WindowTotals(
            (int)v[0] + reservedMessages + local.MessagesLastHour,
            (int)v[1] + reservedExternal + local.ExternalLastHour,
            (int)v[2] + reservedInternal + local.InternalLastHour,
            (int)v[3] + reservedExternal + local.ExternalLastDay,
            (int)v[4] + reservedInternal + local.InternalLastDay,
            reservedMessages + local.ReservedMessages,
            reservedExternal + local.ReservedExternal,
            reservedInternal + local.ReservedInternal);
    }

    // By hash; a Redis that lost its scripts gets this call by text, and all of them loaded again.
    private RedisResult Evaluate(ServerScript script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return _db.ScriptEvaluate(script.Hash, keys, values);
        }
        catch (RedisServerException e) when (ServerScript.IsMissing(e))
        {
            _state.ScriptsMissing();
            return _db.ScriptEvaluate(script.Text, keys, values);
        }
    }

    private async Task<RedisResult> EvaluateAsync(ServerScript script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await _db.ScriptEvaluateAsync(script.Hash, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (ServerScript.IsMissing(e))
        {
            _state.ScriptsMissing();
            return await _db.ScriptEvaluateAsync(script.Text, keys, values).ConfigureAwait(false);
        }
    }

    private RedisKey[] Keys(in Reservation r) =>
        [Key(new CounterKey(CounterScope.Mailbox, r.MailboxId)), Key(new CounterKey(CounterScope.Domain, r.DomainId)), Key(new CounterKey(CounterScope.Client, r.ClientId))];

    private RedisValue[] Arguments(in Reservation r, PlanLimits limits, DateTimeOffset now) =>
        [now.ToUnixTimeMilliseconds(), r.Epoch, r.Messages, r.External, r.Internal, Packed(limits)];

    // The 15 limits as one argument of little-endian 32-bit integers: the script unpacks them in one
    // call instead of parsing fifteen numbers. Limits are settable, so the array kept per plan is
    // reused only while it still says the same.
    private byte[] Packed(PlanLimits limits)
    {
        Span<byte> now = stackalloc byte[15 * sizeof(int)];
        var at = 0;
        foreach (var scope in (ReadOnlySpan<ScopeLimits>)[limits.Mailbox, limits.Domain, limits.Client])
        {
            foreach (var limit in (ReadOnlySpan<int>)[scope.MessagesPerHour, scope.ExternalRecipientsPerHour, scope.ExternalRecipientsPerDay,
                scope.InternalRecipientsPerHour, scope.InternalRecipientsPerDay])
            {
                BinaryPrimitives.WriteInt32LittleEndian(now[at..], limit);
                at += sizeof(int);
            }
        }

        if (_packed.TryGetValue(limits, out var packed) && now.SequenceEqual(packed))
        {
            return packed;
        }

        packed = now.ToArray();
        _packed.AddOrUpdate(limits, packed);
        return packed;
    }

    private RedisKey Key(CounterKey key)
    {
        if (_keys.TryGetValue(key, out var k))
        {
            return k;
        }

        var scope = key.Scope switch
        {
            CounterScope.Mailbox => "m",
            CounterScope.Domain => "d",
            _ => "c",
        };
        k = _state.Options.Prefix + WindowScripts.Layout + ":" + scope + ":" + key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Bounded by the directory (mailboxes, domains, clients); a cache, so it may start again.
        if (_keys.Count > 1_000_000)
        {
            _keys.Clear();
        }

        _keys[key] = k;
        return k;
    }

    private sealed record ScaledLimits(int Nodes, PlanLimits Limits);
}
