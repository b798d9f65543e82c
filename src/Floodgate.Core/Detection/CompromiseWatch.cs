using System.Collections.Concurrent;
using System.Globalization;
using System.Net;

namespace Floodgate.Core.Detection;

/// <summary>Where a refusal of an unknown recipient was heard.</summary>
public enum RefusalSource : byte
{
    /// <summary>The upstream MTA refused the RCPT while the gateway relayed (in-line, per recipient).</summary>
    Upstream,

    /// <summary>A hard "user unknown" bounce attributed to the mailbox (trace header or Message-ID).</summary>
    Bounce,
}

/// <summary>One client network of a mailbox, for its page and API.</summary>
public sealed record LoginNetworkView(string Network, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>What <see cref="CompromiseWatch"/> knows of one mailbox now.</summary>
public sealed record CompromiseView(
    int InvalidRecipientsLastHour,
    int AtUpstream,
    int InBounces,
    IReadOnlyList<string> RecentInvalidRecipients,
    IReadOnlyList<LoginNetworkView> NetworksLastDay,
    int KnownNetworks,
    DateTimeOffset? LoginsSince,
    string? NewNetwork,
    DateTimeOffset? NewNetworkAt);

/// <summary>
/// Signs of a stolen password, per mailbox, in memory: the recipients refused as unknown users in the
/// last hour (deduplicated by address), the client networks it logged in from (each with when it was
/// first and last seen) and the last login from a network never seen before. The detector reads it
/// for every message of a watched mailbox and scores three signals, each with its own rule mode:
/// <list type="bullet">
/// <item>invalid-recipients: at least <see cref="DetectionOptions.InvalidRecipientsPerHour"/> in a sliding hour;</item>
/// <item>login-networks: more than <see cref="DetectionOptions.LoginNetworksPerDay"/> networks in 24 hours;</item>
/// <item>new-network-volume: a new network, for a mailbox whose logins go back <see cref="DetectionOptions.NewNetworkHistory"/>,
/// followed within <see cref="DetectionOptions.NewNetworkWindow"/> by an hour far above its usual one.</item>
/// </list>
/// Bounded: <see cref="DetectionOptions.CompromiseMaxMailboxes"/> mailboxes (the least recently active
/// are forgotten past it), <see cref="DetectionOptions.NetworksPerMailbox"/> networks and twice the
/// hourly threshold of refused recipients each. One lock per mailbox, no I/O; the seen networks are
/// written to a snapshot (<see cref="WriteNetworks"/>) so a restart does not make every network new.
/// </summary>
public sealed class CompromiseWatch
{
    public const string InvalidRecipientsRule = "invalid-recipients";
    public const string LoginNetworksRule = "login-networks";
    public const string NewNetworkVolumeRule = "new-network-volume";

    private const int Samples = 5;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private readonly DetectionOptions _options;
    private readonly IPNetwork[] _ignored;
    private readonly ConcurrentDictionary<int, Watch> _mailboxes = new();
    private readonly Lock _sweep = new();

    public CompromiseWatch(DetectionOptions options)
    {
        _options = options;
        var ignored = new List<IPNetwork>();
        foreach (var cidr in options.LoginNetworksIgnored)
        {
            if (IPNetwork.TryParse(cidr, out var network))
            {
                ignored.Add(network);
            }
        }

        _ignored = [.. ignored];
    }

    public static bool IsRule(string rule) => rule is InvalidRecipientsRule or LoginNetworksRule or NewNetworkVolumeRule;

    public int MailboxCount => _mailboxes.Count;

    /// <summary>Whether anything is known of the mailbox: a message of an unwatched one costs one lookup.</summary>
    public bool IsWatching(int mailboxId) => _mailboxes.ContainsKey(mailboxId);

    /// <summary>
    /// An authenticated login of the mailbox from <paramref name="clientAddress"/> (as a door has it:
    /// Postfix's client_address, the milter's connect address). The same address as the mailbox's last
    /// login is not parsed again, so a door that reports every message allocates nothing for it.
    /// </summary>
    public void LoggedIn(int mailboxId, ReadOnlySpan<char> clientAddress, DateTimeOffset now)
    {
        if (clientAddress.IsEmpty)
        {
            return;
        }

        if (_mailboxes.TryGetValue(mailboxId, out var known))
        {
            lock (known.Sync)
            {
                if (known.LastAddress is { } last && clientAddress.SequenceEqual(last))
                {
                    if (known.LastNetwork is { } network)
                    {
                        Touch(known, network, now);
                    }

                    return;
                }
            }
        }

        var text = clientAddress.Trim();
        if (text.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
        {
            text = text[5..];
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return;
        }

        var counted = TryNetwork(address, out var key);
        var w = Get(mailboxId, now);
        lock (w.Sync)
        {
            w.LastAddress = clientAddress.ToString();
            w.LastNetwork = counted ? key : null;
            if (counted)
            {
                Touch(w, key, now);
            }
        }
    }

    /// <summary>An authenticated login of the mailbox from <paramref name="address"/> (the gateway's AUTH).</summary>
    public void LoggedIn(int mailboxId, IPAddress address, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!TryNetwork(address, out var key))
        {
            return;
        }

        var w = Get(mailboxId, now);
        lock (w.Sync)
        {
            Touch(w, key, now);
        }
    }

    /// <summary>
    /// A recipient of the mailbox refused as an unknown user (the caller classified it: <see cref="Bounces.UnknownRecipient"/>).
    /// False when the same address was already counted within the hour.
    /// </summary>
    public bool RecipientRefused(int mailboxId, ReadOnlySpan<char> recipient, RefusalSource source, DateTimeOffset now)
    {
        var address = recipient.Trim().Trim("<>");
        if (address.IsEmpty)
        {
            return false;
        }

        // In memory only and never written: the process's randomised hash is enough to tell addresses apart.
        var hash = string.GetHashCode(address, StringComparison.OrdinalIgnoreCase);
        var w = Get(mailboxId, now);
        lock (w.Sync)
        {
            var refusals = w.Refusals ??= new List<Refusal>(16);
            var since = (now - Hour).UtcTicks;
            var oldest = -1;
            for (var i = 0; i < refusals.Count; i++)
            {
                var r = refusals[i];
                if (r.Ticks >= since && r.Hash == hash)
                {
                    return false;
                }

                if (oldest < 0 || r.Ticks < refusals[oldest].Ticks)
                {
                    oldest = i;
                }
            }

            var entry = new Refusal(hash, now.UtcTicks, source);
            if (refusals.Count < RefusalCapacity)
            {
                refusals.Add(entry);
            }
            else
            {
                refusals[oldest] = entry;
            }

            (w.Samples ??= new string?[Samples])[w.NextSample] = address.ToString();
            w.NextSample = (w.NextSample + 1) % Samples;
            w.LastActivity = now.UtcTicks;
            return true;
        }
    }

    /// <summary>
    /// The mailbox's password changed (a reinstatement, a reset): what was counted so far was the
    /// thief's, and no longer counts. The networks stay known; they count again when next seen.
    /// </summary>
    public void Forget(int mailboxId, DateTimeOffset now)
    {
        if (_mailboxes.TryGetValue(mailboxId, out var w))
        {
            lock (w.Sync)
            {
                w.CountSince = now.UtcTicks;
                w.Refusals?.Clear();
                if (w.Samples is { } samples)
                {
                    Array.Clear(samples);
                }

                w.NewNetworkAt = 0;
                w.HeldAt = 0;
            }
        }
    }

    /// <summary>
    /// Whether the mailbox logged in from a new network within <see cref="DetectionOptions.NewNetworkWindow"/>:
    /// only then does its hour's volume matter here, so a caller reads its window only then.
    /// </summary>
    public bool AwaitsVolume(int mailboxId, DateTimeOffset now) =>
        _options.NewNetworkVolumeRule != RuleMode.Off && _mailboxes.TryGetValue(mailboxId, out var w)
        && Volatile.Read(ref w.NewNetworkAt) is var at and not 0 && now.UtcTicks - at <= _options.NewNetworkWindow.Ticks;

    /// <summary>A message of the mailbox was held (by any signal): a compromise signal after it makes an offense.</summary>
    public void Held(int mailboxId, DateTimeOffset at)
    {
        if (_mailboxes.TryGetValue(mailboxId, out var w))
        {
            Volatile.Write(ref w.HeldAt, Math.Max(Volatile.Read(ref w.HeldAt), at.UtcTicks));
        }
    }

    /// <summary>Whether a message of the mailbox was held at or after <paramref name="since"/>.</summary>
    public bool HeldSince(int mailboxId, DateTimeOffset since) =>
        _mailboxes.TryGetValue(mailboxId, out var w) && Volatile.Read(ref w.HeldAt) >= since.UtcTicks;

    private int RefusalCapacity => Math.Min(2 * _options.InvalidRecipientsPerHour, 4096);

    /// <summary>
    /// Adds the signals that fire for the mailbox now to <paramref name="signals"/>, made when the first
    /// fires. Words are built only for a signal that fires.
    /// </summary>
    /// <param name="lastHourExternal">The mailbox's external recipients in the last hour, this message included.</param>
    /// <param name="usualHour">The mailbox's usual hour of external recipients (<see cref="MailboxProfile.UsualHour"/>).</param>
    public void Assess(int mailboxId, int lastHourExternal, double usualHour, DateTimeOffset now, ref List<Signal>? signals)
    {
        if (!_mailboxes.TryGetValue(mailboxId, out var w))
        {
            return;
        }

        var o = _options;
        lock (w.Sync)
        {
            if (o.InvalidRecipientsRule != RuleMode.Off)
            {
                var (count, upstream, bounces) = CountRefusals(w, now);
                if (count >= o.InvalidRecipientsPerHour)
                {
                    (signals ??= []).Add(new Signal(InvalidRecipientsRule, o.InvalidRecipientsWeight, o.InvalidRecipientsRule, string.Create(CultureInfo.InvariantCulture,
                        $"{count} distinct recipients refused as unknown users (5.1.1) in the last hour ({upstream} by the upstream, {bounces} in bounces; threshold {o.InvalidRecipientsPerHour}): a harvested or guessed list, e.g. {string.Join(", ", RecentSamples(w))}")));
                }
            }

            if (o.LoginNetworksRule != RuleMode.Off)
            {
                var networks = CountNetworksLastDay(w, now);
                if (networks > o.LoginNetworksPerDay)
                {
                    (signals ??= []).Add(new Signal(LoginNetworksRule, o.LoginNetworksWeight, o.LoginNetworksRule, string.Create(CultureInfo.InvariantCulture,
                        $"logged in from {networks} distinct client networks in the last 24 h (more than {o.LoginNetworksPerDay}): {string.Join(", ", NetworksLastDay(w, now, 12).Select(n => n.Network))}")));
                }
            }

            if (o.NewNetworkVolumeRule != RuleMode.Off && w.NewNetworkAt != 0 && now.UtcTicks - w.NewNetworkAt <= o.NewNetworkWindow.Ticks)
            {
                var usual = Math.Max(usualHour, o.BaselineFloor);
                var threshold = o.NewNetworkVolumeMultiple * usual;
                if (lastHourExternal >= threshold)
                {
                    var at = new DateTimeOffset(w.NewNetworkAt, TimeSpan.Zero);
                    var days = (at - new DateTimeOffset(w.LoginsSince, TimeSpan.Zero)).TotalDays;
                    (signals ??= []).Add(new Signal(NewNetworkVolumeRule, o.NewNetworkVolumeWeight, o.NewNetworkVolumeRule, string.Create(CultureInfo.InvariantCulture,
                        $"a login at {at:yyyy-MM-dd HH:mm} UTC from {w.NewNetwork}, a network never seen in {days:0} days of this mailbox's logins, then {lastHourExternal} external recipients in the last hour against a usual hour of {usual:0} (threshold {threshold:0})")));
                }
            }
        }
    }

    /// <summary>The mailbox's refused recipients and login networks, for its page and API; null when nothing is known.</summary>
    public CompromiseView? Describe(int mailboxId, DateTimeOffset now)
    {
        if (!_mailboxes.TryGetValue(mailboxId, out var w))
        {
            return null;
        }

        lock (w.Sync)
        {
            var (count, upstream, bounces) = CountRefusals(w, now);
            return new CompromiseView(count, upstream, bounces, count == 0 ? [] : RecentSamples(w), NetworksLastDay(w, now, int.MaxValue), w.Networks.Count,
                w.LoginsSince == 0 ? null : new DateTimeOffset(w.LoginsSince, TimeSpan.Zero),
                w.NewNetworkAt == 0 ? null : w.NewNetwork.ToString(), w.NewNetworkAt == 0 ? null : new DateTimeOffset(w.NewNetworkAt, TimeSpan.Zero));
        }
    }

    private const uint SnapshotMagic = 0x574E_4746; // "FGNW"
    private const int SnapshotVersion = 1;

    /// <summary>
    /// Writes every mailbox's known networks and since when its logins are known: after a restart a
    /// network seen yesterday is not new, and the day's count of networks goes on. Refused recipients
    /// are not written: an hour's worth, they are heard again.
    /// </summary>
    public int WriteNetworks(Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(SnapshotMagic);
        writer.Write(SnapshotVersion);
        var written = 0;
        var buffer = new List<Seen>(_options.NetworksPerMailbox);
        foreach (var (id, w) in _mailboxes)
        {
            long since;
            lock (w.Sync)
            {
                if (w.Networks.Count == 0)
                {
                    continue;
                }

                since = w.LoginsSince;
                buffer.Clear();
                buffer.AddRange(w.Networks);
            }

            writer.Write(id);
            writer.Write(since);
            writer.Write(buffer.Count);
            foreach (var n in buffer)
            {
                writer.Write((ulong)(n.Network.Key >> 64));
                writer.Write((ulong)n.Network.Key);
                writer.Write(n.First);
                writer.Write(n.Last);
            }

            written++;
        }

        writer.Write(-1);
        return written;
    }

    /// <summary>Reads <see cref="WriteNetworks"/>; networks past <see cref="DetectionOptions.NetworkMemory"/> are left out. Returns the mailboxes read.</summary>
    public int ReadNetworks(Stream stream, DateTimeOffset now)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadUInt32() != SnapshotMagic || reader.ReadInt32() != SnapshotVersion)
        {
            return 0;
        }

        var forgotten = (now - _options.NetworkMemory).UtcTicks;
        var read = 0;
        while (reader.ReadInt32() is var id and >= 0)
        {
            var since = reader.ReadInt64();
            var count = reader.ReadInt32();
            if (count < 0 || count > 1024)
            {
                throw new InvalidDataException($"network snapshot: mailbox {id} has {count} networks");
            }

            var w = Get(id, now);
            lock (w.Sync)
            {
                if (w.LoginsSince == 0 || since < w.LoginsSince)
                {
                    w.LoginsSince = since;
                }

                for (var i = 0; i < count; i++)
                {
                    var key = ((UInt128)reader.ReadUInt64() << 64) | reader.ReadUInt64();
                    var first = reader.ReadInt64();
                    var last = reader.ReadInt64();
                    if (last >= forgotten && Find(w, new ClientNetwork(key)) < 0)
                    {
                        Add(w, new Seen(new ClientNetwork(key), first, last), now);
                    }
                }

                w.LastActivity = Math.Max(w.LastActivity, since);
            }

            read++;
        }

        return read;
    }

    private bool TryNetwork(IPAddress address, out ClientNetwork network)
    {
        network = default;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        // The provider's own webmail and proxies log everyone in from their own addresses: not the user's network.
        if (IPAddress.IsLoopback(address))
        {
            return false;
        }

        foreach (var ignored in _ignored)
        {
            if (ignored.Contains(address))
            {
                return false;
            }
        }

        return ClientNetwork.TryFrom(address, out network);
    }

    private Watch Get(int mailboxId, DateTimeOffset now)
    {
        if (_mailboxes.TryGetValue(mailboxId, out var w))
        {
            return w;
        }

        w = _mailboxes.GetOrAdd(mailboxId, static _ => new Watch());
        if (_mailboxes.Count > _options.CompromiseMaxMailboxes)
        {
            Sweep(now, w);
        }

        return w;
    }

    /// <summary>
    /// Past the cap: forgets the least recently active mailboxes down to 90 % of it, so the sort runs
    /// once per tenth of the cap of new mailboxes, not for each. One thread sweeps; the others go on.
    /// </summary>
    private void Sweep(DateTimeOffset now, Watch keep)
    {
        if (!_sweep.TryEnter())
        {
            return;
        }

        try
        {
            var target = Math.Max(1, _options.CompromiseMaxMailboxes * 9 / 10);
            var excess = _mailboxes.Count - target;
            if (excess <= 0)
            {
                return;
            }

            var byActivity = new List<(long Activity, int Id)>(_mailboxes.Count);
            foreach (var (id, w) in _mailboxes)
            {
                if (!ReferenceEquals(w, keep))
                {
                    byActivity.Add((Volatile.Read(ref w.LastActivity), id));
                }
            }

            byActivity.Sort();
            for (var i = 0; i < excess && i < byActivity.Count; i++)
            {
                _mailboxes.TryRemove(byActivity[i].Id, out _);
            }
        }
        finally
        {
            _sweep.Exit();
        }
    }

    // Under w.Sync.
    private void Touch(Watch w, ClientNetwork network, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        w.LastActivity = ticks;
        var at = Find(w, network);
        if (at >= 0)
        {
            var n = w.Networks[at];
            w.Networks[at] = n with { Last = Math.Max(n.Last, ticks) };
            return;
        }

        // A network never seen counts as new only for a mailbox whose logins are known long enough.
        if (w.LoginsSince != 0 && ticks - w.LoginsSince >= _options.NewNetworkHistory.Ticks)
        {
            w.NewNetwork = network;
            w.NewNetworkAt = ticks;
        }

        if (w.LoginsSince == 0)
        {
            w.LoginsSince = ticks;
        }

        Add(w, new Seen(network, ticks, ticks), now);
    }

    private static int Find(Watch w, ClientNetwork network)
    {
        var networks = w.Networks;
        for (var i = 0; i < networks.Count; i++)
        {
            if (networks[i].Network == network)
            {
                return i;
            }
        }

        return -1;
    }

    // Under w.Sync: forgets networks not seen for NetworkMemory, then the least recently seen one if full.
    private void Add(Watch w, Seen seen, DateTimeOffset now)
    {
        var networks = w.Networks;
        var forgotten = (now - _options.NetworkMemory).UtcTicks;
        networks.RemoveAll(n => n.Last < forgotten);
        if (networks.Count >= _options.NetworksPerMailbox)
        {
            var oldest = 0;
            for (var i = 1; i < networks.Count; i++)
            {
                if (networks[i].Last < networks[oldest].Last)
                {
                    oldest = i;
                }
            }

            networks.RemoveAt(oldest);
        }

        networks.Add(seen);
    }

    private static (int Count, int Upstream, int Bounces) CountRefusals(Watch w, DateTimeOffset now)
    {
        if (w.Refusals is not { } refusals)
        {
            return (0, 0, 0);
        }

        var since = Math.Max((now - Hour).UtcTicks, w.CountSince);
        int upstream = 0, bounces = 0;
        foreach (var r in refusals)
        {
            if (r.Ticks >= since && r.Ticks <= now.UtcTicks)
            {
                if (r.Source == RefusalSource.Upstream)
                {
                    upstream++;
                }
                else
                {
                    bounces++;
                }
            }
        }

        return (upstream + bounces, upstream, bounces);
    }

    private static int CountNetworksLastDay(Watch w, DateTimeOffset now)
    {
        var since = Math.Max((now - Day).UtcTicks, w.CountSince);
        var count = 0;
        foreach (var n in w.Networks)
        {
            if (n.Last >= since)
            {
                count++;
            }
        }

        return count;
    }

    private static List<LoginNetworkView> NetworksLastDay(Watch w, DateTimeOffset now, int max)
    {
        var since = Math.Max((now - Day).UtcTicks, w.CountSince);
        var list = new List<LoginNetworkView>();
        foreach (var n in w.Networks)
        {
            if (n.Last >= since)
            {
                list.Add(new LoginNetworkView(n.Network.ToString(), new DateTimeOffset(n.First, TimeSpan.Zero), new DateTimeOffset(n.Last, TimeSpan.Zero)));
            }
        }

        list.Sort((a, b) => b.LastSeen.CompareTo(a.LastSeen));
        return list.Count > max ? list[..max] : list;
    }

    private static List<string> RecentSamples(Watch w)
    {
        var list = new List<string>(Samples);
        for (var i = 1; i <= Samples && w.Samples is { } samples; i++)
        {
            if (samples[(w.NextSample - i + Samples) % Samples] is { } s)
            {
                list.Add(s);
            }
        }

        return list;
    }

    private readonly record struct Refusal(int Hash, long Ticks, RefusalSource Source);

    private readonly record struct Seen(ClientNetwork Network, long First, long Last);

    private sealed class Watch
    {
        public readonly Lock Sync = new();
        public readonly List<Seen> Networks = new(2);
        // Made with the first refusal: most mailboxes only ever log in.
        public List<Refusal>? Refusals;
        public string?[]? Samples;
        public int NextSample;
        public long LastActivity;
        public long LoginsSince;
        public long CountSince;
        public string? LastAddress;
        public ClientNetwork? LastNetwork;
        public ClientNetwork NewNetwork;
        public long NewNetworkAt;
        public long HeldAt;
    }
}
