using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Threading;

namespace Floodgate.Core.Complaints;

/// <summary>What a <c>CFBL-Feedback-ID</c> value turned out to be.</summary>
public enum FeedbackIdCheck
{
    /// <summary>Ours, and its MAC verifies with the provider's key.</summary>
    Valid,

    /// <summary>Not in our format (another provider's, or garbage): it says nothing about our mailboxes.</summary>
    NotOurs,

    /// <summary>Our format, but the MAC does not verify: forged or altered, never evidence.</summary>
    BadSignature,
}

/// <summary>What a verified trace value names: the mailbox, when the message was relayed, and a per-node counter.</summary>
public readonly record struct FeedbackReference(int MailboxId, DateTimeOffset RelayedAt, int Sequence);

/// <summary>
/// The opaque, signed value of RFC 9477's <c>CFBL-Feedback-ID</c>: version, mailbox id, relay time
/// (Unix seconds), a 24-bit counter and a 96-bit truncated HMAC-SHA256 over those 12 octets, in
/// base64url (32 characters, all RFC 5322 atext). The mailbox's name is never in it; its id is
/// worthless without the console. A complaint names a mailbox only when the MAC verifies, so a
/// sender cannot blame another mailbox by writing the header itself. Allocation-free: a stack
/// buffer and HMACSHA256.HashData over spans.
/// </summary>
public sealed class FeedbackId
{
    public const int Length = 32;
    public const int MinKeyBytes = 32;
    private const byte Version = 1;
    private const int PayloadBytes = 12;
    private const int MacBytes = 12;
    private const int RawBytes = PayloadBytes + MacBytes;

    private readonly byte[] _key;
    private int _sequence;

    public FeedbackId(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinKeyBytes)
            throw new ArgumentException($"the trace header key needs at least {MinKeyBytes} bytes", nameof(key));
        _key = (byte[])key.Clone();
    }

    /// <summary>Writes the value (ASCII, <see cref="Length"/> bytes) for one relayed message.</summary>
    public void Write(int mailboxId, DateTimeOffset relayedAt, Span<byte> destination)
    {
        if (destination.Length < Length)
            throw new ArgumentException("too small for a feedback id", nameof(destination));
        Span<byte> raw = stackalloc byte[RawBytes];
        raw[0] = Version;
        BinaryPrimitives.WriteInt32BigEndian(raw[1..], mailboxId);
        BinaryPrimitives.WriteUInt32BigEndian(raw[5..], (uint)Math.Clamp(relayedAt.ToUnixTimeSeconds(), 0, uint.MaxValue));
        var sequence = Interlocked.Increment(ref _sequence) & 0xFFFFFF;
        raw[9] = (byte)(sequence >> 16);
        raw[10] = (byte)(sequence >> 8);
        raw[11] = (byte)sequence;
        Sign(raw[..PayloadBytes], raw[PayloadBytes..]);
        Base64Url.EncodeToUtf8(raw, destination, out _, out _);
    }

    public string Create(int mailboxId, DateTimeOffset relayedAt)
    {
        Span<byte> ascii = stackalloc byte[Length];
        Write(mailboxId, relayedAt, ascii);
        return System.Text.Encoding.ASCII.GetString(ascii);
    }

    /// <summary>Never throws: a value of any shape gets an answer. Surrounding white space (a folded header) is ignored.</summary>
    public FeedbackIdCheck Verify(ReadOnlySpan<char> value, out FeedbackReference reference)
    {
        reference = default;
        value = value.Trim();
        if (value.Length != Length)
            return FeedbackIdCheck.NotOurs;
        Span<byte> raw = stackalloc byte[RawBytes];
        if (Base64Url.DecodeFromChars(value, raw, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != Length || written != RawBytes || raw[0] != Version)
            return FeedbackIdCheck.NotOurs;
        Span<byte> mac = stackalloc byte[MacBytes];
        Sign(raw[..PayloadBytes], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, raw[PayloadBytes..]))
            return FeedbackIdCheck.BadSignature;
        reference = new FeedbackReference(
            BinaryPrimitives.ReadInt32BigEndian(raw[1..]),
            DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(raw[5..])),
            (raw[9] << 16) | (raw[10] << 8) | raw[11]);
        return FeedbackIdCheck.Valid;
    }

    private void Sign(ReadOnlySpan<byte> payload, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, payload, full);
        full[..mac.Length].CopyTo(mac);
    }
}
