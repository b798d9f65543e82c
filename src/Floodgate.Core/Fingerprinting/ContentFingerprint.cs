namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// A fuzzy fingerprint of a message's content: <see cref="MinHash.Size"/> MinHash values over
/// word shingles of the normalised text, an exact hash of the normalised feature stream, and
/// whether the message had too little text to judge by text alone.
/// </summary>
public readonly struct ContentFingerprint : IEquatable<ContentFingerprint>
{
    private readonly uint[]? _values;

    internal ContentFingerprint(uint[] values, ulong exactHash, int featureCount, bool hasLittleText)
    {
        _values = values;
        ExactHash = exactHash;
        FeatureCount = featureCount;
        HasLittleText = hasLittleText;
    }

    /// <summary>The number of MinHash values every fingerprint carries.</summary>
    public static int Size => MinHash.Size;

    /// <summary>The MinHash values; empty for <c>default</c>.</summary>
    public ReadOnlySpan<uint> Values => _values;

    /// <summary>A hash of the whole normalised feature stream, in order: equal means identical content.</summary>
    public ulong ExactHash { get; }

    /// <summary>How many features (shingles, subject, structure) went into the MinHash values.</summary>
    public int FeatureCount { get; }

    /// <summary>
    /// Too little text to judge by (an image-only message, say): the structure of the message (image
    /// parts, link hosts and paths) was added to the features.
    /// </summary>
    public bool HasLittleText { get; }

    public bool IsDefault => _values is null;

    /// <summary>Rebuilds a stored fingerprint; <paramref name="values"/> must hold <see cref="Size"/> values.</summary>
    public static ContentFingerprint FromStored(ReadOnlySpan<uint> values, ulong exactHash, int featureCount, bool hasLittleText)
    {
        if (values.Length != MinHash.Size)
        {
            throw new ArgumentException($"A fingerprint holds {MinHash.Size} values.", nameof(values));
        }

        return new ContentFingerprint(values.ToArray(), exactHash, featureCount, hasLittleText);
    }

    /// <summary>The fingerprint as bytes for the transaction log: a version, the flags, the counts, the values (little-endian).</summary>
    public byte[] ToBytes()
    {
        var values = Values;
        var bytes = new byte[StoredHeader + values.Length * 4];
        bytes[0] = StoredVersion;
        bytes[1] = HasLittleText ? (byte)1 : (byte)0;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), FeatureCount);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(6), ExactHash);
        for (var i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(StoredHeader + i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>Reads <see cref="ToBytes"/>; false for anything else (another version or size).</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out ContentFingerprint fingerprint)
    {
        fingerprint = default;
        if (bytes.Length != StoredHeader + MinHash.Size * 4 || bytes[0] != StoredVersion)
        {
            return false;
        }

        var values = new uint[MinHash.Size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[(StoredHeader + i * 4)..]);
        }

        fingerprint = new ContentFingerprint(values,
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[6..]),
            System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes[2..]),
            bytes[1] == 1);
        return true;
    }

    private const byte StoredVersion = 1;
    private const int StoredHeader = 14;

    /// <summary>
    /// The estimated Jaccard similarity of the two feature sets, 0 to 1; exactly 1 when the normalised
    /// content is identical, and 0 when either side is <c>default</c> or has no features.
    /// </summary>
    public double Similarity(in ContentFingerprint other)
    {
        if (_values is null || other._values is null)
        {
            return 0;
        }

        if (ExactHash == other.ExactHash)
        {
            return 1;
        }

        if (FeatureCount == 0 || other.FeatureCount == 0)
        {
            return 0;
        }

        return MinHash.CountEqual(_values, other._values) / (double)MinHash.Size;
    }

    public bool Equals(ContentFingerprint other) =>
        ExactHash == other.ExactHash && FeatureCount == other.FeatureCount && HasLittleText == other.HasLittleText &&
        Values.SequenceEqual(other.Values);

    public override bool Equals(object? obj) => obj is ContentFingerprint other && Equals(other);

    public override int GetHashCode() => ExactHash.GetHashCode();

    public static bool operator ==(ContentFingerprint left, ContentFingerprint right) => left.Equals(right);

    public static bool operator !=(ContentFingerprint left, ContentFingerprint right) => !left.Equals(right);
}
