using System.Security.Cryptography;
using Floodgate.Storage.Accounts.Passwords;

namespace Floodgate.Storage.Accounts;

/// <summary>Argon2id cost settings. The defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane).</summary>
public sealed class PasswordHashOptions
{
    public int MemoryKiB { get; set; } = 19_456;

    public int Iterations { get; set; } = 2;

    public int Parallelism { get; set; } = 1;

    public int SaltBytes { get; set; } = 16;

    public int HashBytes { get; set; } = 32;
}

/// <summary>
/// Floodgate's own hashes are Argon2id PHC strings: <c>$argon2id$v=19$m=19456,t=2,p=1$&lt;salt&gt;$&lt;hash&gt;</c>
/// (standard Base64 without padding, as the PHC string format specifies). Verification reads the
/// cost from the stored string, so raising the cost never locks out existing mailboxes, and it also
/// verifies every imported scheme of <see cref="PasswordSchemes"/> (<c>{SHA512-CRYPT}$6$...</c>).
/// </summary>
public sealed class PasswordHasher
{
    private readonly PasswordHashOptions _options;

    public PasswordHasher(PasswordHashOptions? options = null)
    {
        _options = options ?? new PasswordHashOptions();
        if (_options.MemoryKiB < 8 * _options.Parallelism || _options.MemoryKiB > Argon2Phc.MaxMemoryKiB)
            throw new ArgumentOutOfRangeException(nameof(options), "MemoryKiB must be at least 8 × Parallelism and at most 256 MiB.");
        if (_options.Iterations is < 1 or > Argon2Phc.MaxIterations || (long)_options.MemoryKiB * _options.Iterations > Argon2Phc.MaxWorkKiB)
            throw new ArgumentOutOfRangeException(nameof(options), "Iterations must be 1..16, and MemoryKiB × Iterations at most 1 GiB.");
        if (_options.Parallelism is < 1 or > Argon2Phc.MaxParallelism)
            throw new ArgumentOutOfRangeException(nameof(options), "Parallelism must be 1..16.");
        if (_options.SaltBytes < Argon2Phc.MinSaltBytes || _options.HashBytes is < 16 or > Argon2Phc.MaxHashBytes)
            throw new ArgumentOutOfRangeException(nameof(options), "SaltBytes must be ≥ 8 and HashBytes 16..128.");
    }

    public PasswordHashOptions Options => _options;

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(_options.SaltBytes);
        var hash = Argon2Phc.Compute(argon2id: true, password, salt, _options.MemoryKiB, _options.Iterations, _options.Parallelism, _options.HashBytes);
        return Argon2Phc.Format(salt, hash, _options.MemoryKiB, _options.Iterations, _options.Parallelism);
    }

    /// <summary>
    /// True only if <paramref name="stored"/> is a well-formed hash of a supported scheme for this
    /// password; false, never an exception, for anything else.
    /// </summary>
    public bool Verify(string password, string? stored) => StoredHash.Verify(password, stored);

    /// <summary>
    /// True unless the stored hash is Floodgate's own Argon2id at no less than the current costs:
    /// every imported scheme (an imported Argon2id too, so the row takes Floodgate's form), a weaker
    /// cost, and anything malformed are rehashed at the next good login.
    /// </summary>
    public bool NeedsRehash(string? stored) =>
        stored is null
        || !stored.StartsWith("$argon2id$", StringComparison.Ordinal)
        || !Argon2Phc.TryParse(stored, out var p, out _)
        || p.MemoryKiB < _options.MemoryKiB
        || p.Iterations < _options.Iterations
        || p.Parallelism != _options.Parallelism
        || p.Hash.Length < _options.HashBytes;
}
