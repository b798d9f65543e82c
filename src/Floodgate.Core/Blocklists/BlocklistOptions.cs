using System.Net;

namespace Floodgate.Core.Blocklists;

/// <summary>What a zone lists: IP addresses (RFC 5782 2.1, 2.4) or domain names (RFC 5782 2.3).</summary>
public enum BlocklistZoneKind
{
    Ip,
    Domain,
}

/// <summary>One DNS blocklist zone and how to read its answers.</summary>
public sealed class BlocklistZone
{
    public string Name { get; set; } = "";

    public BlocklistZoneKind Kind { get; set; } = BlocklistZoneKind.Ip;

    /// <summary>
    /// A records that mean "your query was not answered" (refused, malformed, rate limited), not a
    /// listing: they are reported as state error.
    /// </summary>
    public List<string> ErrorCodes { get; set; } = [];

    /// <summary>Where a listing is looked up and delisting requested; <c>{query}</c> becomes the address or domain.</summary>
    public string? DelistingUrl { get; set; }

    /// <summary>The delisting page for one address or domain; null when the zone names none.</summary>
    public string? DelistingFor(string subject) =>
        DelistingUrl?.Replace("{query}", Uri.EscapeDataString(subject), StringComparison.Ordinal);

    // Spamhaus's public mirrors answer 127.255.255.252 (typing error in the zone name),
    // 127.255.255.254 (query through a public/open resolver) and 127.255.255.255 (excessive number of
    // queries): "Using our public mirrors? Check your return codes now"
    // (https://www.spamhaus.org/news/article/807/) and the Postfix guide
    // (https://docs.spamhaus.com/datasets/docs/source/40-real-world-usage/PublicMirrors/MTAs/020-Postfix.html).
    private static readonly string[] SpamhausErrors = ["127.255.255.252", "127.255.255.254", "127.255.255.255"];

    /// <summary>
    /// The zones checked when none are configured. Listing codes as the operators document them:
    /// ZEN 127.0.0.2–127.0.0.11 (SBL, CSS, XBL, PBL); SpamCop and Barracuda answer 127.0.0.2
    /// (https://www.spamcop.net/fom-serve/cache/291.html, https://www.barracudacentral.org/rbl/how-to-use);
    /// DBL 127.0.1.2–127.0.1.255, where 127.0.1.255 means "IP queries prohibited"
    /// (https://www.spamhaus.org/faqs/domain-blocklist/).
    /// </summary>
    public static IReadOnlyList<BlocklistZone> WellKnown() =>
    [
        new() { Name = "zen.spamhaus.org", Kind = BlocklistZoneKind.Ip, ErrorCodes = [.. SpamhausErrors], DelistingUrl = "https://check.spamhaus.org/results/?query={query}" },
        new() { Name = "bl.spamcop.net", Kind = BlocklistZoneKind.Ip, DelistingUrl = "https://www.spamcop.net/bl.shtml?{query}" },
        new() { Name = "b.barracudacentral.org", Kind = BlocklistZoneKind.Ip, DelistingUrl = "https://www.barracudacentral.org/rbl/removal-request" },
        new() { Name = "dbl.spamhaus.org", Kind = BlocklistZoneKind.Domain, ErrorCodes = ["127.0.1.255", .. SpamhausErrors], DelistingUrl = "https://check.spamhaus.org/results/?query={query}" },
    ];

    /// <summary>The settings of a zone named on the command line: a well-known zone's, or an IP zone with no error codes.</summary>
    public static BlocklistZone Named(string name, IEnumerable<BlocklistZone> configured)
    {
        var wanted = BlocklistQuery.NormalizeZone(name);
        foreach (var zone in configured)
        {
            if (string.Equals(BlocklistQuery.NormalizeZone(zone.Name), wanted, StringComparison.Ordinal))
                return zone;
        }

        foreach (var zone in WellKnown())
        {
            if (string.Equals(zone.Name, wanted, StringComparison.Ordinal))
                return zone;
        }

        return new BlocklistZone { Name = wanted };
    }
}

/// <summary>`Blocklists`: which of the provider's addresses and domains are checked, against which zones, through which resolver.</summary>
public sealed class BlocklistOptions
{
    /// <summary>The provider's outbound IP addresses (IPv4 or IPv6).</summary>
    public List<string> Addresses { get; set; } = [];

    /// <summary>The provider's sending domains, checked against domain zones.</summary>
    public List<string> Domains { get; set; } = [];

    /// <summary>Default (filled in by ApplyDefaults): <see cref="BlocklistZone.WellKnown"/>.</summary>
    public List<BlocklistZone> Zones { get; set; } = [];

    /// <summary>
    /// HOST:PORT (an IP address; port 53 when left out). Null: the system's first resolver, or
    /// 127.0.0.1:53. Spamhaus refuses queries through public resolvers (127.255.255.254), so a
    /// provider's own recursive resolver is the one to name.
    /// </summary>
    public string? Resolver { get; set; }

    /// <summary>How long one DNS query may take; then the pair is "not checked".</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Queries in flight at once: a round is addresses × zones queries and resolvers rate-limit.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// How often serve's watch runs a round. Zones update every few minutes at best, and their
    /// operators cut off clients that ask much more often (a round is addresses × zones queries).
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// A listing that comes back within this time of the last alert for its address (or domain) and
    /// zone is recorded, marked suppressed, and not alerted again: a flapping listing is one alert.
    /// Zero: every change is alerted.
    /// </summary>
    public TimeSpan AlertSuppression { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Whether serve watches at all: only when there is something of the provider's to check.</summary>
    public bool Watches => Addresses.Count + Domains.Count > 0;

    /// <summary>List settings get their defaults after binding (the binder appends to a list that already holds values).</summary>
    public void ApplyDefaults()
    {
        if (Zones.Count == 0)
            Zones.AddRange(BlocklistZone.WellKnown());
    }

    /// <summary>What is wrong with these settings, one line each, named as in the configuration.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        for (var i = 0; i < Addresses.Count; i++)
        {
            if (!BlocklistQuery.TryParseAddress(Addresses[i], out _))
                errors.Add($"Blocklists:Addresses:{i}: '{Addresses[i]}' is not an IPv4 or IPv6 address");
        }

        for (var i = 0; i < Domains.Count; i++)
        {
            if (!BlocklistQuery.TryNormalizeDomain(Domains[i], out _))
                errors.Add($"Blocklists:Domains:{i}: '{Domains[i]}' is not a domain name");
        }

        for (var i = 0; i < Zones.Count; i++)
        {
            var zone = Zones[i];
            if (!BlocklistQuery.TryNormalizeDomain(zone.Name, out _))
                errors.Add($"Blocklists:Zones:{i}:Name: '{zone.Name}' is not a DNS zone name");
            if (!Enum.IsDefined(zone.Kind))
                errors.Add($"Blocklists:Zones:{i}:Kind: must be ip or domain");
            for (var j = 0; j < zone.ErrorCodes.Count; j++)
            {
                if (!IPAddress.TryParse(zone.ErrorCodes[j], out var code) || !BlocklistAnswer.IsLoopbackV4(code))
                    errors.Add($"Blocklists:Zones:{i}:ErrorCodes:{j}: '{zone.ErrorCodes[j]}' is not an address in 127.0.0.0/8");
            }

            // On Unix "/delist" is an absolute file: URI; a delisting page is on the web.
            if (zone.DelistingUrl is not null && (!Uri.TryCreate(zone.DelistingUrl.Replace("{query}", "x", StringComparison.Ordinal), UriKind.Absolute, out var page) || page.Scheme is not ("https" or "http")))
                errors.Add($"Blocklists:Zones:{i}:DelistingUrl: '{zone.DelistingUrl}' is not an http(s) URL");
        }

        if (Resolver is not null && !BlocklistQuery.TryParseResolver(Resolver, out _))
            errors.Add($"Blocklists:Resolver: '{Resolver}' is not IP:PORT (for example 127.0.0.1:53 or [::1]:53)");

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(1))
            errors.Add("Blocklists:Timeout: must be positive and at most 00:01:00");

        if (MaxConcurrency is < 1 or > 256)
            errors.Add("Blocklists:MaxConcurrency: must be from 1 to 256");

        // A round must end before the next starts: each pair may take the whole timeout.
        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
            errors.Add("Blocklists:Interval: must be from 00:00:01 to 1.00:00:00 (the default is 00:15:00)");
        else if (Interval <= Timeout)
            errors.Add("Blocklists:Interval: must be longer than Blocklists:Timeout, or a round could still be waiting when the next is due");

        if (AlertSuppression < TimeSpan.Zero || AlertSuppression > TimeSpan.FromDays(30))
            errors.Add("Blocklists:AlertSuppression: must be from 00:00:00 (no suppression) to 30.00:00:00 (the default is 1.00:00:00)");

        return errors;
    }
}
