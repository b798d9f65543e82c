using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Floodgate.Gateway;
using Floodgate.Storage.Accounts;

namespace Floodgate.Hosting;

/// <summary>
/// Argon2id costs tens of milliseconds of a core by design; a mail client that reconnects for
/// every message would spend the machine on it. Successful checks are remembered for a few
/// minutes, keyed by an HMAC (with a key that lives only in this process) of the stored hash and
/// the password, so the cache holds nothing that reveals a password. A password change changes
/// the stored hash and so misses the cache.
/// </summary>
internal sealed class CachingPasswordVerifier(PasswordHasher hasher) : IPasswordVerifier
{
    private const int MaxEntries = 100_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);

    public bool Verify(string password, string storedHash)
    {
        var key = CacheKey(password, storedHash);
        var now = DateTimeOffset.UtcNow;
        if (_recent.TryGetValue(key, out var expires) && expires > now)
        {
            return true;
        }

        if (!hasher.Verify(password, storedHash))
        {
            return false;
        }

        if (_recent.Count >= MaxEntries)
        {
            _recent.Clear();
        }

        _recent[key] = now + Lifetime;
        return true;
    }

    private string CacheKey(string password, string storedHash)
    {
        var input = Encoding.UTF8.GetBytes(storedHash + "\0" + password);
        try
        {
            return Convert.ToBase64String(HMACSHA256.HashData(_key, input));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }
}
