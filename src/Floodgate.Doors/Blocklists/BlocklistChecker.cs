using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Floodgate.Core.Blocklists;

namespace Floodgate.Doors.Blocklists;

/// <summary>
/// One round of blocklist queries through one resolver: A for every address (or domain) in every
/// zone of its kind, and TXT for the reason when listed. Each query has its own timeout and no
/// retry, no cache: a round must say what the zone says now.
/// </summary>
public sealed class BlocklistChecker
{
    private readonly LookupClient _client;
    private readonly int _maxConcurrency;

    public BlocklistChecker(IPEndPoint resolver, TimeSpan timeout, int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        Resolver = resolver;
        _maxConcurrency = maxConcurrency;
        _client = new LookupClient(new LookupClientOptions(resolver)
        {
            UseCache = false,
            Timeout = timeout,
            Retries = 0,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseTcpFallback = true,
        });
    }

    public IPEndPoint Resolver { get; }

    /// <summary>
    /// The configured resolver, else the system's first (resolv.conf), else 127.0.0.1:53. Never a
    /// public fallback such as DnsClient's Google default: Spamhaus refuses those (127.255.255.254).
    /// </summary>
    public static IPEndPoint ResolverFor(BlocklistOptions options)
    {
        if (BlocklistQuery.TryParseResolver(options.Resolver, out var configured))
            return configured;
        try
        {
            var system = NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false);
            foreach (var server in system)
                return new IPEndPoint(IPAddress.Parse(server.Address), server.Port);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            // No readable resolver configuration: the local resolver is the sensible guess.
        }

        return new IPEndPoint(IPAddress.Loopback, 53);
    }

    /// <summary>Every address against every IP zone and every domain against every domain zone, in that order.</summary>
    public async Task<IReadOnlyList<BlocklistResult>> CheckAsync(IReadOnlyList<string> addresses, IReadOnlyList<string> domains, IReadOnlyList<BlocklistZone> zones, CancellationToken cancellationToken)
    {
        var pairs = new List<(string Subject, BlocklistZone Zone)>();
        foreach (var address in addresses)
        {
            foreach (var zone in zones)
            {
                if (zone.Kind == BlocklistZoneKind.Ip)
                    pairs.Add((address, zone));
            }
        }

        foreach (var domain in domains)
        {
            foreach (var zone in zones)
            {
                if (zone.Kind == BlocklistZoneKind.Domain)
                    pairs.Add((domain, zone));
            }
        }

        var results = new BlocklistResult[pairs.Count];
        using var gate = new SemaphoreSlim(_maxConcurrency);
        var tasks = new Task[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    results[index] = await CheckAsync(pairs[index].Subject, pairs[index].Zone, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }, cancellationToken);
        }

        await Task.WhenAll(tasks);
        return results;
    }

    public async Task<BlocklistResult> CheckAsync(string subject, BlocklistZone zone, CancellationToken cancellationToken)
    {
        if (!BlocklistQuery.TryBuildName(subject, zone, out var name, out var error))
            return new BlocklistResult(subject, zone.Name, BlocklistState.Error, null, "not checked: " + error, null);

        var (kind, addresses, failure) = await QueryAsync(name, cancellationToken);
        var result = BlocklistAnswer.Interpret(zone, subject, kind, addresses, failure);
        if (result.State != BlocklistState.Listed)
            return result;
        return result with { Reason = await ReasonAsync(name, cancellationToken) };
    }

    private async Task<(DnsReplyKind Kind, IReadOnlyList<IPAddress> Addresses, string? Failure)> QueryAsync(string name, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, QueryType.A, QueryClass.IN, cancellationToken);
        }
        catch (Exception ex) when (IsNetworkFailure(ex, cancellationToken))
        {
            return (DnsReplyKind.Failure, [], Describe(ex));
        }

        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
            return (DnsReplyKind.NxDomain, [], null);
        if (response.HasError || response.Header.ResponseCode != DnsHeaderResponseCode.NoError)
            return (DnsReplyKind.Failure, [], $"{Resolver} answered {response.Header.ResponseCode}");

        var addresses = new List<IPAddress>();
        foreach (var record in response.Answers.ARecords())
            addresses.Add(record.Address);
        return (DnsReplyKind.Answer, addresses, null);
    }

    /// <summary>The TXT record's text (the zone's reason, often with a lookup URL); null when there is none or it cannot be had.</summary>
    private async Task<string?> ReasonAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.QueryAsync(name, QueryType.TXT, QueryClass.IN, cancellationToken);
            if (response.HasError)
                return null;
            var parts = new List<string>();
            foreach (var record in response.Answers.TxtRecords())
                parts.Add(string.Concat(record.Text));
            return parts.Count == 0 ? null : string.Join(" ", parts);
        }
        catch (Exception ex) when (IsNetworkFailure(ex, cancellationToken))
        {
            return null;
        }
    }

    private static bool IsNetworkFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is DnsResponseException or SocketException or IOException or TimeoutException
        || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested;

    private string Describe(Exception ex) => ex switch
    {
        DnsResponseException { Code: DnsResponseCode.ConnectionTimeout } => $"no answer from {Resolver} within the timeout",
        OperationCanceledException or TimeoutException => $"no answer from {Resolver} within the timeout",
        DnsResponseException dns => $"{Resolver}: {dns.DnsError}",
        _ => $"{Resolver}: {ex.Message}",
    };
}
