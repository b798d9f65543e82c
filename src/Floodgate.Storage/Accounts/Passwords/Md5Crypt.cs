using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// Poul-Henning Kamp's MD5-crypt (<c>$1$salt$digest</c>, 1000 fixed rounds, salt of at most 8
/// characters), Dovecot's MD5-CRYPT. Weak: accepted only behind the setting, upgraded at the next login.
/// </summary>
internal static class Md5Crypt
{
    private const int MaxSaltLength = 8;
    private const int DigestChars = 22;

    public static bool TryParse(ReadOnlySpan<char> text, out ReadOnlySpan<char> salt, out ReadOnlySpan<char> digest, out string? error)
    {
        salt = default;
        digest = default;
        if (!text.StartsWith("$1$"))
        {
            error = "an MD5-crypt hash starts with $1$";
            return false;
        }

        text = text[3..];
        var dollar = text.IndexOf('$');
        if (dollar < 0 || dollar > MaxSaltLength || text.Length - dollar - 1 != DigestChars || !CryptBase64.IsAlphabet(text[(dollar + 1)..]))
        {
            error = "an MD5-crypt hash is $1$, a salt of at most 8 characters, $ and 22 characters of ./0-9A-Za-z";
            return false;
        }

        salt = text[..dollar];
        digest = text[(dollar + 1)..];
        error = null;
        return true;
    }

    public static bool Verify(string password, ReadOnlySpan<char> stored)
    {
        if (!TryParse(stored, out var saltChars, out var digest, out _))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[DigestChars];
        Encoding.ASCII.GetBytes(digest, expected);
        Span<byte> salt = stackalloc byte[MaxSaltLength * 3];
        salt = salt[..Encoding.UTF8.GetBytes(saltChars, salt)];
        Span<byte> actual = stackalloc byte[DigestChars];
        Compute(password, salt, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static void Compute(string password, ReadOnlySpan<byte> salt, Span<byte> output)
    {
        var keyLength = Encoding.UTF8.GetByteCount(password);
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, keyLength));
        try
        {
            var key = rented.AsSpan(0, keyLength);
            Encoding.UTF8.GetBytes(password, key);
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            Span<byte> final = stackalloc byte[16];
            h.AppendData(key);
            h.AppendData(salt);
            h.AppendData(key);
            h.GetHashAndReset(final);

            h.AppendData(key);
            h.AppendData("$1$"u8);
            h.AppendData(salt);
            for (var n = keyLength; n > 0; n -= 16)
            {
                h.AppendData(final[..Math.Min(n, 16)]);
            }

            // The original's quirk, kept: a zero byte (the cleared digest) for each set bit, the key's first byte for each clear one.
            final.Clear();
            for (var n = keyLength; n > 0; n >>= 1)
            {
                h.AppendData((n & 1) != 0 ? final[..1] : key[..1]);
            }

            h.GetHashAndReset(final);
            for (var i = 0; i < 1000; i++)
            {
                if ((i & 1) != 0)
                {
                    h.AppendData(key);
                }
                else
                {
                    h.AppendData(final);
                }

                if (i % 3 != 0)
                {
                    h.AppendData(salt);
                }

                if (i % 7 != 0)
                {
                    h.AppendData(key);
                }

                if ((i & 1) != 0)
                {
                    h.AppendData(final);
                }
                else
                {
                    h.AppendData(key);
                }

                h.GetHashAndReset(final);
            }

            var at = CryptBase64.Write(output, 0, final[0], final[6], final[12], 4);
            at = CryptBase64.Write(output, at, final[1], final[7], final[13], 4);
            at = CryptBase64.Write(output, at, final[2], final[8], final[14], 4);
            at = CryptBase64.Write(output, at, final[3], final[9], final[15], 4);
            at = CryptBase64.Write(output, at, final[4], final[10], final[5], 4);
            CryptBase64.Write(output, at, 0, 0, final[11], 2);
            CryptographicOperations.ZeroMemory(key);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
