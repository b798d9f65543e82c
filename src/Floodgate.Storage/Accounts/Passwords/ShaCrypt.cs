using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512" (<c>$5$</c> and <c>$6$</c>), what
/// Dovecot calls SHA256-CRYPT and SHA512-CRYPT: <c>$6$[rounds=N$]salt$digest</c>, 5000 rounds
/// unless named, a salt of at most 16 characters, the digest in the crypt alphabet.
/// </summary>
internal static class ShaCrypt
{
    public const int DefaultRounds = 5000;

    // The spec's floor. Its ceiling (999,999,999) would be minutes of a core per login: a hostile
    // row is refused above a million (about a second of SHA-512 here), which no real system uses.
    public const int MinRounds = 1000;
    public const int MaxRounds = 1_000_000;

    private const int MaxSaltLength = 16;

    // Which digest bytes form each four-character group, from the spec's encoding step.
    private static readonly byte[] Sha512Order =
    [
        0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51,
        31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60,
        40, 61, 19, 62, 20, 41,
    ];

    private static readonly byte[] Sha256Order =
    [
        0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9, 19, 29,
    ];

    public readonly ref struct Parsed(bool sha512, int rounds, ReadOnlySpan<char> salt, ReadOnlySpan<char> digest)
    {
        public bool Sha512 { get; } = sha512;

        public int Rounds { get; } = rounds;

        public ReadOnlySpan<char> Salt { get; } = salt;

        public ReadOnlySpan<char> Digest { get; } = digest;
    }

    public static int DigestChars(bool sha512) => sha512 ? 86 : 43;

    /// <summary>Reads a stored <c>$5$</c>/<c>$6$</c> string; never throws.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Parsed parsed, out string? error)
    {
        parsed = default;
        bool sha512;
        if (text.StartsWith("$6$"))
        {
            sha512 = true;
        }
        else if (text.StartsWith("$5$"))
        {
            sha512 = false;
        }
        else
        {
            error = "a SHA-crypt hash starts with $5$ or $6$";
            return false;
        }

        text = text[3..];
        var rounds = DefaultRounds;
        if (text.StartsWith("rounds="))
        {
            var end = text.IndexOf('$');
            if (end < 0
                || !int.TryParse(text[7..end], NumberStyles.None, CultureInfo.InvariantCulture, out rounds)
                || rounds is < MinRounds or > MaxRounds)
            {
                error = $"SHA-crypt rounds must be {MinRounds} to {MaxRounds}";
                return false;
            }

            text = text[(end + 1)..];
        }

        var dollar = text.IndexOf('$');
        if (dollar < 0 || dollar > MaxSaltLength)
        {
            error = "a SHA-crypt salt is at most 16 characters, followed by $ and the digest";
            return false;
        }

        var digest = text[(dollar + 1)..];
        if (digest.Length != DigestChars(sha512) || !CryptBase64.IsAlphabet(digest))
        {
            error = $"a SHA-crypt digest is {DigestChars(sha512)} characters of ./0-9A-Za-z";
            return false;
        }

        parsed = new Parsed(sha512, rounds, text[..dollar], digest);
        error = null;
        return true;
    }

    public static bool Verify(string password, ReadOnlySpan<char> stored)
    {
        if (!TryParse(stored, out var p, out _))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[86];
        expected = expected[..p.Digest.Length];
        Encoding.ASCII.GetBytes(p.Digest, expected);
        Span<byte> actual = stackalloc byte[86];
        actual = actual[..p.Digest.Length];
        Span<byte> salt = stackalloc byte[MaxSaltLength * 3];
        salt = salt[..Encoding.UTF8.GetBytes(p.Salt, salt)];
        Compute(password, salt, p.Rounds, p.Sha512, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>crypt(3) for a <c>$5$</c>/<c>$6$</c> setting, as the spec's test vectors use it (rounds clamped, salt cut to 16).</summary>
    internal static string Crypt(string password, string setting)
    {
        var sha512 = setting.StartsWith("$6$", StringComparison.Ordinal);
        var rest = setting.AsSpan(3);
        var rounds = DefaultRounds;
        var named = false;
        if (rest.StartsWith("rounds="))
        {
            var end = rest.IndexOf('$');
            rounds = Math.Clamp(int.Parse(rest[7..end], NumberStyles.None, CultureInfo.InvariantCulture), MinRounds, MaxRounds);
            named = true;
            rest = rest[(end + 1)..];
        }

        var dollar = rest.IndexOf('$');
        var salt = (dollar < 0 ? rest : rest[..dollar]).ToString();
        if (salt.Length > MaxSaltLength)
        {
            salt = salt[..MaxSaltLength];
        }

        var output = new byte[DigestChars(sha512)];
        Compute(password, Encoding.UTF8.GetBytes(salt), rounds, sha512, output);
        var prefix = sha512 ? "$6$" : "$5$";
        var roundsPart = named ? string.Create(CultureInfo.InvariantCulture, $"rounds={rounds}$") : string.Empty;
        return prefix + roundsPart + salt + "$" + Encoding.ASCII.GetString(output);
    }

    /// <summary>The spec's algorithm, steps 1 to 22, writing the encoded digest into <paramref name="output"/>.</summary>
    private static void Compute(string password, ReadOnlySpan<byte> salt, int rounds, bool sha512, Span<byte> output)
    {
        var length = sha512 ? 64 : 32;
        var keyLength = Encoding.UTF8.GetByteCount(password);
        var rented = ArrayPool<byte>.Shared.Rent(keyLength * 2);
        try
        {
            var key = rented.AsSpan(0, keyLength);
            Encoding.UTF8.GetBytes(password, key);
            var p = rented.AsSpan(keyLength, keyLength);
            using var h = IncrementalHash.CreateHash(sha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
            Span<byte> b = stackalloc byte[length];
            Span<byte> c = stackalloc byte[length];
            Span<byte> s = stackalloc byte[salt.Length];

            // Digest B: key, salt, key.
            h.AppendData(key);
            h.AppendData(salt);
            h.AppendData(key);
            h.GetHashAndReset(b);

            // Digest A: key, salt, B for each byte of the key, then B or the key for each bit of its length.
            h.AppendData(key);
            h.AppendData(salt);
            int n;
            for (n = keyLength; n > length; n -= length)
            {
                h.AppendData(b);
            }

            h.AppendData(b[..n]);
            for (n = keyLength; n > 0; n >>= 1)
            {
                h.AppendData((n & 1) != 0 ? b : key);
            }

            h.GetHashAndReset(c);

            // P: the digest of the key repeated key-length times, stretched to the key's length.
            for (var i = 0; i < keyLength; i++)
            {
                h.AppendData(key);
            }

            h.GetHashAndReset(b);
            Stretch(b, p);

            // S: the digest of the salt repeated 16 + A[0] times, stretched to the salt's length.
            for (var i = 0; i < 16 + c[0]; i++)
            {
                h.AppendData(salt);
            }

            h.GetHashAndReset(b);
            Stretch(b, s);

            for (var r = 0; r < rounds; r++)
            {
                h.AppendData((r & 1) != 0 ? p : c);
                if (r % 3 != 0)
                {
                    h.AppendData(s);
                }

                if (r % 7 != 0)
                {
                    h.AppendData(p);
                }

                h.AppendData((r & 1) != 0 ? c : p);
                h.GetHashAndReset(c);
            }

            Encode(c, sha512, output);
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, keyLength * 2));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void Stretch(ReadOnlySpan<byte> digest, Span<byte> target)
    {
        for (var at = 0; at < target.Length; at += digest.Length)
        {
            var n = Math.Min(digest.Length, target.Length - at);
            digest[..n].CopyTo(target[at..]);
        }
    }

    private static void Encode(ReadOnlySpan<byte> c, bool sha512, Span<byte> output)
    {
        var order = sha512 ? Sha512Order : Sha256Order;
        var at = 0;
        for (var i = 0; i < order.Length; i += 3)
        {
            at = CryptBase64.Write(output, at, c[order[i]], c[order[i + 1]], c[order[i + 2]], 4);
        }

        if (sha512)
        {
            CryptBase64.Write(output, at, 0, 0, c[63], 2);
        }
        else
        {
            CryptBase64.Write(output, at, 0, c[31], c[30], 3);
        }
    }
}
