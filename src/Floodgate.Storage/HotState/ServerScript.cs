using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Floodgate.Storage.HotState;

/// <summary>
/// A Lua script Redis keeps in its script cache, called by its SHA1 (EVALSHA). Called by text, the
/// client hashes the few kilobytes of the script on every call to find its SHA1: 12–14 µs of CPU
/// per call against 4–6 by hash (bench/RESULTS.md, "Issue 16, async doors"), and a message makes two.
/// <see cref="RedisHotState"/> loads every script before a node decides in Redis, after each
/// reconnect too (a restarted Redis has an empty cache).
/// </summary>
internal sealed class ServerScript
{
    public ServerScript(string text)
    {
        Text = text;
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
    }

    public string Text { get; }

    /// <summary>The SHA1 Redis knows the script by (SCRIPT LOAD gives the same).</summary>
    public byte[] Hash { get; }

    /// <summary>Redis has lost its script cache (SCRIPT FLUSH, or a restart this client missed).</summary>
    public static bool IsMissing(RedisServerException e) => e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);
}
