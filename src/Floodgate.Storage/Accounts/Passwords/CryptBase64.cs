namespace Floodgate.Storage.Accounts.Passwords;

/// <summary>
/// The crypt(3) alphabet (<c>./0-9A-Za-z</c>), least significant six bits first, as SHA-crypt and
/// MD5-crypt write their digests; not RFC 4648 Base64.
/// </summary>
internal static class CryptBase64
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static bool IsAlphabet(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (Alphabet.IndexOf(c, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes <paramref name="count"/> characters of the 24-bit group <c>b2 b1 b0</c>.</summary>
    public static int Write(Span<byte> output, int at, byte b2, byte b1, byte b0, int count)
    {
        var w = (b2 << 16) | (b1 << 8) | b0;
        for (var i = 0; i < count; i++)
        {
            output[at++] = (byte)Alphabet[w & 0x3f];
            w >>= 6;
        }

        return at;
    }
}
