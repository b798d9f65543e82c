using System.Buffers.Binary;

namespace Floodgate.Core.Fingerprinting;

/// <summary>What a payload key of a <see cref="ContentFingerprint"/> names.</summary>
public enum PayloadKind : byte
{
    None,

    /// <summary>The registrable domain of a link or an image.</summary>
    LinkDomain,

    /// <summary>An e-mail address in the text, a mailto: link or Reply-To.</summary>
    Address,

    /// <summary>A phone number (its last nine digits).</summary>
    Phone,

    /// <summary>The bytes of an attachment or an image part.</summary>
    Attachment,
}

/// <summary>
/// A fuzzy fingerprint of a message's content, of the text a reader sees: <see cref="MinHash.Size"/>
/// MinHash values over word shingles of the normalised text (resemblance of whole messages), anchors
/// (a content-chosen sample of the shingles: how much of one message another contains, whatever filler
/// surrounds it), the payload (link domains, addresses, phone numbers, attachments), the number of
/// hidden words, an exact hash of the normalised feature stream, and whether the message had too little
/// text to judge by text alone.
/// </summary>
public readonly struct ContentFingerprint : IEquatable<ContentFingerprint>
{
    /// <summary>
    /// Anchors kept per message: the smallest, so two messages keep the same ones of a shared text. 256
    /// cover about 1,000 shingles whole; beyond, a shared text keeps 256 / (anchors of the larger) of its own.
    /// </summary>
    public const int MaxAnchors = 256;

    /// <summary>
    /// Payload keys kept per message, the first distinct ones: enough that a run cannot push its real
    /// link out with a handful of decoy domains before it (each decoy a new domain per copy).
    /// </summary>
    public const int MaxPayload = 32;

    private readonly uint[]? _values;
    private readonly uint[]? _anchors;
    private readonly ulong[]? _payload;
    private readonly ulong[]? _payloadDomains;

    internal ContentFingerprint(uint[] values, ulong exactHash, int featureCount, bool hasLittleText,
        uint[]? anchors = null, ulong[]? payload = null, ulong[]? payloadDomains = null, int hiddenWords = 0, bool listMail = false, string? subject = null)
    {
        Subject = subject;
        IsListMail = listMail;
        _values = values;
        ExactHash = exactHash;
        FeatureCount = featureCount;
        HasLittleText = hasLittleText;
        _anchors = anchors;
        _payload = payload;
        _payloadDomains = payloadDomains;
        HiddenWords = hiddenWords;
    }

    /// <summary>Sorted, distinct anchors; empty for a short text (and for fingerprints stored before anchors existed).</summary>
    public ReadOnlySpan<uint> Anchors => _anchors;

    /// <summary>Payload keys: equal keys name the same link domain, address, phone number or attachment.</summary>
    public ReadOnlySpan<ulong> Payload => _payload;

    /// <summary>Per payload key, the hash of the registrable domain it names (0 for phone numbers and attachments).</summary>
    public ReadOnlySpan<ulong> PayloadDomains => _payloadDomains;

    /// <summary>The hash <see cref="PayloadDomains"/> holds for a domain: that of its registrable domain.</summary>
    public static ulong DomainHash(string domain) => FingerprintHash.LowerWord(PublicSuffixList.Shared.RegistrableDomain(domain));

    /// <summary>What a payload key names (its top byte).</summary>
    public static PayloadKind KindOf(ulong payloadKey) => (PayloadKind)(payloadKey >> 56);

    /// <summary>A payload key: the kind in the top byte, the value's hash below.</summary>
    internal static ulong PayloadKey(PayloadKind kind, ulong hash) => (hash & 0x00FF_FFFF_FFFF_FFFF) | ((ulong)kind << 56);

    /// <summary>
    /// The message says it is a mailing with an opt-out: a List-Unsubscribe header (RFC 2369, RFC 8058),
    /// which the provider's policy asks of every mailing. Anyone can add one: the detector believes it
    /// only for recipients the mailbox has written to before.
    /// </summary>
    public bool IsListMail { get; }

    /// <summary>
    /// The subject as a person reads it (decoded, whitespace collapsed, at most <see cref="MaxSubjectLength"/>
    /// characters), for the evidence an operator and the client see; not part of the fingerprint's bytes
    /// or of its equality. Null when the message has none.
    /// </summary>
    public string? Subject { get; }

    public const int MaxSubjectLength = 120;

    /// <summary>The subject text <see cref="Subject"/> keeps: one string, bounded, whatever the header's length.</summary>
    public static string? SubjectText(ReadOnlySpan<char> subject)
    {
        subject = subject.Trim();
        if (subject.IsEmpty)
        {
            return null;
        }

        Span<char> buffer = stackalloc char[MaxSubjectLength];
        int n = 0;
        bool space = false;
        foreach (var c in subject)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = n > 0;
                continue;
            }

            if (space)
            {
                if (n == buffer.Length)
                {
                    break;
                }

                buffer[n++] = ' ';
                space = false;
            }

            if (n == buffer.Length)
            {
                break;
            }

            buffer[n++] = c;
        }

        return new string(buffer[..n]);
    }

    /// <summary>Words of text a reader does not see: hidden by CSS, coloured like the background, tiny, off-screen.</summary>
    public int HiddenWords { get; }

    /// <summary>
    /// The same fingerprint without its anchors: the detector keeps anchors only for messages near the
    /// cap, the only ones containment is judged between.
    /// </summary>
    public ContentFingerprint WithoutAnchors() =>
        _anchors is null || _anchors.Length == 0 ? this : new ContentFingerprint(_values!, ExactHash, FeatureCount, HasLittleText, null, _payload, _payloadDomains, HiddenWords, IsListMail, Subject);

    /// <summary>Anchors both messages have: each stands for about four shingles of identical text.</summary>
    public int SharedAnchors(in ContentFingerprint other)
    {
        ReadOnlySpan<uint> a = _anchors, b = other._anchors;
        int i = 0, j = 0, shared = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                shared++;
                i++;
                j++;
            }
            else if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return shared;
    }

    /// <summary>The first payload key both messages carry whose domain is not in <paramref name="ownDomains"/>; 0 for none.</summary>
    public ulong SharedPayload(in ContentFingerprint other, ReadOnlySpan<ulong> ownDomains)
    {
        ReadOnlySpan<ulong> mine = _payload, domains = _payloadDomains, theirs = other._payload;
        for (int i = 0; i < mine.Length; i++)
        {
            if (theirs.Contains(mine[i]) && (domains[i] == 0 || !ownDomains.Contains(domains[i])))
            {
                return mine[i];
            }
        }

        return 0;
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

    /// <summary>
    /// The fingerprint as bytes for the transaction log: a version, the flags, the counts, the MinHash
    /// values, the anchors and the payload (little-endian).
    /// </summary>
    public byte[] ToBytes()
    {
        ReadOnlySpan<uint> values = Values, anchors = Anchors;
        ReadOnlySpan<ulong> payload = Payload, domains = PayloadDomains;
        var bytes = new byte[StoredHeader + values.Length * 4 + anchors.Length * 4 + payload.Length * 16];
        var span = bytes.AsSpan();
        span[0] = StoredVersion;
        span[1] = (byte)((HasLittleText ? 1 : 0) | (IsListMail ? 2 : 0));
        BinaryPrimitives.WriteInt32LittleEndian(span[2..], FeatureCount);
        BinaryPrimitives.WriteUInt64LittleEndian(span[6..], ExactHash);
        BinaryPrimitives.WriteInt32LittleEndian(span[14..], HiddenWords);
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], (ushort)anchors.Length);
        span[20] = (byte)payload.Length;
        int at = StoredHeader;
        foreach (var v in values)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[at..], v);
            at += 4;
        }

        foreach (var a in anchors)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[at..], a);
            at += 4;
        }

        for (int i = 0; i < payload.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], payload[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 8)..], domains[i]);
            at += 16;
        }

        return bytes;
    }

    /// <summary>Reads <see cref="ToBytes"/>, and the first version (MinHash values only); false for anything else.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out ContentFingerprint fingerprint)
    {
        fingerprint = default;
        int header;
        int anchorCount = 0, payloadCount = 0, hidden = 0;
        if (bytes.Length == FirstHeader + MinHash.Size * 4 && bytes[0] == FirstVersion)
        {
            header = FirstHeader;
        }
        else if (bytes.Length >= StoredHeader + MinHash.Size * 4 && bytes[0] == StoredVersion)
        {
            header = StoredHeader;
            hidden = BinaryPrimitives.ReadInt32LittleEndian(bytes[14..]);
            anchorCount = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
            payloadCount = bytes[20];
            if (anchorCount > MaxAnchors || payloadCount > MaxPayload || hidden < 0 ||
                bytes.Length != StoredHeader + MinHash.Size * 4 + anchorCount * 4 + payloadCount * 16)
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        var values = new uint[MinHash.Size];
        int at = header;
        for (var i = 0; i < values.Length; i++, at += 4)
        {
            values[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);
        }

        var anchors = new uint[anchorCount];
        for (var i = 0; i < anchors.Length; i++, at += 4)
        {
            anchors[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);
        }

        var payload = new ulong[payloadCount];
        var domains = new ulong[payloadCount];
        for (var i = 0; i < payload.Length; i++, at += 16)
        {
            payload[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
            domains[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(at + 8)..]);
        }

        fingerprint = new ContentFingerprint(values,
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[6..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[2..]),
            (bytes[1] & 1) != 0, anchors, payload, domains, hidden, (bytes[1] & 2) != 0);
        return true;
    }

    private const byte FirstVersion = 1;
    private const int FirstHeader = 14;
    private const byte StoredVersion = 2;
    private const int StoredHeader = 21;

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
        HiddenWords == other.HiddenWords && IsListMail == other.IsListMail && Values.SequenceEqual(other.Values) && Anchors.SequenceEqual(other.Anchors) &&
        Payload.SequenceEqual(other.Payload) && PayloadDomains.SequenceEqual(other.PayloadDomains);

    public override bool Equals(object? obj) => obj is ContentFingerprint other && Equals(other);

    public override int GetHashCode() => ExactHash.GetHashCode();

    public static bool operator ==(ContentFingerprint left, ContentFingerprint right) => left.Equals(right);

    public static bool operator !=(ContentFingerprint left, ContentFingerprint right) => !left.Equals(right);
}
