using System.Collections.Concurrent;

namespace Floodgate.Core.Transactions;

/// <summary>
/// Lower-case domain names shared by every transaction: mail goes to the same few thousand domains
/// again and again, so a name is a string once, and looking it up from a recipient's span allocates
/// nothing. Bounded: once full, a new name is a fresh string each time, never a larger table.
/// </summary>
internal static class DomainNames
{
    public const int MaxLength = 253;
    private const int MaxEntries = 16_384;
    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> BySpan = Names.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Get(ReadOnlySpan<char> domain)
    {
        Span<char> lower = stackalloc char[MaxLength];
        var n = domain.ToLowerInvariant(lower);
        var key = lower[..n];
        if (BySpan.TryGetValue(key, out var name))
        {
            return name;
        }

        name = new string(key);
        if (Names.Count < MaxEntries)
        {
            Names.TryAdd(name, name);
        }

        return name;
    }
}
