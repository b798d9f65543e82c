using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Floodgate.Core.Blocklists;
using Floodgate.Doors.Blocklists;
using Microsoft.Extensions.Configuration;

namespace Floodgate.Commands;

/// <summary><c>floodgate blocklist check</c>: one round of DNS blocklist queries now, one line per address and zone.</summary>
internal static class BlocklistCommands
{
    /// <summary>Something is listed (whether or not other pairs could not be checked).</summary>
    public const int Listed = 5;

    /// <summary>Nothing is listed, but at least one pair could not be checked.</summary>
    public const int NotChecked = 6;

    private static readonly JsonSerializerOptions Json = new()
    {
        // The reason is a zone's TXT text, for programs and terminals, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="load">The <c>Blocklists</c> settings; null: read as serve reads them (appsettings.json, floodgate.json, FLOODGATE_*). Tests set it.</param>
    public static Command Create(CliOptions cli, Func<BlocklistOptions>? load = null)
    {
        var addresses = new Option<string[]>("--address") { Description = "An outbound IP address to check (repeatable); replaces Blocklists:Addresses and Blocklists:Domains", AllowMultipleArgumentsPerToken = false };
        var zones = new Option<string[]>("--zone") { Description = "A zone to check against (repeatable); replaces Blocklists:Zones. A well-known zone keeps its answer codes" };
        var resolver = new Option<string?>("--resolver") { Description = "The DNS resolver, IP:PORT; replaces Blocklists:Resolver" };
        // --json is the root's (recursive): one JSON object per line: address, zone, state (listed|clear|error), code, reason, delisting.
        var json = cli.Json;
        var check = new Command("check", $"Check the outbound addresses (and domains) against the blocklists now. Exit code: 0 all clear, {Listed} something listed, {NotChecked} nothing listed but something not checked (timeout, resolver error, an answer code that means refused), 2 bad input or settings")
        {
            addresses, zones, resolver,
        };
        check.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            BlocklistOptions options;
            try
            {
                options = load?.Invoke() ?? LoadOptions();
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or JsonException)
            {
                await error.WriteLineAsync("error: configuration: " + ex.Message);
                return 2;
            }

            options.ApplyDefaults();
            var problems = new List<string>();
            if (parseResult.GetValue(addresses) is { Length: > 0 } given)
            {
                foreach (var address in given)
                {
                    if (!BlocklistQuery.TryParseAddress(address, out _))
                        problems.Add($"--address: '{address}' is not an IPv4 or IPv6 address");
                }

                options.Addresses = [.. given];
                options.Domains = [];
            }

            if (parseResult.GetValue(zones) is { Length: > 0 } named)
            {
                var configured = options.Zones;
                options.Zones = [];
                foreach (var zone in named)
                {
                    if (!BlocklistQuery.TryNormalizeDomain(zone, out _))
                        problems.Add($"--zone: '{zone}' is not a DNS zone name");
                    else
                        options.Zones.Add(BlocklistZone.Named(zone, configured));
                }
            }

            if (parseResult.GetValue(resolver) is { } resolverText)
            {
                if (!BlocklistQuery.TryParseResolver(resolverText, out _))
                    problems.Add($"--resolver: '{resolverText}' is not IP:PORT (for example 127.0.0.1:53 or [::1]:53)");
                options.Resolver = resolverText;
            }

            if (problems.Count == 0)
                problems.AddRange(options.Validate());
            if (problems.Count == 0 && options.Addresses.Count + options.Domains.Count == 0)
                problems.Add("nothing to check: set Blocklists:Addresses (or Blocklists:Domains) or pass --address");
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                    await error.WriteLineAsync("error: " + problem);
                return 2;
            }

            var checker = new BlocklistChecker(BlocklistChecker.ResolverFor(options), options.Timeout, options.MaxConcurrency);
            var results = await checker.CheckAsync(options.Addresses, options.Domains, options.Zones, cancellationToken);
            var asJson = parseResult.GetValue(json);
            foreach (var r in results)
            {
                var state = r.State switch { BlocklistState.Listed => "listed", BlocklistState.Clear => "clear", _ => "error" };
                if (asJson)
                    await output.WriteLineAsync(JsonSerializer.Serialize(new CheckLine(r.Subject, r.Zone, state, r.Code, r.Reason, r.DelistingUrl), Json));
                else
                    await output.WriteLineAsync(string.Join("  ", new[] { r.Subject, r.Zone, state, r.Code, r.Reason, r.DelistingUrl }.Where(static part => part is not null)));
            }

            return ExitCode(results);
        });

        return new Command("blocklist", "DNS blocklists: is an outbound address or domain listed") { check };
    }

    public static int ExitCode(IReadOnlyList<BlocklistResult> results)
    {
        var notChecked = false;
        foreach (var r in results)
        {
            if (r.State == BlocklistState.Listed)
                return Listed;
            notChecked |= r.State == BlocklistState.Error;
        }

        return notChecked ? NotChecked : 0;
    }

    private static BlocklistOptions LoadOptions()
    {
        var options = new BlocklistOptions();
        Hosting.FloodgateConfiguration.Build().GetSection("Blocklists").Bind(options);
        return options;
    }

    private sealed record CheckLine(
        [property: JsonPropertyName("address")] string Address,
        [property: JsonPropertyName("zone")] string Zone,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("code")] string? Code,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("delisting")] string? Delisting);
}
