namespace Floodgate.Storage.Accounts;

/// <summary>A password hashing scheme Floodgate can verify, by Dovecot's name for it.</summary>
/// <param name="Name">Dovecot's scheme name, as in <c>{SHA512-CRYPT}</c>.</param>
/// <param name="Weak">Fast or unsalted enough that a leaked store falls to a GPU: accepted only behind a setting, and upgraded at the next good login.</param>
public sealed record PasswordScheme(string Name, bool Weak);

/// <summary>
/// The hashes a provider can bring from its own systems, in Dovecot's <c>{SCHEME}hash</c> form
/// (what <c>doveadm pw</c> prints and a passwd-file holds). Floodgate's own hashes are bare
/// Argon2id PHC strings (<c>$argon2id$...</c>); an imported hash is stored as given, its scheme
/// prefix kept, so verification knows which algorithm to run.
/// </summary>
public static class PasswordSchemes
{
    public const string DefaultScheme = "ARGON2ID";

    private static readonly Dictionary<string, PasswordScheme> Known = new PasswordScheme[]
    {
        new("ARGON2ID", Weak: false),
        new("ARGON2I", Weak: false),
        new("SHA512-CRYPT", Weak: false),
        new("SHA256-CRYPT", Weak: false),
        new("BLF-CRYPT", Weak: false),
        new("SSHA512", Weak: true),
        new("SSHA256", Weak: true),
        new("SSHA", Weak: true),
        new("SHA512", Weak: true),
        new("SHA256", Weak: true),
        new("SHA1", Weak: true),
        new("SHA", Weak: true),
        new("MD5-CRYPT", Weak: true),
    }.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    public static IReadOnlyCollection<PasswordScheme> All => Known.Values;

    /// <summary>
    /// Reads a hash brought from outside. <paramref name="stored"/> is what to keep in the mailbox's
    /// row: the scheme name upper-cased, the hash as given. A weak scheme is refused unless
    /// <paramref name="allowWeak"/>; a scheme not listed is refused with the list.
    /// </summary>
    public static bool TryRead(string? text, bool allowWeak, out string stored, out PasswordScheme? scheme, out string? error)
    {
        stored = string.Empty;
        scheme = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 512)
        {
            error = "a password hash must be 1 to 512 characters";
            return false;
        }

        text = text.Trim();
        if (text.StartsWith("$argon2id$", StringComparison.Ordinal) || text.StartsWith("$argon2i$", StringComparison.Ordinal))
        {
            // A bare PHC string, as Floodgate writes and as libsodium and most Argon2 tools print.
            text = (text.StartsWith("$argon2id$", StringComparison.Ordinal) ? "{ARGON2ID}" : "{ARGON2I}") + text;
        }

        var close = text.IndexOf('}', StringComparison.Ordinal);
        if (text[0] != '{' || close < 2 || close == text.Length - 1)
        {
            error = "a password hash must be in Dovecot's {SCHEME}hash form, as doveadm pw prints it";
            return false;
        }

        var name = text[1..close];
        var hash = text[(close + 1)..];

        // Dovecot's encoding suffixes on the digest schemes: .B64 is the default, .HEX is read into it.
        var dot = name.LastIndexOf('.');
        if (dot > 0 && Known.TryGetValue(name[..dot], out var digest) && IsDigestScheme(digest.Name))
        {
            var encoding = name[(dot + 1)..];
            if (encoding.Equals("HEX", StringComparison.OrdinalIgnoreCase) && hash.Length % 2 == 0 && hash.Length <= 512
                && hash.AsSpan().ContainsAnyExcept(HexDigits) is false)
            {
                hash = Convert.ToBase64String(Convert.FromHexString(hash));
                name = digest.Name;
            }
            else if (encoding.Equals("B64", StringComparison.OrdinalIgnoreCase))
            {
                name = digest.Name;
            }
        }

        if (!Known.TryGetValue(name, out scheme))
        {
            error = $"the password scheme {name} is not supported (supported: {string.Join(", ", Known.Keys)})";
            return false;
        }

        if (scheme.Weak && !allowWeak)
        {
            error = $"the password scheme {scheme.Name} is weak; set Accounts:AllowWeakPasswordSchemes to import it (it is upgraded at the next good login)";
            scheme = null;
            return false;
        }

        if (Passwords.StoredHash.FormatError(scheme.Name, hash) is { } malformed)
        {
            error = $"the {scheme.Name} hash is malformed: {malformed}";
            scheme = null;
            return false;
        }

        stored = "{" + scheme.Name + "}" + hash;
        error = null;
        return true;
    }

    private static bool IsDigestScheme(string name) => name is "SSHA512" or "SSHA256" or "SSHA" or "SHA512" or "SHA256" or "SHA1" or "SHA";

    /// <summary>What <see cref="Mailbox.ImportedHashDigest"/> holds for an imported hash in stored form; null for none.</summary>
    public static string? Digest(string? stored) =>
        stored is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stored)));

    /// <summary>The scheme of a stored hash: a bare <c>$argon2id$</c> string is Floodgate's own; <c>{NAME}</c> names the rest.</summary>
    public static PasswordScheme? Of(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return null;
        }

        if (stored.StartsWith("$argon2id$", StringComparison.Ordinal))
        {
            return Known[DefaultScheme];
        }

        var close = stored.IndexOf('}', StringComparison.Ordinal);
        return stored[0] == '{' && close > 1 && Known.TryGetValue(stored[1..close], out var scheme) ? scheme : null;
    }
}
