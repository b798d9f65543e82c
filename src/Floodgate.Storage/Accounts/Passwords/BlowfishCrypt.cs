using System.Security.Cryptography;
using System.Text;

namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// bcrypt (<c>$2y$</c>, <c>$2b$</c>, <c>$2a$</c>: cost, 22 characters of salt, 31 of digest),
/// Dovecot's BLF-CRYPT, through BCrypt.Net-Next.
/// </summary>
internal static class BlowfishCrypt
{
    // Dovecot's default cost is 5; 2^15 rounds is about two seconds of a core here, beyond what any
    // provider configures: a hostile row asking for cost 31 (days) is refused.
    public const int MaxCost = 15;
    private const int Length = 60;
    private const string Alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static bool TryParse(ReadOnlySpan<char> text, out int cost, out string? error)
    {
        cost = 0;
        if (text.Length != Length
            || text[0] != '$' || text[1] != '2' || text[2] is not ('a' or 'b' or 'y') || text[3] != '$'
            || !char.IsAsciiDigit(text[4]) || !char.IsAsciiDigit(text[5]) || text[6] != '$')
        {
            error = "a bcrypt hash is 60 characters: $2y$ (or $2b$, $2a$), two digits of cost, $, salt and digest";
            return false;
        }

        cost = ((text[4] - '0') * 10) + (text[5] - '0');
        if (cost is < 4 or > MaxCost)
        {
            error = $"a bcrypt cost must be 4 to {MaxCost}";
            return false;
        }

        foreach (var c in text[7..])
        {
            if (Alphabet.IndexOf(c, StringComparison.Ordinal) < 0)
            {
                error = "a bcrypt salt and digest are characters of ./A-Za-z0-9";
                return false;
            }
        }

        error = null;
        return true;
    }

    public static bool Verify(string password, string stored)
    {
        if (!TryParse(stored, out _, out _))
        {
            return false;
        }

        string actual;
        try
        {
            // The salt part (29 characters) carries the variant and cost; hashing with it gives the whole string to compare.
            actual = BCrypt.Net.BCrypt.HashPassword(password, stored[..29]);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }

        if (actual.Length != Length)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[Length];
        Span<byte> e = stackalloc byte[Length];
        Encoding.ASCII.GetBytes(actual, a);
        Encoding.ASCII.GetBytes(stored, e);
        return CryptographicOperations.FixedTimeEquals(a, e);
    }
}
