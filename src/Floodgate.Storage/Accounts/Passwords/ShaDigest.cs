using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// One SHA pass, as LDAP and Dovecot store it: SHA512/SHA256/SHA1/SHA are Base64 of the digest of
/// the password (or the digest in hex, which Dovecot also reads); SSHA512/SSHA256/SSHA are Base64
/// of the digest of password + salt, followed by the salt. Weak: a GPU tries billions a second.
/// </summary>
internal static class ShaDigest
{
    private const int MaxSaltBytes = 64;
    private const int MaxPasswordBytes = 4096;

    public static int DigestLength(HashAlgorithmName algorithm) =>
        algorithm == HashAlgorithmName.SHA512 ? 64 : algorithm == HashAlgorithmName.SHA256 ? 32 : 20;

    /// <summary>Decodes a stored digest (and salt): null error when well-formed. <paramref name="decoded"/> holds digest then salt.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, HashAlgorithmName algorithm, bool salted, Span<byte> decoded, out int length, out string? error)
    {
        var digestLength = DigestLength(algorithm);
        length = 0;
        if (!salted && text.Length == digestLength * 2 && Convert.FromHexString(text, decoded, out _, out length) == System.Buffers.OperationStatus.Done)
        {
            error = null;
            return true;
        }

        if (text.Length == 0 || text.Length > Base64.GetMaxEncodedToUtf8Length(digestLength + MaxSaltBytes)
            || !Convert.TryFromBase64Chars(text, decoded, out length))
        {
            error = "the hash is not Base64 (or hex) of the scheme's digest";
            return false;
        }

        if (salted ? length <= digestLength : length != digestLength)
        {
            error = salted
                ? $"the hash must be Base64 of a {digestLength}-byte digest followed by a salt"
                : $"the hash must be Base64 of a {digestLength}-byte digest";
            return false;
        }

        error = null;
        return true;
    }

    public static bool Verify(string password, ReadOnlySpan<char> stored, HashAlgorithmName algorithm, bool salted)
    {
        Span<byte> decoded = stackalloc byte[64 + MaxSaltBytes];
        if (!TryDecode(stored, algorithm, salted, decoded, out var length, out _) || Encoding.UTF8.GetByteCount(password) > MaxPasswordBytes)
        {
            return false;
        }

        var digestLength = DigestLength(algorithm);
        Span<byte> key = stackalloc byte[MaxPasswordBytes];
        key = key[..Encoding.UTF8.GetBytes(password, key)];
        using var h = IncrementalHash.CreateHash(algorithm);
        h.AppendData(key);
        if (salted)
        {
            h.AppendData(decoded[digestLength..length]);
        }

        Span<byte> actual = stackalloc byte[digestLength];
        h.GetHashAndReset(actual);
        CryptographicOperations.ZeroMemory(key);
        return CryptographicOperations.FixedTimeEquals(actual, decoded[..digestLength]);
    }
}
