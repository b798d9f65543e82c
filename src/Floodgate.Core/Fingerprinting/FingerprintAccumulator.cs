using System.Buffers;
using MimeKit.Encodings;

namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// The per-thread working state of one fingerprint: token hashes in text order, structure features,
/// and the reusable decoders. Reset between messages; pooled arrays are returned after each one.
/// </summary>
internal sealed class FingerprintAccumulator
{
    /// <summary>Below this many text tokens a message has "too little text" and its structure counts.</summary>
    public const int LittleTextTokens = 20;

    private const int MaxStructure = 256;
    private const ulong ParagraphBreak = 0;
    private const int InitialTokens = 1024;

    [ThreadStatic]
    private static FingerprintAccumulator? s_cached;

    private readonly ulong[] _structure = new ulong[MaxStructure];
    private ulong[] _tokens = new ulong[InitialTokens];
    private int _tokenCount;
    private int _wordCount;
    private int _structureCount;
    private ulong _subject;
    private bool _hasSubject;

    public Base64Decoder Base64 { get; } = new();

    public QuotedPrintableDecoder QuotedPrintable { get; } = new();

    /// <summary>True at the start of a line: greeting detection looks only there.</summary>
    public bool AtLineStart { get; set; } = true;

    /// <summary>Words still to drop after a greeting word ("Dear" John Smith,).</summary>
    public int SkipNames { get; set; }

    public int TokenCount => _tokenCount;

    public int WordCount => _wordCount;

    public static FingerprintAccumulator Rent()
    {
        var accumulator = s_cached ?? new FingerprintAccumulator();
        s_cached = null;
        accumulator.Reset();
        return accumulator;
    }

    public static void Return(FingerprintAccumulator accumulator)
    {
        if (accumulator._tokens.Length > InitialTokens * 16)
        {
            // A huge message grew the token array; do not keep 100s of KB per thread for it.
            accumulator._tokens = new ulong[InitialTokens];
        }

        s_cached = accumulator;
    }

    public void Reset()
    {
        _tokenCount = 0;
        _wordCount = 0;
        _structureCount = 0;
        _subject = 0;
        _hasSubject = false;
        AtLineStart = true;
        SkipNames = 0;
    }

    /// <summary>A line break; a second one with no word between ends the paragraph.</summary>
    public void EndLine()
    {
        if (AtLineStart)
        {
            EndParagraph();
        }

        AtLineStart = true;
        SkipNames = 0;
    }

    /// <summary>
    /// Shingles do not cross paragraphs, so reordered paragraphs give the same shingle set. Plain text
    /// marks a paragraph with a blank line, HTML with block elements (each gives a line break on both
    /// sides), so both renderings of one text break in the same places.
    /// </summary>
    public void EndParagraph()
    {
        AtLineStart = true;
        SkipNames = 0;
        if (_tokenCount > 0 && _tokens[_tokenCount - 1] != ParagraphBreak)
        {
            AddRaw(ParagraphBreak);
        }
    }

    public void AddToken(ulong hash)
    {
        _wordCount++;
        AddRaw(hash == ParagraphBreak ? hash + 1 : hash);
    }

    private void AddRaw(ulong hash)
    {
        if (_tokenCount == _tokens.Length)
        {
            Array.Resize(ref _tokens, _tokens.Length * 2);
        }

        _tokens[_tokenCount++] = hash;
    }

    public void AddStructure(ulong feature)
    {
        if (_structureCount < MaxStructure)
        {
            _structure[_structureCount++] = feature;
        }
    }

    /// <summary>Folds the tokens added since <paramref name="from"/> into one subject feature and removes them.</summary>
    public void TakeSubject(int from)
    {
        ulong h = FingerprintHash.SubjectSalt;
        int start = from;
        // "Re:" and "Fwd:" say nothing about content.
        while (start < _tokenCount && (_tokens[start] == ReHash || _tokens[start] == FwHash || _tokens[start] == FwdHash))
        {
            start++;
        }

        for (int i = start; i < _tokenCount; i++)
        {
            h = FingerprintHash.Combine(h, _tokens[i]);
        }

        _hasSubject = _tokenCount > start;
        _subject = h;
        _wordCount -= _tokenCount - from;
        _tokenCount = from;
    }

    private static readonly ulong ReHash = FingerprintHash.LowerWord("re");
    private static readonly ulong FwHash = FingerprintHash.LowerWord("fw");
    private static readonly ulong FwdHash = FingerprintHash.LowerWord("fwd");

    public ContentFingerprint Build()
    {
        int words = _wordCount;
        bool littleText = words < LittleTextTokens;
        // Four-word shingles discriminate well on ordinary mail; short texts fall back to pairs and words
        // so that they still yield a handful of features.
        int k = words >= 24 ? 4 : words >= 8 ? 2 : 1;

        var values = new uint[MinHash.Size];
        MinHash.Reset(values);
        int features = 0;
        ulong exact = FingerprintHash.ExactSeed;

        if (_hasSubject)
        {
            MinHash.Add(values, _subject);
            exact = FingerprintHash.Combine(exact, _subject);
            features++;
        }

        ReadOnlySpan<ulong> tokens = _tokens.AsSpan(0, _tokenCount);
        int paragraph = 0;
        for (int i = 0; i <= tokens.Length; i++)
        {
            if (i < tokens.Length && tokens[i] != ParagraphBreak)
            {
                exact = FingerprintHash.Combine(exact, tokens[i]);
                continue;
            }

            // A paragraph shorter than a shingle is one shingle of its own.
            int length = i - paragraph;
            int lastStart = length < k ? paragraph : i - k;
            for (int start = paragraph; length > 0 && start <= lastStart; start++)
            {
                int end = Math.Min(start + k, i);
                ulong shingle = tokens[start];
                for (int j = start + 1; j < end; j++)
                {
                    shingle = FingerprintHash.Combine(shingle, tokens[j]);
                }

                MinHash.Add(values, shingle);
                features++;
            }

            paragraph = i + 1;
        }

        if (littleText)
        {
            ReadOnlySpan<ulong> structure = _structure.AsSpan(0, _structureCount);
            for (int i = 0; i < structure.Length; i++)
            {
                MinHash.Add(values, structure[i]);
                exact = FingerprintHash.Combine(exact, structure[i]);
                features++;
            }
        }

        exact = FingerprintHash.Combine(exact, (ulong)features);
        return new ContentFingerprint(values, exact, features, littleText);
    }

    /// <summary>Rents a byte buffer of at least <paramref name="length"/> bytes.</summary>
    public static byte[] RentBytes(int length) => ArrayPool<byte>.Shared.Rent(Math.Max(length, 256));

    public static char[] RentChars(int length) => ArrayPool<char>.Shared.Rent(Math.Max(length, 256));
}
