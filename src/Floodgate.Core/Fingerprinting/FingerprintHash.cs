using System.Runtime.CompilerServices;

namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// The 64-bit hashes behind a fingerprint. Fingerprints are stored in the hot state and the
/// transaction log, so none of these constants may change without a fingerprint version bump.
/// </summary>
internal static class FingerprintHash
{
    private const ulong FnvOffset = 0xCBF29CE484222325;
    private const ulong FnvPrime = 0x100000001B3;

    // Placeholders for tokens that differ per copy of a mass mailing.
    public static readonly ulong Number = Mix(0x4E554D4245520001);
    public static readonly ulong Random = Mix(0x52414E444F4D0002);
    public static readonly ulong Email = Mix(0x454D41494C000003);

    // Salts keep features of different kinds from colliding with text shingles.
    public const ulong SubjectSalt = 0x5355424A45435401;
    public const ulong ImageSalt = 0x494D414745000002;
    public const ulong LinkSalt = 0x4C494E4B00000003;
    public const ulong AttachmentSalt = 0x4154544143480004;
    public const ulong ExactSeed = 0x4558414354000005;

    // Payload keys: what a run must carry whatever its wording.
    public const ulong PayloadLinkSalt = 0x504C494E4B000006;
    public const ulong PayloadEmailSalt = 0x50454D4149000007;
    public const ulong PayloadPhoneSalt = 0x5050484F4E000008;
    public const ulong PayloadFileSalt = 0x5046494C45000009;

    /// <summary>murmur3's fmix64 finaliser: full avalanche in five operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCD;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53;
        h ^= h >> 33;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Combine(ulong seed, ulong value) =>
        Mix((ulong.RotateLeft(seed, 23) ^ value) * 0x9E3779B97F4A7C15);

    /// <summary>FNV-1a over lower-cased UTF-16 code units, then mixed; no string is built.</summary>
    public static ulong LowerWord(ReadOnlySpan<char> word)
    {
        ulong h = FnvOffset;
        for (int i = 0; i < word.Length; i++)
        {
            char c = word[i];
            if (TextNormalizer.IsIgnorable(c))
            {
                continue;
            }

            if (c is >= 'A' and <= 'Z')
            {
                c = (char)(c | 0x20);
            }
            else if (c > 0x7F)
            {
                c = char.ToLowerInvariant(c);
            }

            h = (h ^ c) * FnvPrime;
        }

        return Mix(h);
    }
}
