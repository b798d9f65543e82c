namespace Floodgate.Storage.HotState;

/// <summary>
/// The Lua scripts of <see cref="RedisCounterStore"/>: each decision is one script, so it is atomic
/// on the server and costs one round trip whichever node asks.
/// </summary>
/// <remarks>
/// One hash per scope key mirrors <see cref="Floodgate.Core.Policy.SlidingWindow"/>: 12 five-minute
/// slots (m, e, i + slot) and 24 one-hour slots (E, I + slot) with running sums (hm, he, hi, de, di)
/// and the newest bucket of each (hn, dn), so a decision reads about twenty fields instead of summing
/// every slot; a slot is subtracted from the sums when the window passes it. Reservations are kept
/// in three generations of 30 minutes (g0..g2 hold the generation, rm/re/ri its counts): a
/// transaction reserves and releases in the generation it began in, and a generation older than an
/// hour stops counting, so the reservations of a node that died free their capacity by themselves.
/// Time is the caller's (node clocks are NTP-synchronised; a bucket never moves backwards).
/// </remarks>
internal static class WindowScripts
{
    private const string Common = """
        local HB, DB, GB = 300000, 3600000, 1800000
        local function n(v) return tonumber(v) or 0 end

        -- Moves the newest buckets to now, taking the slots it passes out of the sums. Returns them.
        local function advance(k, now)
          local h, d = math.floor(now / HB), math.floor(now / DB)
          local f = redis.call('HMGET', k, 'hn', 'dn')
          local hn, dn = tonumber(f[1]), tonumber(f[2])
          if hn == nil or h > hn then
            if hn == nil or h - hn >= 12 then
              local names = {}
              for s = 0, 11 do names[#names+1] = 'm'..s; names[#names+1] = 'e'..s; names[#names+1] = 'i'..s end
              redis.call('HDEL', k, unpack(names))
              redis.call('HSET', k, 'hm', 0, 'he', 0, 'hi', 0, 'hn', h)
            else
              local dm, de, di = 0, 0, 0
              for b = hn + 1, h do
                local s = b % 12
                local v = redis.call('HMGET', k, 'm'..s, 'e'..s, 'i'..s)
                dm, de, di = dm + n(v[1]), de + n(v[2]), di + n(v[3])
                redis.call('HDEL', k, 'm'..s, 'e'..s, 'i'..s)
              end
              -- Lua writes -0 for a zero negated, which HINCRBY refuses: subtract only what is there.
              if dm ~= 0 then redis.call('HINCRBY', k, 'hm', -dm) end
              if de ~= 0 then redis.call('HINCRBY', k, 'he', -de) end
              if di ~= 0 then redis.call('HINCRBY', k, 'hi', -di) end
              redis.call('HSET', k, 'hn', h)
            end
            hn = h
          end
          if dn == nil or d > dn then
            if dn == nil or d - dn >= 24 then
              local names = {}
              for s = 0, 23 do names[#names+1] = 'E'..s; names[#names+1] = 'I'..s end
              redis.call('HDEL', k, unpack(names))
              redis.call('HSET', k, 'de', 0, 'di', 0, 'dn', d)
            else
              local de, di = 0, 0
              for b = dn + 1, d do
                local s = b % 24
                local v = redis.call('HMGET', k, 'E'..s, 'I'..s)
                de, di = de + n(v[1]), di + n(v[2])
                redis.call('HDEL', k, 'E'..s, 'I'..s)
              end
              if de ~= 0 then redis.call('HINCRBY', k, 'de', -de) end
              if di ~= 0 then redis.call('HINCRBY', k, 'di', -di) end
              redis.call('HSET', k, 'dn', d)
            end
            dn = d
          end
          return hn, dn
        end

        -- Counts, then live reservations: messages/hour, ext/hour, int/hour, ext/day, int/day, rm, re, ri.
        local function totals(k, now)
          local cur = math.floor(now / GB)
          local v = redis.call('HMGET', k, 'hm', 'he', 'hi', 'de', 'di', 'g0', 'g1', 'g2', 'rm0', 'rm1', 'rm2', 're0', 're1', 're2', 'ri0', 'ri1', 'ri2')
          local rm, re, ri = 0, 0, 0
          for s = 0, 2 do
            local g = tonumber(v[6 + s])
            if g ~= nil and g >= cur - 2 then
              rm, re, ri = rm + n(v[9 + s]), re + n(v[12 + s]), ri + n(v[15 + s])
            end
          end
          return n(v[1]), n(v[2]), n(v[3]), n(v[4]), n(v[5]), rm, re, ri
        end

        local function add(k, at, m, e, i)
          local hn, dn = advance(k, at)
          local h, d = math.floor(at / HB), math.floor(at / DB)
          if hn - h < 12 then
            local s = h % 12
            if m ~= 0 then redis.call('HINCRBY', k, 'm'..s, m); redis.call('HINCRBY', k, 'hm', m) end
            if e ~= 0 then redis.call('HINCRBY', k, 'e'..s, e); redis.call('HINCRBY', k, 'he', e) end
            if i ~= 0 then redis.call('HINCRBY', k, 'i'..s, i); redis.call('HINCRBY', k, 'hi', i) end
          end
          if dn - d < 24 then
            local s = d % 24
            if e ~= 0 then redis.call('HINCRBY', k, 'E'..s, e); redis.call('HINCRBY', k, 'de', e) end
            if i ~= 0 then redis.call('HINCRBY', k, 'I'..s, i); redis.call('HINCRBY', k, 'di', i) end
          end
        end

        -- Gives back what generation g holds for this transaction (never below zero).
        local function unreserve(k, g, m, e, i)
          local s = g % 3
          local v = redis.call('HMGET', k, 'g'..s, 'rm'..s, 're'..s, 'ri'..s)
          if tonumber(v[1]) == g then
            redis.call('HSET', k, 'rm'..s, math.max(0, n(v[2]) - m), 're'..s, math.max(0, n(v[3]) - e), 'ri'..s, math.max(0, n(v[4]) - i))
          end
        end

        -- When the window next frees capacity: its oldest bucket with counts leaves it (ms).
        local function retry(k, now, day)
          local v = redis.call('HMGET', k, 'hn', 'dn')
          if day then
            local d, dn = math.floor(now / DB), n(v[2])
            local oldest = d + 1
            for b = math.max(d, dn) - 23, math.min(d, dn) do
              local s = b % 24
              local f = redis.call('HMGET', k, 'E'..s, 'I'..s)
              if n(f[1]) ~= 0 or n(f[2]) ~= 0 then oldest = b; break end
            end
            return (oldest + 24) * DB
          end
          local h, hn = math.floor(now / HB), n(v[1])
          local oldest = h + 1
          for b = math.max(h, hn) - 11, math.min(h, hn) do
            local s = b % 12
            local f = redis.call('HMGET', k, 'm'..s, 'e'..s, 'i'..s)
            if n(f[1]) ~= 0 or n(f[2]) ~= 0 or n(f[3]) ~= 0 then oldest = b; break end
          end
          return (oldest + 12) * HB
        end

        local TTL = 90000000
        """;

    /// <summary>
    /// KEYS: mailbox, domain, client. ARGV: now, generation (0: a new transaction), messages, external,
    /// internal, then per scope messages/hour, external/hour, external/day, internal/hour, internal/day.
    /// Returns {0, generation} when reserved; {scope 1..3, span 0 hour 1 day, measure 0..2, used, limit,
    /// retry-at} when a window is full; {-1} when the transaction's generation has expired.
    /// </summary>
    public const string Reserve = Common + "\n" + """
        local now = tonumber(ARGV[1])
        local cur = math.floor(now / GB)
        local g = tonumber(ARGV[2])
        if g == 0 then g = cur end
        if g < cur - 2 then return {-1} end
        local m, e, i = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local h, d, s = math.floor(now / HB), math.floor(now / DB), g % 3
        local held = {}
        for x = 1, 3 do
          local k = KEYS[x]
          -- One read per key: the newest buckets, the sums, the three generations.
          local v = redis.call('HMGET', k, 'hn', 'dn', 'hm', 'he', 'hi', 'de', 'di', 'g0', 'g1', 'g2', 'rm0', 'rm1', 'rm2', 're0', 're1', 're2', 'ri0', 'ri1', 'ri2')
          local hn, dn = tonumber(v[1]), tonumber(v[2])
          if hn == nil or dn == nil or h > hn or d > dn then
            advance(k, now)
            v = redis.call('HMGET', k, 'hn', 'dn', 'hm', 'he', 'hi', 'de', 'di', 'g0', 'g1', 'g2', 'rm0', 'rm1', 'rm2', 're0', 're1', 're2', 'ri0', 'ri1', 'ri2')
            if hn == nil then redis.call('PEXPIRE', k, TTL) end
          end
          local rm, re, ri = 0, 0, 0
          for t = 0, 2 do
            local gt = tonumber(v[8 + t])
            if gt ~= nil and gt >= cur - 2 then
              rm, re, ri = rm + n(v[11 + t]), re + n(v[14 + t]), ri + n(v[17 + t])
            end
          end
          local hm, he, hi, de, di = n(v[3]), n(v[4]), n(v[5]), n(v[6]), n(v[7])
          local b = 5 + (x - 1) * 5
          local mph, eph, epd, iph, ipd = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
          if m > 0 and hm + rm + m > mph then return {x, 0, 0, hm + rm, mph, retry(k, now, false)} end
          if e > 0 then
            if he + re + e > eph then return {x, 0, 1, he + re, eph, retry(k, now, false)} end
            if de + re + e > epd then return {x, 1, 1, de + re, epd, retry(k, now, true)} end
          end
          if i > 0 then
            if hi + ri + i > iph then return {x, 0, 2, hi + ri, iph, retry(k, now, false)} end
            if di + ri + i > ipd then return {x, 1, 2, di + ri, ipd, retry(k, now, true)} end
          end
          local gs = tonumber(v[8 + s])
          if gs ~= nil and gs > g then return {-1} end
          if gs == g then
            held[x] = {n(v[11 + s]), n(v[14 + s]), n(v[17 + s])}
          else
            held[x] = {0, 0, 0}
          end
        end
        for x = 1, 3 do
          local r = held[x]
          redis.call('HSET', KEYS[x], 'g'..s, g, 'rm'..s, r[1] + m, 're'..s, r[2] + e, 'ri'..s, r[3] + i)
        end
        return {0, g}
        """;

    /// <summary>KEYS: mailbox, domain, client. ARGV: at, generation, messages, external, internal, 1 to count (commit) or 0 (release).</summary>
    public const string Settle = Common + "\n" + """
        local at, g = tonumber(ARGV[1]), tonumber(ARGV[2])
        local m, e, i, count = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
        local h, d = math.floor(at / HB), math.floor(at / DB)
        local s, hs, ds = g % 3, h % 12, d % 24
        for x = 1, 3 do
          local k = KEYS[x]
          -- One read and one write per key: the generation's reservation back, the counts in.
          local v = redis.call('HMGET', k, 'hn', 'dn', 'g'..s, 'rm'..s, 're'..s, 'ri'..s, 'm'..hs, 'e'..hs, 'i'..hs, 'hm', 'he', 'hi', 'E'..ds, 'I'..ds, 'de', 'di')
          if count and (tonumber(v[1]) == nil or tonumber(v[2]) == nil or h > tonumber(v[1]) or d > tonumber(v[2])) then
            advance(k, at)
            v = redis.call('HMGET', k, 'hn', 'dn', 'g'..s, 'rm'..s, 're'..s, 'ri'..s, 'm'..hs, 'e'..hs, 'i'..hs, 'hm', 'he', 'hi', 'E'..ds, 'I'..ds, 'de', 'di')
          end
          local w = {}
          if g > 0 and tonumber(v[3]) == g then
            w[#w+1] = 'rm'..s; w[#w+1] = math.max(0, n(v[4]) - m)
            w[#w+1] = 're'..s; w[#w+1] = math.max(0, n(v[5]) - e)
            w[#w+1] = 'ri'..s; w[#w+1] = math.max(0, n(v[6]) - i)
          end
          if count then
            -- A bucket older than the window (a clock behind the others') has left it already.
            if n(v[1]) - h < 12 then
              w[#w+1] = 'm'..hs; w[#w+1] = n(v[7]) + m
              w[#w+1] = 'e'..hs; w[#w+1] = n(v[8]) + e
              w[#w+1] = 'i'..hs; w[#w+1] = n(v[9]) + i
              w[#w+1] = 'hm'; w[#w+1] = n(v[10]) + m
              w[#w+1] = 'he'; w[#w+1] = n(v[11]) + e
              w[#w+1] = 'hi'; w[#w+1] = n(v[12]) + i
            end
            if n(v[2]) - d < 24 then
              w[#w+1] = 'E'..ds; w[#w+1] = n(v[13]) + e
              w[#w+1] = 'I'..ds; w[#w+1] = n(v[14]) + i
              w[#w+1] = 'de'; w[#w+1] = n(v[15]) + e
              w[#w+1] = 'di'; w[#w+1] = n(v[16]) + i
            end
          end
          if #w > 0 then redis.call('HSET', k, unpack(w)) end
          if count then redis.call('PEXPIRE', k, TTL) end
        end
        return 0
        """;

    /// <summary>KEYS: one scope. ARGV: at, messages, external, internal (the windows rebuilt from the transaction log).</summary>
    public const string Add = Common + "\n" + """
        add(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
        redis.call('PEXPIRE', KEYS[1], TTL)
        return 0
        """;

    /// <summary>KEYS: one scope. ARGV: now. Returns the totals (see totals()).</summary>
    public const string Read = Common + "\n" + """
        local now = tonumber(ARGV[1])
        if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 0, 0, 0, 0, 0, 0} end
        advance(KEYS[1], now)
        return {totals(KEYS[1], now)}
        """;

    /// <summary>KEYS: one scope. ARGV: now, 0 hour or 1 day. Returns when the window next frees capacity (ms).</summary>
    public const string NextRelease = Common + "\n" + """
        local now = tonumber(ARGV[1])
        if redis.call('EXISTS', KEYS[1]) == 0 then return now end
        advance(KEYS[1], now)
        return retry(KEYS[1], now, ARGV[2] == '1')
        """;

    /// <summary>KEYS: one scope. ARGV: now. Clears the counts (reservations stay) and returns the totals before.</summary>
    public const string Reset = Common + "\n" + """
        local now = tonumber(ARGV[1])
        if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 0, 0, 0, 0, 0, 0} end
        advance(KEYS[1], now)
        local before = {totals(KEYS[1], now)}
        local names = {}
        for s = 0, 11 do names[#names+1] = 'm'..s; names[#names+1] = 'e'..s; names[#names+1] = 'i'..s end
        for s = 0, 23 do names[#names+1] = 'E'..s; names[#names+1] = 'I'..s end
        redis.call('HDEL', KEYS[1], unpack(names))
        redis.call('HSET', KEYS[1], 'hm', 0, 'he', 0, 'hi', 0, 'de', 0, 'di', 0)
        return before
        """;
}
