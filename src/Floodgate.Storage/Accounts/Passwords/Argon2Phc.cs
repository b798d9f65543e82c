using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// Argon2id and Argon2i as PHC strings (<c>$argon2id$v=19$m=KiB,t=passes,p=lanes$salt$hash</c>,
/// standard Base64 without padding), what Floodgate writes and what Dovecot's ARGON2ID/ARGON2I print.
/// </summary>
/// <remarks>
/// libsodium (through Geralt) computes Argon2id with one lane and a 16-byte salt, which is
/// Floodgate's default and every Dovecot hash: native code, its 19 MiB outside the managed heap, and
/// faster (bench/RESULTS.md, "Issue 13: password hashes"). It has no other lane counts and Geralt no
/// Argon2i, so those, and other salt lengths, run on Konscious.
/// </remarks>
internal static class Argon2Phc
{
    // Bounds on what a stored string may ask for: a corrupt or hostile row must not make one
    // verification allocate gigabytes or spin for minutes. 256 MiB is four times Dovecot's default
    // (64 MiB); m×t is capped at 1 GiB·pass, about half a second of a core through libsodium
    // and two through Konscious (bench/RESULTS.md: 38 MiB·pass takes 19–26 ms and 71–80 ms).
    public const int MaxMemoryKiB = 256 * 1024;
    public const int MaxIterations = 16;
    public const int MaxParallelism = 16;
    public const long MaxWorkKiB = 1024L * 1024;
    public const int MaxHashBytes = 128;
    public const int MinSaltBytes = 8;
    private const int SodiumSaltBytes = 16;

    public sealed record Parsed(bool Argon2id, int MemoryKiB, int Iterations, int Parallelism, byte[] Salt, byte[] Hash);

    public static bool TryParse(string? phc, out Parsed parsed, out string? error)
    {
        parsed = null!;
        error = "an Argon2 hash is $argon2id$v=19$m=KiB,t=passes,p=lanes$salt$hash (or $argon2i$), Base64 without padding";
        if (string.IsNullOrEmpty(phc) || phc.Length > 1024)
        {
            return false;
        }

        // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
        var parts = phc.Split('$');
        if (parts.Length != 6 || parts[0].Length != 0 || parts[1] is not ("argon2id" or "argon2i") || parts[2] != "v=19")
        {
            return false;
        }

        var costs = parts[3].Split(',');
        if (costs.Length != 3
            || !TryCost(costs[0], "m=", MaxMemoryKiB, out var m)
            || !TryCost(costs[1], "t=", MaxIterations, out var t)
            || !TryCost(costs[2], "p=", MaxParallelism, out var p)
            || m < 8 * p
            || (long)m * t > MaxWorkKiB)
        {
            error = $"Argon2 costs must be m ≤ {MaxMemoryKiB} KiB (at least 8 × p), t ≤ {MaxIterations}, p ≤ {MaxParallelism}, m × t ≤ {MaxWorkKiB}";
            return false;
        }

        if (!TryFromB64(parts[4], out var salt) || salt.Length < MinSaltBytes
            || !TryFromB64(parts[5], out var hash) || hash.Length is < 16 or > MaxHashBytes)
        {
            return false;
        }

        parsed = new Parsed(parts[1] == "argon2id", m, t, p, salt, hash);
        error = null;
        return true;
    }

    public static bool Verify(string password, string stored)
    {
        if (!TryParse(stored, out var p, out _))
        {
            return false;
        }

        var actual = Compute(p.Argon2id, password, p.Salt, p.MemoryKiB, p.Iterations, p.Parallelism, p.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(actual, p.Hash);
    }

    public static string Format(byte[] salt, byte[] hash, int memoryKiB, int iterations, int parallelism) =>
        string.Create(CultureInfo.InvariantCulture, $"$argon2id$v=19$m={memoryKiB},t={iterations},p={parallelism}${ToB64(salt)}${ToB64(hash)}");

    public static byte[] Compute(bool argon2id, string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            if (argon2id && parallelism == 1 && salt.Length == SodiumSaltBytes)
            {
                var output = new byte[length];
                Geralt.Argon2id.DeriveKey(output, bytes, salt, iterations, memoryKiB * 1024);
                return output;
            }

            using Argon2 argon = argon2id ? new Argon2id(bytes) : new Argon2i(bytes);
            argon.Salt = salt;
            argon.MemorySize = memoryKiB;
            argon.Iterations = iterations;
            argon.DegreeOfParallelism = parallelism;
            return argon.GetBytes(length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static bool TryCost(string text, string prefix, int max, out int value)
    {
        value = 0;
        return text.StartsWith(prefix, StringComparison.Ordinal)
            && text.Length - prefix.Length <= 10
            && int.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value)
            && value >= 1 && value <= max;
    }

    private static string ToB64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryFromB64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length > 1024 || text.Contains('=', StringComparison.Ordinal))
        {
            return false;
        }

        var padded = (text.Length % 4) switch
        {
            0 => text,
            2 => text + "==",
            3 => text + "=",
            _ => null,
        };
        if (padded is null)
        {
            return false;
        }

        var buffer = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, buffer, out var written))
        {
            return false;
        }

        bytes = buffer[..written];
        return true;
    }
}
