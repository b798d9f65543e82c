using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

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
/// Argon2id password hashes as PHC strings: <c>$argon2id$v=19$m=19456,t=2,p=1$&lt;salt&gt;$&lt;hash&gt;</c>
/// (standard Base64 without padding, as the PHC string format specifies). Verification reads the
/// cost from the stored string, so raising the cost never locks out existing mailboxes.
/// </summary>
public sealed class PasswordHasher
{
    // Bounds on what a stored string may ask for: a corrupt or hostile row must not make one
    // verification allocate gigabytes or spin for minutes.
    private const int MaxMemoryKiB = 1024 * 1024;
    private const int MaxIterations = 64;
    private const int MaxParallelism = 64;
    private const int MaxHashBytes = 128;

    private readonly PasswordHashOptions _options;

    public PasswordHasher(PasswordHashOptions? options = null)
    {
        _options = options ?? new PasswordHashOptions();
        if (_options.MemoryKiB < 8 * _options.Parallelism || _options.MemoryKiB > MaxMemoryKiB)
            throw new ArgumentOutOfRangeException(nameof(options), "MemoryKiB must be at least 8 × Parallelism and at most 1 GiB.");
        if (_options.Iterations is < 1 or > MaxIterations)
            throw new ArgumentOutOfRangeException(nameof(options), "Iterations must be 1..64.");
        if (_options.Parallelism is < 1 or > MaxParallelism)
            throw new ArgumentOutOfRangeException(nameof(options), "Parallelism must be 1..64.");
        if (_options.SaltBytes < 8 || _options.HashBytes is < 16 or > MaxHashBytes)
            throw new ArgumentOutOfRangeException(nameof(options), "SaltBytes must be ≥ 8 and HashBytes 16..128.");
    }

    public PasswordHashOptions Options => _options;

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(_options.SaltBytes);
        var hash = Compute(password, salt, _options.MemoryKiB, _options.Iterations, _options.Parallelism, _options.HashBytes);
        return string.Create(CultureInfo.InvariantCulture,
            $"$argon2id$v=19$m={_options.MemoryKiB},t={_options.Iterations},p={_options.Parallelism}${ToB64(salt)}${ToB64(hash)}");
    }

    /// <summary>True only if <paramref name="stored"/> is a well-formed Argon2id PHC string for this password.</summary>
    public bool Verify(string password, string? stored)
    {
        if (password is null || !TryParse(stored, out var p))
            return false;
        var actual = Compute(password, p.Salt, p.MemoryKiB, p.Iterations, p.Parallelism, p.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(actual, p.Hash);
    }

    /// <summary>True when the stored hash is malformed or weaker than the current options: rehash at next login.</summary>
    public bool NeedsRehash(string? stored) =>
        !TryParse(stored, out var p)
        || p.MemoryKiB < _options.MemoryKiB
        || p.Iterations < _options.Iterations
        || p.Parallelism != _options.Parallelism
        || p.Hash.Length < _options.HashBytes;

    private static byte[] Compute(string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            using var argon = new Argon2id(bytes)
            {
                Salt = salt,
                MemorySize = memoryKiB,
                Iterations = iterations,
                DegreeOfParallelism = parallelism,
            };
            return argon.GetBytes(length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private readonly record struct Parsed(int MemoryKiB, int Iterations, int Parallelism, byte[] Salt, byte[] Hash);

    private static bool TryParse(string? phc, out Parsed parsed)
    {
        parsed = default;
        if (string.IsNullOrEmpty(phc) || phc.Length > 1024)
            return false;
        // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
        var parts = phc.Split('$');
        if (parts.Length != 6 || parts[0].Length != 0 || parts[1] != "argon2id" || parts[2] != "v=19")
            return false;
        var costs = parts[3].Split(',');
        if (costs.Length != 3
            || !TryCost(costs[0], "m=", MaxMemoryKiB, out var m)
            || !TryCost(costs[1], "t=", MaxIterations, out var t)
            || !TryCost(costs[2], "p=", MaxParallelism, out var p)
            || m < 8 * p)
            return false;
        if (!TryFromB64(parts[4], out var salt) || salt.Length < 8
            || !TryFromB64(parts[5], out var hash) || hash.Length is < 16 or > MaxHashBytes)
            return false;
        parsed = new Parsed(m, t, p, salt, hash);
        return true;
    }

    private static bool TryCost(string text, string prefix, int max, out int value)
    {
        value = 0;
        return text.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value)
            && value >= 1 && value <= max;
    }

    private static string ToB64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryFromB64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Contains('='))
            return false;
        var padded = (text.Length % 4) switch
        {
            0 => text,
            2 => text + "==",
            3 => text + "=",
            _ => null,
        };
        if (padded is null || !Base64.IsValid(padded))
            return false;
        bytes = Convert.FromBase64String(padded);
        return true;
    }
}
