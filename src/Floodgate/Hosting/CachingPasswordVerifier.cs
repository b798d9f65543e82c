using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;

namespace Floodgate.Hosting;

/// <summary>
/// Argon2id costs tens of milliseconds of a core by design; a mail client that reconnects for
/// every message would spend the machine on it. Successful checks are remembered for a few
/// minutes, keyed by an HMAC (with a key that lives only in this process) of the stored hash and
/// the password, so the cache holds nothing that reveals a password. A password change changes
/// the stored hash and so misses the cache.
/// </summary>
/// <remarks>
/// A miss runs the KDF (Argon2id, or an imported scheme: PasswordHasher.Verify dispatches on the
/// stored string) on the thread pool, never on the caller's thread: with inline socket completions
/// (ServeHost) the caller is a socket event thread, and 30 ms of hashing there would stall every
/// connection it serves. At most one hash per core runs at once, because each holds 19 MiB or more
/// (libsodium's, outside the managed heap; an import without that cap went past 17 GB; bench/RESULTS.md).
/// </remarks>
internal sealed class CachingPasswordVerifier(PasswordHasher hasher, TimeProvider time) : IPasswordVerifier
{
    private const int MaxEntries = 100_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _hashing = new(Environment.ProcessorCount, Environment.ProcessorCount);

    // Hashed lazily, once: the first AUTH of an unknown login pays it, not every CLI command's start.
    private readonly Lazy<string> _dummyHash = new(() => hasher.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

    /// <summary>A hash of the same cost as the stored ones, of a password nobody knows: an unknown login costs as much as a known one.</summary>
    public string DummyHash => _dummyHash.Value;

    public ValueTask<bool> VerifyAsync(string password, string storedHash, CancellationToken cancellationToken)
    {
        var key = CacheKey(password, storedHash);
        if (_recent.TryGetValue(key, out var expires) && expires > time.GetUtcNow())
        {
            return ValueTask.FromResult(true);
        }

        return new ValueTask<bool>(HashAsync(key, password, storedHash, cancellationToken));
    }

    private async Task<bool> HashAsync(string key, string password, string storedHash, CancellationToken cancellationToken)
    {
        await _hashing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var verified = await Task.Run(() => hasher.Verify(password, storedHash), cancellationToken).ConfigureAwait(false);
            if (!verified)
            {
                return false;
            }
        }
        finally
        {
            _hashing.Release();
        }

        if (_recent.Count >= MaxEntries)
        {
            _recent.Clear();
        }

        _recent[key] = time.GetUtcNow() + Lifetime;
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
