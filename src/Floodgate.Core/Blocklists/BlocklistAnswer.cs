using System.Net;
using System.Net.Sockets;

namespace Floodgate.Core.Blocklists;

/// <summary>listed, clear, or error: not checked (no answer, or an answer that is not a listing).</summary>
public enum BlocklistState
{
    // The watch stores these numbers (BlocklistStates, BlocklistHistory): never renumber them.
    Clear = 0,
    Listed = 1,
    Error = 2,
}

/// <summary>What the resolver said to the A query, before it is read as a zone's answer.</summary>
public enum DnsReplyKind
{
    /// <summary>NOERROR with these A records (possibly none).</summary>
    Answer,

    /// <summary>RCODE 3: the name does not exist, which is how a zone says "not listed" (RFC 5782 2.1).</summary>
    NxDomain,

    /// <summary>Timeout, SERVFAIL, REFUSED, a network error: nothing is known.</summary>
    Failure,
}

/// <summary>One address's (or domain's) state in one zone.</summary>
public sealed record BlocklistResult(string Subject, string Zone, BlocklistState State, string? Code, string? Reason, string? DelistingUrl);

/// <summary>Reads a zone's A answer as listed, clear or error.</summary>
public static class BlocklistAnswer
{
    /// <summary>
    /// NXDOMAIN is clear. A failure is error ("not checked"), never clear and never listed. Every A
    /// record must be in 127.0.0.0/8 (RFC 5782 2.1), must not be 127.0.0.0 or 127.0.0.1 (RFC 5782 5:
    /// never a listing), and must not be one of the zone's error codes (Spamhaus's 127.255.255.254 is
    /// "public resolver refused", which other tools reported as a listing); otherwise the whole answer
    /// is error. NOERROR without an A record is out of spec too: a listed name has an A record.
    /// </summary>
    public static BlocklistResult Interpret(BlocklistZone zone, string subject, DnsReplyKind kind, IReadOnlyList<IPAddress> addresses, string? failure = null)
    {
        switch (kind)
        {
            case DnsReplyKind.NxDomain:
                return new(subject, zone.Name, BlocklistState.Clear, null, null, null);
            case DnsReplyKind.Failure:
                return new(subject, zone.Name, BlocklistState.Error, null, "not checked: " + (failure ?? "no answer"), null);
        }

        if (addresses.Count == 0)
            return new(subject, zone.Name, BlocklistState.Error, null, "not checked: the answer holds no A record", null);

        string? first = null;
        foreach (var address in addresses)
        {
            var code = address.ToString();
            if (!IsLoopbackV4(address))
                return new(subject, zone.Name, BlocklistState.Error, code, $"not checked: answer {code} is outside 127.0.0.0/8 (out of spec; a wildcard or a hijacking resolver)", null);
            if (IsErrorCode(zone, address))
                return new(subject, zone.Name, BlocklistState.Error, code, $"not checked: {zone.Name} answered {code}, which means the query was refused, malformed or rate limited", null);
            var bytes = address.GetAddressBytes();
            if (bytes[1] == 0 && bytes[2] == 0 && bytes[3] is 0 or 1)
                return new(subject, zone.Name, BlocklistState.Error, code, $"not checked: answer {code} is never a listing (RFC 5782 5)", null);
            first ??= code;
        }

        return new(subject, zone.Name, BlocklistState.Listed, first, null, zone.DelistingFor(subject));
    }

    public static bool IsLoopbackV4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes()[0] == 127;

    private static bool IsErrorCode(BlocklistZone zone, IPAddress address)
    {
        foreach (var text in zone.ErrorCodes)
        {
            if (IPAddress.TryParse(text, out var code) && code.Equals(address))
                return true;
        }

        return false;
    }
}
