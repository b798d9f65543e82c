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

    /// <summary>The subject as a person reads it (<see cref="ContentFingerprint.Subject"/>).</summary>
    public string? Subject { get; set; }
    private readonly ulong[] _payloadKeys = new ulong[ContentFingerprint.MaxPayload];
    private readonly ulong[] _payloadDomains = new ulong[ContentFingerprint.MaxPayload];
    private int _payloadCount;
    private uint[] _anchors = new uint[InitialTokens / 4];

    public Base64Decoder Base64 { get; } = new();

    public QuotedPrintableDecoder QuotedPrintable { get; } = new();

    /// <summary>True at the start of a line: greeting detection looks only there.</summary>
    public bool AtLineStart { get; set; } = true;

    /// <summary>Words still to drop after a greeting word ("Dear" John Smith,).</summary>
    public int SkipNames { get; set; }

    public int TokenCount => _tokenCount;

    /// <summary>The message has a List-Unsubscribe header (<see cref="ContentFingerprint.IsListMail"/>).</summary>
    public bool ListMail { get; set; }

    /// <summary>
    /// What a run must carry whatever its wording (<see cref="ContentFingerprint.Payload"/>): a key per
    /// link domain, address, phone number or attachment, with the registrable domain it names (0 for
    /// none). The first <see cref="ContentFingerprint.MaxPayload"/> distinct keys are kept.
    /// </summary>
    public void AddPayload(ulong key, ulong domain)
    {
        if (_payloadCount < ContentFingerprint.MaxPayload && !_payloadKeys.AsSpan(0, _payloadCount).Contains(key))
        {
            _payloadKeys[_payloadCount] = key;
            _payloadDomains[_payloadCount] = domain;
            _payloadCount++;
        }
    }

    /// <summary>Words of text a reader does not see (<see cref="HiddenText"/>), over the whole message.</summary>
    public int HiddenWords { get; set; }

    /// <summary>The background of an HTML part's page: white unless its style sheet says otherwise.</summary>
    public int PageBackground { get; set; } = HiddenText.White;

    /// <summary>The element that hides the text being read, while <see cref="HiddenDepth"/> is above zero.</summary>
    public ulong HiddenElement { get; set; }

    /// <summary>Open elements of <see cref="HiddenElement"/>'s name since it began hiding.</summary>
    public int HiddenDepth { get; set; }

    /// <summary>A hidden word is being read (the next letter is not a new word).</summary>
    public bool InHiddenWord { get; set; }

    /// <summary>Classes and ids a style sheet hides, and those an @media block shows again.</summary>
    public void HideSelector(ulong key) => AddKey(_hiddenSelectors, ref _hiddenSelectorCount, key);

    public void ShowSelector(ulong key) => AddKey(_shownSelectors, ref _shownSelectorCount, key);

    public bool IsHiddenSelector(ulong key) =>
        _hiddenSelectorCount > 0 && _hiddenSelectors.AsSpan(0, _hiddenSelectorCount).Contains(key) &&
        !_shownSelectors.AsSpan(0, _shownSelectorCount).Contains(key);

    public bool HasHiddenSelectors => _hiddenSelectorCount > 0;

    /// <summary>
    /// The colours in force: elements that set a text colour or a background, innermost last. Bounded:
    /// deeper nesting keeps the colours of the outer elements.
    /// </summary>
    public void PushColours(ulong element, int colour, int background)
    {
        if (_colourCount < MaxColourFrames)
        {
            _colourElements[_colourCount] = element;
            _colours[_colourCount] = colour;
            _backgrounds[_colourCount] = background;
            _colourCount++;
            UpdateColourHidden();
        }
    }

    /// <summary>
    /// Ends the colour frame <paramref name="element"/> opened, and any opened inside it and left
    /// unclosed (as a browser closes them).
    /// </summary>
    public void PopColours(ulong element)
    {
        for (int i = _colourCount - 1; i >= 0; i--)
        {
            if (_colourElements[i] == element)
            {
                _colourCount = i;
                UpdateColourHidden();
                return;
            }
        }
    }

    /// <summary>The text in force is coloured like its background.</summary>
    public bool ColourHidden { get; private set; }

    /// <summary>The page's text colour from its style sheet (unknown unless set).</summary>
    public int PageColour { get; set; } = HiddenText.NoColour;

    /// <summary>Re-reads the colours in force (after a style sheet set the page's).</summary>
    public void UpdateColourHidden()
    {
        InheritedColours(out int colour, out int background);
        ColourHidden = HiddenText.SameColour(colour, background);
    }

    /// <summary>The text colour and background an element inherits.</summary>
    public void InheritedColours(out int colour, out int background)
    {
        colour = HiddenText.NoColour;
        background = HiddenText.NoColour;
        for (int i = _colourCount - 1; i >= 0 && (colour == HiddenText.NoColour || background == HiddenText.NoColour); i--)
        {
            if (colour == HiddenText.NoColour)
            {
                colour = _colours[i];
            }

            if (background == HiddenText.NoColour)
            {
                background = _backgrounds[i];
            }
        }

        if (background == HiddenText.NoColour)
        {
            background = PageBackground;
        }

        if (colour == HiddenText.NoColour)
        {
            colour = PageColour;
        }
    }

    /// <summary>Forgets one HTML part's styles and colours; the hidden word count stays for the message.</summary>
    public void ResetHtml()
    {
        PageBackground = HiddenText.White;
        PageColour = HiddenText.NoColour;
        ColourHidden = false;
        HiddenElement = 0;
        HiddenDepth = 0;
        InHiddenWord = false;
        _hiddenSelectorCount = 0;
        _shownSelectorCount = 0;
        _colourCount = 0;
    }

    private static void AddKey(ulong[] keys, ref int count, ulong key)
    {
        if (count < keys.Length && !keys.AsSpan(0, count).Contains(key))
        {
            keys[count++] = key;
        }
    }

    private const int MaxSelectors = 32;
    private const int MaxColourFrames = 16;
    private readonly ulong[] _hiddenSelectors = new ulong[MaxSelectors];
    private readonly ulong[] _shownSelectors = new ulong[MaxSelectors];
    private int _hiddenSelectorCount;
    private int _shownSelectorCount;
    private readonly ulong[] _colourElements = new ulong[MaxColourFrames];
    private readonly int[] _colours = new int[MaxColourFrames];
    private readonly int[] _backgrounds = new int[MaxColourFrames];
    private int _colourCount;

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
            accumulator._anchors = new uint[InitialTokens / 4];
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
        Subject = null;
        AtLineStart = true;
        SkipNames = 0;
        HiddenWords = 0;
        _payloadCount = 0;
        ListMail = false;
        ResetHtml();
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
        int anchors = 0;
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
                // Anchors: the shingles whose top bits are zero, chosen by their own hash and not by the
                // rest of the message, so the same text yields the same anchors whatever surrounds it.
                if (k == 4 && shingle >> (64 - AnchorSamplingBits) == 0)
                {
                    if (anchors == _anchors.Length)
                    {
                        Array.Resize(ref _anchors, _anchors.Length * 2);
                    }

                    _anchors[anchors++] = (uint)shingle;
                }
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
        return new ContentFingerprint(values, exact, features, littleText, KeptAnchors(anchors),
            _payloadKeys.AsSpan(0, _payloadCount).ToArray(), _payloadDomains.AsSpan(0, _payloadCount).ToArray(), HiddenWords, ListMail, Subject);
    }

    /// <summary>
    /// One shingle in 2^AnchorSamplingBits is an anchor: about 14 for a 60-word pitch, enough to find it
    /// again inside any amount of filler.
    /// </summary>
    private const int AnchorSamplingBits = 2;

    /// <summary>The smallest <see cref="ContentFingerprint.MaxAnchors"/> distinct anchors, sorted.</summary>
    private uint[] KeptAnchors(int count)
    {
        if (count == 0)
        {
            return [];
        }

        var all = _anchors.AsSpan(0, count);
        all.Sort();
        int distinct = 1;
        for (int i = 1; i < all.Length && distinct < ContentFingerprint.MaxAnchors; i++)
        {
            if (all[i] != all[distinct - 1])
            {
                all[distinct++] = all[i];
            }
        }

        return all[..distinct].ToArray();
    }

    /// <summary>Rents a byte buffer of at least <paramref name="length"/> bytes.</summary>
    public static byte[] RentBytes(int length) => ArrayPool<byte>.Shared.Rent(Math.Max(length, 256));

    public static char[] RentChars(int length) => ArrayPool<char>.Shared.Rent(Math.Max(length, 256));
}
