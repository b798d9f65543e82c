using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Floodgate.Core.Lists;

/// <summary>What a signed token lets its holder do; part of what is signed, so one purpose's token never serves another.</summary>
public enum TokenPurpose : byte
{
    Confirm = 1,
    Unsubscribe = 2,
    Reenable = 3,
    Bounce = 4,
}

public enum TokenCheck
{
    Valid,
    Malformed,
    Forged,
    Expired,
}

/// <summary>
/// Signed tokens for confirmation, unsubscribe, re-enable and VERP bounce addresses. A token is the
/// purpose, the member id and an expiry (Unix seconds, 0 for never), with an HMAC-SHA256 over them
/// cut to 80 bits, in lower-case base32: it must survive in an address's local part, which some MTAs
/// lower-case, and stay within RFC 5321's 64 characters next to the list's name (31 characters).
/// 80 bits is ample for a token that can only be tried online, one request at a time.
/// </summary>
public sealed class ListTokens
{
    public const int Length = 31;
    private const int PayloadBytes = 9;
    private const int MacBytes = 10;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private readonly byte[] _key;

    public ListTokens(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 16)
        {
            throw new ArgumentException("A list signing key needs at least 16 bytes.", nameof(key));
        }

        _key = key;
    }

    public string Create(TokenPurpose purpose, int memberId, DateTimeOffset? expires)
    {
        Span<byte> raw = stackalloc byte[PayloadBytes + MacBytes];
        raw[0] = (byte)purpose;
        BinaryPrimitives.WriteInt32BigEndian(raw[1..], memberId);
        BinaryPrimitives.WriteUInt32BigEndian(raw[5..], expires is { } e ? (uint)Math.Clamp(e.ToUnixTimeSeconds(), 1, uint.MaxValue) : 0);
        Sign(raw[..PayloadBytes], raw[PayloadBytes..]);
        return Encode(raw);
    }

    /// <summary>Checks a token from outside (a URL, an address); never throws on what it is given.</summary>
    public TokenCheck Verify(ReadOnlySpan<char> token, TokenPurpose purpose, DateTimeOffset now, out int memberId)
    {
        memberId = 0;
        Span<byte> raw = stackalloc byte[PayloadBytes + MacBytes];
        if (token.Length != Length || !TryDecode(token, raw))
        {
            return TokenCheck.Malformed;
        }

        Span<byte> mac = stackalloc byte[MacBytes];
        Sign(raw[..PayloadBytes], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, raw[PayloadBytes..]) || raw[0] != (byte)purpose)
        {
            return TokenCheck.Forged;
        }

        var expires = BinaryPrimitives.ReadUInt32BigEndian(raw[5..]);
        if (expires != 0 && now.ToUnixTimeSeconds() > expires)
        {
            return TokenCheck.Expired;
        }

        memberId = BinaryPrimitives.ReadInt32BigEndian(raw[1..]);
        return TokenCheck.Valid;
    }

    private void Sign(ReadOnlySpan<byte> payload, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(_key, payload, full);
        full[..MacBytes].CopyTo(mac);
    }

    private static string Encode(ReadOnlySpan<byte> raw)
    {
        Span<char> chars = stackalloc char[Length];
        int bits = 0, value = 0, o = 0;
        foreach (var b in raw)
        {
            value = (value << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[o++] = Alphabet[(value >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            chars[o++] = Alphabet[(value << (5 - bits)) & 31];
        }

        return new string(chars[..o]);
    }

    private static bool TryDecode(ReadOnlySpan<char> token, Span<byte> raw)
    {
        int bits = 0, value = 0, o = 0;
        foreach (var c in token)
        {
            int v = c switch
            {
                >= 'a' and <= 'z' => c - 'a',
                >= 'A' and <= 'Z' => c - 'A',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (v < 0)
            {
                return false;
            }

            value = (value << 5) | v;
            bits += 5;
            if (bits >= 8)
            {
                if (o == raw.Length)
                {
                    return false;
                }

                raw[o++] = (byte)(value >> (bits - 8));
                bits -= 8;
            }
        }

        // The last character carries three padding bits; they must be zero, so each token has one spelling.
        return o == raw.Length && (value & ((1 << bits) - 1)) == 0;
    }
}
