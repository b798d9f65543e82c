namespace Floodgate.Storage.HotState;

/// <summary>
/// The Lua scripts of <see cref="RedisCounterStore"/>: each decision is one script, so it is atomic
/// on the server and costs one round trip whichever node asks.
/// </summary>
/// <remarks>
/// Each scope key is one string of 103 little-endian 32-bit integers that mirrors
/// <see cref="Floodgate.Core.Policy.SlidingWindow"/>. Its head (19 numbers) holds the newest
/// five-minute and hour buckets, the running sums of the hour and the day, and three reservation
/// generations of 30 minutes with their counts; then come 12 five-minute slots (messages, external,
/// internal) and 24 hour slots (external, internal). A decision is one MGET of the three scopes and
/// one SET per scope it changes. While the buckets are current it unpacks and repacks the head alone,
/// and a commit the two slots it adds to; the slots are unpacked only when a window moves on or a
/// refusal needs its retry time. A hash with a field per slot cost three times as much on the server
/// (bench/RESULTS.md, "Issue 16"): Redis scans a small hash's fields one by one.
/// A transaction reserves and releases in the generation it began in, and a generation older than an
/// hour stops counting, so the reservations of a node that died free their capacity by themselves.
/// Time is the caller's (node clocks are NTP-synchronised; a bucket never moves backwards).
/// </remarks>
internal static class WindowScripts
{
    /// <summary>
    /// Part of every key's name: a change of the layout below is a new version, so a node never reads
    /// another layout's strings (the old keys expire by themselves).
    /// </summary>
    public const string Layout = "w1";

    public static readonly ServerScript Reserve = new(ReserveText);
    public static readonly ServerScript Settle = new(SettleText);
    public static readonly ServerScript Add = new(AddText);
    public static readonly ServerScript Read = new(ReadText);
    public static readonly ServerScript NextRelease = new(NextReleaseText);
    public static readonly ServerScript Reset = new(ResetText);

    /// <summary>What <see cref="RedisHotState"/> loads into Redis before the node decides there.</summary>
    public static readonly ServerScript[] All = [Reserve, Settle, Add, Read, NextRelease, Reset];

    private const string Common = """
        local HB, DB, GB, TTL = 300000, 3600000, 1800000, 90000000
        -- Positions: the head (newest buckets, sums, generations, their reservations), then the slots.
        local HN, DN, HM, HE, HI, DE, DI = 1, 2, 3, 4, 5, 6, 7
        local G, RM, RE, RI = 8, 11, 14, 17
        local H, D, N = 20, 56, 103
        local HF = '<i4i4i4i4i4i4i4i4i4i4i4i4i4i4i4i4i4i4i4'
        local F = HF .. string.rep('i4', N - 19)
        -- Where a slot's numbers start in the string (bytes, from 1): five-minute slot s, hour slot s.
        local function hat(s) return 77 + 12 * s end
        local function dat(s) return 221 + 8 * s end

        -- All of a scope's numbers (MGET gives false for a missing key: all zero). t.w marks them whole.
        local function whole(s)
          local t
          if s then
            t = {struct.unpack(F, s)}
          else
            t = {}
            for x = 1, N do t[x] = 0 end
          end
          t.w = true
          return t
        end

        -- Moves the newest buckets to now, taking the slots it passes out of the sums (t whole).
        local function advance(t, now)
          local h, d = math.floor(now / HB), math.floor(now / DB)
          if h > t[HN] then
            if h - t[HN] >= 12 then
              for s = 0, 11 do t[H + 3 * s], t[H + 3 * s + 1], t[H + 3 * s + 2] = 0, 0, 0 end
              t[HM], t[HE], t[HI] = 0, 0, 0
            else
              for b = t[HN] + 1, h do
                local x = H + 3 * (b % 12)
                t[HM], t[HE], t[HI] = t[HM] - t[x], t[HE] - t[x + 1], t[HI] - t[x + 2]
                t[x], t[x + 1], t[x + 2] = 0, 0, 0
              end
            end
            t[HN] = h
          end
          if d > t[DN] then
            if d - t[DN] >= 24 then
              for s = 0, 23 do t[D + 2 * s], t[D + 2 * s + 1] = 0, 0 end
              t[DE], t[DI] = 0, 0
            else
              for b = t[DN] + 1, d do
                local x = D + 2 * (b % 24)
                t[DE], t[DI] = t[DE] - t[x], t[DI] - t[x + 1]
                t[x], t[x + 1] = 0, 0
              end
            end
            t[DN] = d
          end
        end

        -- The head alone while the buckets are current, else every number, moved to now.
        local function current(s, now)
          if s then
            local t = {struct.unpack(HF, s)}
            t[H] = nil
            if math.floor(now / HB) <= t[HN] and math.floor(now / DB) <= t[DN] then return t end
          end
          local t = whole(s)
          advance(t, now)
          return t
        end

        -- t whole, or its head with the slots of s unchanged.
        local function save(k, t, s)
          local data
          if t.w then
            data = struct.pack(F, unpack(t, 1, N))
          else
            data = struct.pack(HF, unpack(t, 1, 19)) .. string.sub(s, 77)
          end
          redis.call('SET', k, data, 'PX', TTL)
        end

        -- The live reservations (generations of the last hour): messages, external, internal.
        local function reserved(t, now)
          local cur = math.floor(now / GB)
          local rm, re, ri = 0, 0, 0
          for s = 0, 2 do
            if t[G + s] >= cur - 2 then rm, re, ri = rm + t[RM + s], re + t[RE + s], ri + t[RI + s] end
          end
          return rm, re, ri
        end

        -- Counts, then live reservations: messages/hour, ext/hour, int/hour, ext/day, int/day, rm, re, ri.
        local function totals(t, now)
          local rm, re, ri = reserved(t, now)
          return {t[HM], t[HE], t[HI], t[DE], t[DI], rm, re, ri}
        end

        -- Counts a message at time at into t (whole, moved to at).
        local function add(t, at, m, e, i)
          local h, d = math.floor(at / HB), math.floor(at / DB)
          -- A bucket older than the window (a clock behind the others') has left it already.
          if t[HN] - h < 12 then
            local x = H + 3 * (h % 12)
            t[x], t[x + 1], t[x + 2] = t[x] + m, t[x + 1] + e, t[x + 2] + i
            t[HM], t[HE], t[HI] = t[HM] + m, t[HE] + e, t[HI] + i
          end
          if t[DN] - d < 24 then
            local x = D + 2 * (d % 24)
            t[x], t[x + 1] = t[x] + e, t[x + 1] + i
            t[DE], t[DI] = t[DE] + e, t[DI] + i
          end
        end

        -- When the window next frees capacity: its oldest bucket with counts leaves it (ms; t whole).
        local function retry(t, now, day)
          if day then
            local d = math.floor(now / DB)
            local oldest = d + 1
            for b = math.max(d, t[DN]) - 23, math.min(d, t[DN]) do
              local x = D + 2 * (b % 24)
              if t[x] ~= 0 or t[x + 1] ~= 0 then oldest = b; break end
            end
            return (oldest + 24) * DB
          end
          local h = math.floor(now / HB)
          local oldest = h + 1
          for b = math.max(h, t[HN]) - 11, math.min(h, t[HN]) do
            local x = H + 3 * (b % 12)
            if t[x] ~= 0 or t[x + 1] ~= 0 or t[x + 2] ~= 0 then oldest = b; break end
          end
          return (oldest + 12) * HB
        end
        """;

    /// <summary>
    /// KEYS: mailbox, domain, client. ARGV: now, generation (0: a new transaction), messages, external,
    /// internal, then the 15 limits packed as little-endian 32-bit integers (<see cref="RedisCounterStore"/>):
    /// per scope messages/hour, external/hour, external/day, internal/hour, internal/day.
    /// Returns {0, generation} when reserved; {scope 1..3, span 0 hour 1 day, measure 0..2, used, limit,
    /// retry-at} when a window is full; {-1} when the transaction's generation has expired.
    /// </summary>
    private const string ReserveText = Common + "\n" + """
        local now = tonumber(ARGV[1])
        local cur = math.floor(now / GB)
        local g = tonumber(ARGV[2])
        if g == 0 then g = cur end
        if g < cur - 2 then return {-1} end
        local m, e, i = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local L = {struct.unpack('<i4i4i4i4i4i4i4i4i4i4i4i4i4i4i4', ARGV[6])}
        local s = g % 3
        local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
        local ts = {}
        for x = 1, 3 do
          local t = current(v[x], now)
          ts[x] = t
          local rm, re, ri = reserved(t, now)
          local b = (x - 1) * 5
          local span, measure, used, limit
          if m > 0 and t[HM] + rm + m > L[b + 1] then span, measure, used, limit = 0, 0, t[HM] + rm, L[b + 1]
          elseif e > 0 and t[HE] + re + e > L[b + 2] then span, measure, used, limit = 0, 1, t[HE] + re, L[b + 2]
          elseif e > 0 and t[DE] + re + e > L[b + 3] then span, measure, used, limit = 1, 1, t[DE] + re, L[b + 3]
          elseif i > 0 and t[HI] + ri + i > L[b + 4] then span, measure, used, limit = 0, 2, t[HI] + ri, L[b + 4]
          elseif i > 0 and t[DI] + ri + i > L[b + 5] then span, measure, used, limit = 1, 2, t[DI] + ri, L[b + 5]
          end
          if span then
            if not t.w then
              t = whole(v[x])
              advance(t, now)
            end
            return {x, span, measure, used, limit, retry(t, now, span == 1)}
          end
          if t[G + s] > g then return {-1} end
        end
        for x = 1, 3 do
          local t = ts[x]
          if t[G + s] ~= g then t[G + s], t[RM + s], t[RE + s], t[RI + s] = g, 0, 0, 0 end
          t[RM + s], t[RE + s], t[RI + s] = t[RM + s] + m, t[RE + s] + e, t[RI + s] + i
          save(KEYS[x], t, v[x])
        end
        return {0, g}
        """;

    /// <summary>
    /// KEYS: mailbox, domain, client. ARGV: at, generation (0: none held in Redis), messages, external,
    /// internal, 1 to count (commit) or 0 (release only).
    /// </summary>
    private const string SettleText = Common + "\n" + """
        local at, g = tonumber(ARGV[1]), tonumber(ARGV[2])
        local m, e, i, count = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
        local h, d, s = math.floor(at / HB), math.floor(at / DB), g % 3
        local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
        for x = 1, 3 do
          local k, str = KEYS[x], v[x]
          -- A release where the key is gone has nothing to give back.
          if str or count then
            local t = current(str, at)
            if g > 0 and t[G + s] == g then
              t[RM + s], t[RE + s], t[RI + s] = math.max(0, t[RM + s] - m), math.max(0, t[RE + s] - e), math.max(0, t[RI + s] - i)
            end
            if not count then
              save(k, t, str)
            elseif t.w or h ~= t[HN] or d ~= t[DN] then
              if not t.w then
                -- A clock behind the newest bucket: the general way.
                local held = {t[RM + s], t[RE + s], t[RI + s]}
                t = whole(str)
                advance(t, at)
                t[RM + s], t[RE + s], t[RI + s] = held[1], held[2], held[3]
              end
              add(t, at, m, e, i)
              save(k, t, str)
            else
              -- The usual commit: the head, and the two current slots spliced into the packed rest.
              local a, b = hat(h % 12), dat(d % 24)
              local sm, se, si = struct.unpack('<i4i4i4', str, a)
              local de, di = struct.unpack('<i4i4', str, b)
              t[HM], t[HE], t[HI], t[DE], t[DI] = t[HM] + m, t[HE] + e, t[HI] + i, t[DE] + e, t[DI] + i
              redis.call('SET', k, struct.pack(HF, unpack(t, 1, 19)) .. string.sub(str, 77, a - 1)
                .. struct.pack('<i4i4i4', sm + m, se + e, si + i) .. string.sub(str, a + 12, b - 1)
                .. struct.pack('<i4i4', de + e, di + i) .. string.sub(str, b + 8), 'PX', TTL)
            end
          end
        end
        return 0
        """;

    /// <summary>KEYS: one scope. ARGV: at, messages, external, internal (the windows rebuilt from the transaction log).</summary>
    private const string AddText = Common + "\n" + """
        local at = tonumber(ARGV[1])
        local t = whole(redis.call('GET', KEYS[1]))
        advance(t, at)
        add(t, at, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
        save(KEYS[1], t)
        return 0
        """;

    /// <summary>KEYS: one scope. ARGV: now. Returns the totals (see totals()).</summary>
    private const string ReadText = Common + "\n" + """
        local now = tonumber(ARGV[1])
        local v = redis.call('GET', KEYS[1])
        if not v then return {0, 0, 0, 0, 0, 0, 0, 0} end
        return totals(current(v, now), now)
        """;

    /// <summary>KEYS: one scope. ARGV: now, 0 hour or 1 day. Returns when the window next frees capacity (ms).</summary>
    private const string NextReleaseText = Common + "\n" + """
        local now = tonumber(ARGV[1])
        local v = redis.call('GET', KEYS[1])
        if not v then return now end
        local t = whole(v)
        advance(t, now)
        return retry(t, now, ARGV[2] == '1')
        """;

    /// <summary>KEYS: one scope. ARGV: now. Clears the counts (reservations stay) and returns the totals before.</summary>
    private const string ResetText = Common + "\n" + """
        local now = tonumber(ARGV[1])
        local v = redis.call('GET', KEYS[1])
        if not v then return {0, 0, 0, 0, 0, 0, 0, 0} end
        local t = whole(v)
        advance(t, now)
        local before = totals(t, now)
        for x = HM, DI do t[x] = 0 end
        for x = H, N do t[x] = 0 end
        save(KEYS[1], t)
        return before
        """;
}
