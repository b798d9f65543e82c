using Floodgate.Core.Blocklists;
using Floodgate.Storage.Blocklists;

namespace Floodgate.Web.Console.Blocklists;

/// <summary>
/// The provider's outbound addresses (and sending domains) on the DNS blocklists: a grid of subjects ×
/// zones with each pair's state, and the changes below, newest first. Read by every operator (the
/// console folder's policy); nothing here changes anything, so nothing is audited.
/// </summary>
public sealed class IndexModel(BlocklistStore store, BlocklistOptions options) : ConsolePage
{
    public const int HistorySize = 100;

    public BlocklistOptions Options => options;

    /// <summary>Configured subjects first, in their order; pairs of subjects no longer configured after them.</summary>
    public IReadOnlyList<string> Subjects { get; private set; } = [];

    public IReadOnlyList<string> Zones { get; private set; } = [];

    public IReadOnlyDictionary<(string Subject, string Zone), BlocklistStateView> Pairs { get; private set; } = new Dictionary<(string, string), BlocklistStateView>();

    public Storage.Page<BlocklistChangeView> History { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var states = await store.ListStatesAsync(cancellationToken);
        Pairs = states.ToDictionary(s => (s.Subject, s.Zone));
        var subjects = options.Addresses.Concat(options.Domains).Select(BlocklistQuery.NormalizeSubject).ToList();
        subjects.AddRange(states.Select(s => s.Subject).Where(s => !subjects.Contains(s, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal));
        Subjects = subjects.Distinct(StringComparer.Ordinal).ToList();
        var zones = options.Zones.Select(z => BlocklistQuery.NormalizeZone(z.Name)).ToList();
        zones.AddRange(states.Select(s => s.Zone).Where(z => !zones.Contains(z, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal));
        Zones = zones.Distinct(StringComparer.Ordinal).ToList();
        History = await store.ListHistoryAsync(null, null, HistorySize, cancellationToken);
    }

    /// <summary>Whether the zone is asked about the subject at all (an address in an IP zone, a domain in a domain zone).</summary>
    public bool Applies(string subject, string zone)
    {
        if (Pairs.ContainsKey((subject, zone)))
            return true;
        var kind = options.Zones.FirstOrDefault(z => BlocklistQuery.NormalizeZone(z.Name) == zone)?.Kind;
        return kind == (BlocklistQuery.TryParseAddress(subject, out _) ? BlocklistZoneKind.Ip : BlocklistZoneKind.Domain);
    }
}
