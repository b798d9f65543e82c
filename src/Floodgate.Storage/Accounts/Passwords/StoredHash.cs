using System.Security.Cryptography;

namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// One stored password hash, dispatched on its form: a bare <c>$argon2id$</c> string is Floodgate's
/// own; <c>{SCHEME}rest</c> is an imported one (<see cref="PasswordSchemes"/>). Every verifier
/// compares in constant time, answers false for anything malformed, and refuses costs beyond its
/// bounds before doing any work.
/// </summary>
internal static class StoredHash
{
    public const int MaxPasswordLength = 1024;

    public static bool Verify(string password, string? stored)
    {
        // An empty password never verifies, whatever a provider's old store holds (and Konscious refuses one).
        // SHA-crypt hashes the password length² bytes: 1024 characters (Floodgate sets at most 512) keeps
        // one check of a huge AUTH payload to milliseconds.
        if (string.IsNullOrEmpty(password) || password.Length > MaxPasswordLength || string.IsNullOrEmpty(stored) || stored.Length > 1024)
        {
            return false;
        }

        if (stored[0] == '$')
        {
            // Only Floodgate's own form is bare; an imported Argon2i keeps its {ARGON2I} prefix.
            return stored.StartsWith("$argon2id$", StringComparison.Ordinal) && Argon2Phc.Verify(password, stored);
        }

        var scheme = PasswordSchemes.Of(stored);
        if (scheme is null)
        {
            return false;
        }

        var rest = stored[(scheme.Name.Length + 2)..];
        try
        {
            return Verify(scheme.Name, password, rest);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // A native or platform failure on a hostile input is a refusal, never a crash of the login.
            return false;
        }
    }

    /// <summary>Why <paramref name="hash"/> is not a well-formed hash of <paramref name="scheme"/>, or null when it is.</summary>
    public static string? FormatError(string scheme, string hash)
    {
        Span<byte> buffer = stackalloc byte[128];
        string? error;
        var ok = scheme switch
        {
            "ARGON2ID" => Argon2Phc.TryParse(hash, out var a, out error) && (a.Argon2id || Fail("an ARGON2ID hash starts with $argon2id$", out error)),
            "ARGON2I" => Argon2Phc.TryParse(hash, out var a, out error) && (!a.Argon2id || Fail("an ARGON2I hash starts with $argon2i$", out error)),
            "SHA512-CRYPT" => ShaCrypt.TryParse(hash, out var s, out error) && (s.Sha512 || Fail("a SHA512-CRYPT hash starts with $6$", out error)),
            "SHA256-CRYPT" => ShaCrypt.TryParse(hash, out var s, out error) && (!s.Sha512 || Fail("a SHA256-CRYPT hash starts with $5$", out error)),
            "BLF-CRYPT" => BlowfishCrypt.TryParse(hash, out _, out error),
            "MD5-CRYPT" => Md5Crypt.TryParse(hash, out _, out _, out error),
            "SSHA512" => ShaDigest.TryDecode(hash, HashAlgorithmName.SHA512, salted: true, buffer, out _, out error),
            "SSHA256" => ShaDigest.TryDecode(hash, HashAlgorithmName.SHA256, salted: true, buffer, out _, out error),
            "SSHA" => ShaDigest.TryDecode(hash, HashAlgorithmName.SHA1, salted: true, buffer, out _, out error),
            "SHA512" => ShaDigest.TryDecode(hash, HashAlgorithmName.SHA512, salted: false, buffer, out _, out error),
            "SHA256" => ShaDigest.TryDecode(hash, HashAlgorithmName.SHA256, salted: false, buffer, out _, out error),
            "SHA1" or "SHA" => ShaDigest.TryDecode(hash, HashAlgorithmName.SHA1, salted: false, buffer, out _, out error),
            _ => Fail($"the password scheme {scheme} has no verifier", out error),
        };
        return ok ? null : error;
    }

    private static bool Verify(string scheme, string password, string hash) => scheme switch
    {
        "ARGON2ID" => hash.StartsWith("$argon2id$", StringComparison.Ordinal) && Argon2Phc.Verify(password, hash),
        "ARGON2I" => hash.StartsWith("$argon2i$", StringComparison.Ordinal) && Argon2Phc.Verify(password, hash),
        "SHA512-CRYPT" => hash.StartsWith("$6$", StringComparison.Ordinal) && ShaCrypt.Verify(password, hash),
        "SHA256-CRYPT" => hash.StartsWith("$5$", StringComparison.Ordinal) && ShaCrypt.Verify(password, hash),
        "BLF-CRYPT" => BlowfishCrypt.Verify(password, hash),
        "MD5-CRYPT" => Md5Crypt.Verify(password, hash),
        "SSHA512" => ShaDigest.Verify(password, hash, HashAlgorithmName.SHA512, salted: true),
        "SSHA256" => ShaDigest.Verify(password, hash, HashAlgorithmName.SHA256, salted: true),
        "SSHA" => ShaDigest.Verify(password, hash, HashAlgorithmName.SHA1, salted: true),
        "SHA512" => ShaDigest.Verify(password, hash, HashAlgorithmName.SHA512, salted: false),
        "SHA256" => ShaDigest.Verify(password, hash, HashAlgorithmName.SHA256, salted: false),
        "SHA1" or "SHA" => ShaDigest.Verify(password, hash, HashAlgorithmName.SHA1, salted: false),
        _ => false,
    };

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
