using System.Buffers;
using System.Buffers.Binary;

namespace Floodgate.Protocols.Milter;

/// <summary>One framed packet. <see cref="Data"/> points into the read buffer and is valid until it advances.</summary>
public readonly struct MilterPacket
{
    public MilterPacket(byte command, ReadOnlySequence<byte> data)
    {
        Command = command;
        Data = data;
    }

    /// <summary>The command byte; may be a byte no <see cref="MilterCommand"/> names.</summary>
    public byte Command { get; }

    public ReadOnlySequence<byte> Data { get; }
}

public enum MilterReadError : byte
{
    None,

    /// <summary>A length of 0: a packet without a command byte.</summary>
    EmptyPacket,

    /// <summary>A declared length above the limit; nothing of that size is allocated.</summary>
    PacketTooLarge,
}

/// <summary>Reads the milter framing: a 4-byte big-endian length covering the command byte and the data.</summary>
public static class MilterPacketReader
{
    /// <summary>Postfix sends body chunks of at most 64 KB (MILTER_CHUNK_SIZE); 1 MiB leaves room for big macro sets.</summary>
    public const int DefaultMaxDataSize = 1024 * 1024;

    /// <summary>
    /// Returns true and advances past one complete packet. Returns false without advancing when the
    /// packet is incomplete (error None) or when its header is invalid (error set: close the connection).
    /// </summary>
    public static bool TryRead(ref SequenceReader<byte> reader, out MilterPacket packet, out MilterReadError error) =>
        TryRead(ref reader, DefaultMaxDataSize, out packet, out error);

    public static bool TryRead(ref SequenceReader<byte> reader, int maxDataSize, out MilterPacket packet, out MilterReadError error)
    {
        packet = default;
        Span<byte> header = stackalloc byte[MilterProtocol.HeaderSize];
        if (!reader.TryCopyTo(header[..4]))
        {
            error = MilterReadError.None;
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0)
        {
            error = MilterReadError.EmptyPacket;
            return false;
        }

        if (length - 1 > (uint)maxDataSize)
        {
            error = MilterReadError.PacketTooLarge;
            return false;
        }

        error = MilterReadError.None;
        if (reader.Remaining < 4 + length)
        {
            return false;
        }

        reader.Advance(4);
        reader.TryRead(out var command);
        var data = reader.UnreadSequence.Slice(0, length - 1);
        reader.Advance(length - 1);
        packet = new MilterPacket(command, data);
        return true;
    }
}
