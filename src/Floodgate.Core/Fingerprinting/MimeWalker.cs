using System.Collections.Concurrent;
using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// Walks a raw message (RFC 5322 + MIME, RFC 2045/2046) the way <see cref="Fingerprinter"/> walks
/// MimeKit's parsed tree, and feeds the same <see cref="FingerprintAccumulator"/>, without building
/// the tree: header values stay ranges of the received bytes.
/// </summary>
/// <remarks>
/// Why not MimeKit's own <see cref="MimeReader"/>: it still creates a <see cref="Header"/> (name string and
/// value copy) per header and a <see cref="ContentType"/> with its parameter dictionary per entity. A no-op
/// MimeReader subclass allocated 7,296 B per 5 KiB benchmark message (bench/RESULTS.md "## Fingerprint"),
/// against a budget of 4 KB for parse and fingerprint together. MimeKit is still used where the rules are
/// intricate and the case is rare: RFC 2231/2047 parameters, comments and other unusual header syntax
/// (<see cref="ContentType.TryParse(ParserOptions, byte[], int, int, out ContentType)"/>), encoded subjects
/// (<see cref="Rfc2047"/>), charset names, and the transfer decoders. The structure rules are MimeKit's
/// (what MimeParser does with missing, broken or nested boundaries); FingerprinterEquivalenceTests check
/// both paths give equal fingerprints on a corpus of varied and malformed messages.
/// </remarks>
internal static class MimeWalker
{
    private const int MaxDepth = 16;
    private const int NoValue = -1;
    private const int MaxCachedCharsets = 64;

    private static readonly ConcurrentDictionary<string, Encoding> s_encodings = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, Encoding>.AlternateLookup<ReadOnlySpan<char>> s_encodingLookup =
        s_encodings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Feeds the message in <paramref name="data"/>[<paramref name="start"/>..<paramref name="end"/>) to the
    /// accumulator. False when MimeKit would not parse it as a message (no header at the top, or nothing at all).
    /// </summary>
    public static bool TryWalk(byte[] data, int start, int end, ParserOptions options, FingerprintAccumulator accumulator)
    {
        if (!ReadHeaders(data, start, end, end, top: true, out var headers))
        {
            return false;
        }

        if (headers.SubjectStart != NoValue)
        {
            AddSubject(data, headers.SubjectStart, headers.SubjectEnd, options, accumulator);
        }

        accumulator.ListMail = headers.ListUnsubscribe;

        // Rare, so MimeKit's address parser (which allocates) is fine here.
        if (headers.ReplyToStart != NoValue &&
            InternetAddressList.TryParse(options, data, headers.ReplyToStart, headers.ReplyToEnd - headers.ReplyToStart, out var replyTo))
        {
            Fingerprinter.AddReplyTo(replyTo, accumulator);
        }

        Entity(data, in headers, end, end, end, options, accumulator, 0, digest: false);
        return true;
    }

    /// <summary>Where one entity's header values and content are; value ranges exclude the field name and colon.</summary>
    private struct Headers
    {
        public int BodyStart;
        public int TypeStart;
        public int TypeEnd;
        public int DispositionStart;
        public int DispositionEnd;
        public int EncodingStart;
        public int EncodingEnd;
        public int SubjectStart;
        public int SubjectEnd;
        public int ReplyToStart;
        public int ReplyToEnd;
        public bool ListUnsubscribe;
    }

    private enum Kind
    {
        Part,
        Text,
        Multipart,
        Message,
    }

    /// <summary>A parsed Content-Type: spans of the received bytes, or of a MimeKit parse for unusual syntax.</summary>
    private ref struct MediaType
    {
        public ReadOnlySpan<byte> Type;
        public ReadOnlySpan<byte> Subtype;
        public ReadOnlySpan<byte> Charset;
        public ReadOnlySpan<byte> Name;
        public ReadOnlySpan<byte> Boundary;
        public bool HasCharset;
        public bool HasName;
        public bool HasBoundary;
    }

    private ref struct Disposition
    {
        public bool IsAttachment;
        public ReadOnlySpan<byte> FileName;
        public bool HasFileName;
    }

    private static bool ReadHeaders(byte[] data, int pos, int end, int eof, bool top, out Headers headers)
    {
        headers = default;
        headers.BodyStart = NoValue;
        headers.TypeStart = NoValue;
        headers.DispositionStart = NoValue;
        headers.EncodingStart = NoValue;
        headers.SubjectStart = NoValue;
        headers.ReplyToStart = NoValue;
        bool first = true;
        bool mbox = false;
        while (true)
        {
            if (pos >= end)
            {
                // Headers and no blank line: an entity without content (MimeKit: Content is null). A body
                // part without a single header line is left out.
                // A body part that the end of the input cuts short after its boundary line is kept, empty.
                return !first || mbox || (!top && end == eof && data[eof - 1] == '\n');
            }

            int lineEnd = LineEnd(data, pos, end, out int next);
            if (lineEnd == pos)
            {
                headers.BodyStart = next;
                return true;
            }

            int colon = data.AsSpan(pos, lineEnd - pos).IndexOf((byte)':');
            int nameEnd = colon < 0 ? pos : pos + colon;
            while (nameEnd > pos && data[nameEnd - 1] is (byte)' ' or (byte)'\t')
            {
                nameEnd--;
            }

            // A word without a colon cut off by the end of the input may be a field name still waiting for it.
            bool cutOff = colon < 0 && next == eof && data[eof - 1] != '\n' &&
                data.AsSpan(pos, lineEnd - pos).TrimEnd(" \t"u8).IndexOfAny(" \t\r"u8) < 0;
            if (top && first && data.AsSpan(pos, lineEnd - pos).StartsWith("From "u8))
            {
                // An mbox "From " line before the headers.
                mbox = true;
                pos = next;
                continue;
            }

            if (cutOff)
            {
                // MimeKit refuses the message, or takes the word as the name of a header without value.
                if (top)
                {
                    return false;
                }

                nameEnd = lineEnd;
                colon = lineEnd - pos;
            }
            else if (nameEnd == pos || !IsFieldName(data.AsSpan(pos, nameEnd - pos)))
            {
                // MimeKit skips a line that is no header, except before the first header of the message:
                // then it does not parse the message at all.
                if (top && first)
                {
                    return false;
                }

                pos = next;
                continue;
            }

            int valueStart = Math.Min(pos + colon + 1, lineEnd);
            int valueEnd = lineEnd;
            // RFC 5322 2.2.3: a line that starts with white space continues the field.
            while (next < end && data[next] is (byte)' ' or (byte)'\t')
            {
                valueEnd = LineEnd(data, next, end, out next);
            }

            var name = data.AsSpan(pos, nameEnd - pos);
            if (name.Length == 12 && Ascii.EqualsIgnoreCase(name, "Content-Type"u8))
            {
                if (headers.TypeStart == NoValue)
                {
                    (headers.TypeStart, headers.TypeEnd) = (valueStart, valueEnd);
                }
            }
            else if (name.Length == 25 && Ascii.EqualsIgnoreCase(name, "Content-Transfer-Encoding"u8))
            {
                // The first one counts, for the decoder as for MimeKit's IsEncoded.
                if (headers.EncodingStart == NoValue)
                {
                    (headers.EncodingStart, headers.EncodingEnd) = (valueStart, valueEnd);
                }
            }
            else if (name.Length == 19 && Ascii.EqualsIgnoreCase(name, "Content-Disposition"u8))
            {
                // MimeEntity reads the first one (lazily, on first use).
                if (headers.DispositionStart == NoValue)
                {
                    (headers.DispositionStart, headers.DispositionEnd) = (valueStart, valueEnd);
                }
            }
            else if (top && name.Length == 7 && Ascii.EqualsIgnoreCase(name, "Subject"u8) && headers.SubjectStart == NoValue)
            {
                (headers.SubjectStart, headers.SubjectEnd) = (valueStart, valueEnd);
            }
            else if (top && name.Length == 16 && Ascii.EqualsIgnoreCase(name, "List-Unsubscribe"u8))
            {
                headers.ListUnsubscribe = true;
            }
            else if (top && name.Length == 8 && Ascii.EqualsIgnoreCase(name, "Reply-To"u8) && headers.ReplyToStart == NoValue)
            {
                (headers.ReplyToStart, headers.ReplyToEnd) = (valueStart, valueEnd);
            }

            first = false;
            pos = next;
        }
    }

    /// <summary>RFC 5322 2.2: printable US-ASCII except the colon (white space before the colon is tolerated).</summary>
    private static bool IsFieldName(ReadOnlySpan<byte> name) => name.IndexOfAnyExceptInRange((byte)33, (byte)126) < 0;

    /// <summary>The end of the line at <paramref name="pos"/> without its CR LF (or LF); <paramref name="next"/> is the next line.</summary>
    private static int LineEnd(byte[] data, int pos, int end, out int next)
    {
        int lf = data.AsSpan(pos, end - pos).IndexOf((byte)'\n');
        int lineEnd = lf < 0 ? end : pos + lf;
        next = lf < 0 ? end : lineEnd + 1;
        if (lineEnd > pos && data[lineEnd - 1] == '\r')
        {
            lineEnd--;
        }

        return lineEnd;
    }

    private static void Entity(byte[] data, in Headers headers, int end, int limit, int eof, ParserOptions options, FingerprintAccumulator accumulator, int depth, bool digest)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        var type = ParseType(data, in headers, options, digest);
        switch (KindOf(data, in headers, in type))
        {
            case Kind.Multipart when Ascii.EqualsIgnoreCase(type.Subtype, "alternative"u8):
                Alternative(data, in headers, end, limit, eof, in type, options, accumulator, depth);
                break;
            case Kind.Multipart:
                Children(data, in headers, end, limit, eof, in type, options, accumulator, depth);
                break;
            case Kind.Text when IsPlainOrHtml(in type) && !ParseDisposition(data, in headers, options).IsAttachment:
                AddText(data, in headers, end, in type, accumulator);
                break;
            case Kind.Text or Kind.Part:
                AddPart(data, in headers, end, in type, options, accumulator);
                break;
            default:
                // message/rfc822 and the like: counted as an attachment of unknown size, as Fingerprinter.Walk does.
                accumulator.AddStructure(FingerprintHash.Combine(FingerprintHash.AttachmentSalt, MimeTypeHash(in type)));
                break;
        }
    }

    private static bool IsPlainOrHtml(in MediaType type) =>
        Ascii.EqualsIgnoreCase(type.Type, "text"u8) &&
        (Ascii.EqualsIgnoreCase(type.Subtype, "plain"u8) || Ascii.EqualsIgnoreCase(type.Subtype, "html"u8));

    /// <summary>What MimeKit's ParserOptions.CreateEntity would make of the part (the classes Fingerprinter.Walk tells apart).</summary>
    private static Kind KindOf(byte[] data, in Headers headers, in MediaType type)
    {
        var sub = type.Subtype;
        if (Ascii.EqualsIgnoreCase(type.Type, "multipart"u8))
        {
            return Kind.Multipart;
        }

        if (Ascii.EqualsIgnoreCase(type.Type, "text"u8))
        {
            return Ascii.EqualsIgnoreCase(sub, "rfc822-headers"u8) && !IsEncoded(data, in headers) ? Kind.Message : Kind.Text;
        }

        if (Ascii.EqualsIgnoreCase(type.Type, "message"u8))
        {
            bool message = Ascii.EqualsIgnoreCase(sub, "rfc822"u8) || Ascii.EqualsIgnoreCase(sub, "global"u8) ||
                Ascii.EqualsIgnoreCase(sub, "news"u8) || Ascii.EqualsIgnoreCase(sub, "external-body"u8) ||
                Ascii.EqualsIgnoreCase(sub, "rfc2822"u8) || Ascii.EqualsIgnoreCase(sub, "global-headers"u8);
            return message && !IsEncoded(data, in headers) ? Kind.Message : Kind.Part;
        }

        return Ascii.EqualsIgnoreCase(type.Type, "application"u8) && Ascii.EqualsIgnoreCase(sub, "rtf"u8) ? Kind.Text : Kind.Part;
    }

    /// <summary>MimeKit's IsEncoded: the Content-Transfer-Encoding is base64, quoted-printable or uuencode.</summary>
    private static bool IsEncoded(byte[] data, in Headers headers)
    {
        if (headers.EncodingStart == NoValue)
        {
            return false;
        }

        // An encoding MimeKit does not know counts as none.
        var value = Mechanism(data.AsSpan(headers.EncodingStart, headers.EncodingEnd - headers.EncodingStart));
        return Ascii.EqualsIgnoreCase(value, "base64"u8) || Ascii.EqualsIgnoreCase(value, "quoted-printable"u8) ||
            Ascii.EqualsIgnoreCase(value, "x-uuencode"u8) || Ascii.EqualsIgnoreCase(value, "uuencode"u8) ||
            Ascii.EqualsIgnoreCase(value, "x-uue"u8);
    }

    private static ContentEncoding EncodingOf(byte[] data, in Headers headers)
    {
        if (headers.EncodingStart == NoValue)
        {
            return ContentEncoding.Default;
        }

        var value = Mechanism(data.AsSpan(headers.EncodingStart, headers.EncodingEnd - headers.EncodingStart));
        return Ascii.EqualsIgnoreCase(value, "base64"u8) ? ContentEncoding.Base64
            : Ascii.EqualsIgnoreCase(value, "quoted-printable"u8) ? ContentEncoding.QuotedPrintable
            : ContentEncoding.Default;
    }

    /// <summary>The mechanism of a Content-Transfer-Encoding value: its first word, as MimeKit reads it.</summary>
    private static ReadOnlySpan<byte> Mechanism(ReadOnlySpan<byte> value)
    {
        value = value.TrimStart(" \t\r\n"u8);
        int end = value.IndexOfAny(" \t\r\n;("u8);
        return end < 0 ? value : value[..end];
    }

    private static void Alternative(byte[] data, in Headers headers, int end, int limit, int eof, in MediaType type, ParserOptions options, FingerprintAccumulator accumulator, int depth)
    {
        // Fingerprinter.Preferred: the last HTML part, else the last nested multipart, else the last plain text.
        Candidate html = default, nested = default, plain = default;
        var children = new BoundaryScanner(data, headers.BodyStart, end, limit, type.HasBoundary ? type.Boundary : default);
        while (children.Next(out int start, out int boundary, out int partEnd))
        {
            if (!ReadChild(ref children, data, start, ref boundary, ref partEnd, eof, in type, options, digest: false, out var child, out var childType))
            {
                continue;
            }

            var kind = KindOf(data, in child, in childType);
            var candidate = new Candidate(true, child, partEnd, boundary);
            if (kind == Kind.Text && Ascii.EqualsIgnoreCase(childType.Type, "text"u8))
            {
                if (Ascii.EqualsIgnoreCase(childType.Subtype, "html"u8))
                {
                    html = candidate;
                }
                else if (Ascii.EqualsIgnoreCase(childType.Subtype, "plain"u8))
                {
                    plain = candidate;
                }
            }
            else if (kind == Kind.Multipart)
            {
                nested = candidate;
            }
        }

        var chosen = html.Found ? html : nested.Found ? nested : plain;
        if (chosen.Found)
        {
            var preferred = chosen.Headers;
            Entity(data, in preferred, chosen.End, chosen.Limit, eof, options, accumulator, depth + 1, digest: false);
        }
    }

    private readonly record struct Candidate(bool Found, Headers Headers, int End, int Limit);

    private static void Children(byte[] data, in Headers headers, int end, int limit, int eof, in MediaType type, ParserOptions options, FingerprintAccumulator accumulator, int depth)
    {
        bool digest = Ascii.EqualsIgnoreCase(type.Subtype, "digest"u8);
        var children = new BoundaryScanner(data, headers.BodyStart, end, limit, type.HasBoundary ? type.Boundary : default);
        while (children.Next(out int start, out int boundary, out int partEnd))
        {
            if (ReadChild(ref children, data, start, ref boundary, ref partEnd, eof, in type, options, digest, out var child, out _))
            {
                Entity(data, in child, partEnd, boundary, eof, options, accumulator, depth + 1, digest);
            }
        }
    }

    /// <summary>A body part's headers and type; false for a part MimeKit leaves out.</summary>
    private static bool ReadChild(ref BoundaryScanner children, byte[] data, int start, ref int boundary, ref int end, int eof, in MediaType parent,
        ParserOptions options, bool digest, out Headers headers, out MediaType type)
    {
        type = default;
        // Up to the boundary line: a blank line just before it still ends the headers.
        if (!ReadHeaders(data, start, boundary, eof, top: false, out headers))
        {
            return false;
        }

        type = ParseType(data, in headers, options, digest);
        if (type.HasBoundary && type.Boundary.SequenceEqual(parent.Boundary) && Ascii.EqualsIgnoreCase(type.Type, "multipart"u8))
        {
            int boundaryLine = boundary;
            children.Nest(start, ref end, ref boundary);
            if (headers.BodyStart < 0)
            {
                // The headers ended at the boundary line: the inner multipart's content starts there.
                headers.BodyStart = Math.Min(boundaryLine, end);
            }
        }

        return true;
    }

    /// <summary>
    /// The body parts of a multipart: the content between "--boundary" lines (RFC 2046 5.1.1), each without
    /// the line break before the next boundary, up to "--boundary--" or the end of the enclosing part.
    /// Boundaries of enclosing multiparts end a part too: they bound <c>end</c>.
    /// </summary>
    private ref struct BoundaryScanner
    {
        private readonly byte[] _data;
        private readonly int _end;
        private readonly int _limit;
        private readonly ReadOnlySpan<byte> _boundary;
        private int _pos;
        private bool _done;

        public BoundaryScanner(byte[] data, int bodyStart, int end, int limit, ReadOnlySpan<byte> boundary)
        {
            _data = data;
            _end = end;
            _limit = limit;
            _boundary = boundary;
            _done = bodyStart < 0 || boundary.IsEmpty;
            _pos = 0;
            if (!_done)
            {
                // The preamble, up to the first boundary, is not part of any body part.
                int first = Find(bodyStart, out bool last, out _pos);
                _done = first < 0 || last;
            }
        }

        /// <summary>
        /// The next body part: its headers are read up to <paramref name="boundary"/> (the next boundary line),
        /// its content ends at <paramref name="end"/> (without the line break before that line).
        /// </summary>
        public bool Next(out int start, out int boundary, out int end)
        {
            start = end = boundary = 0;
            if (_done)
            {
                return false;
            }

            start = _pos;
            boundary = Find(_pos, out bool last, out int after);
            if (boundary < 0)
            {
                // The last part runs to the end of the multipart's content; its headers may see the line
                // break before the enclosing boundary.
                end = _end;
                boundary = _limit;
                _done = true;
                return true;
            }

            end = ContentEnd(boundary, start);
            _pos = after;
            _done = last;
            return true;
        }

        /// <summary>
        /// A body part that is itself a multipart with the same boundary: MimeKit gives the inner one every
        /// boundary line up to its "--boundary--" (the innermost boundary wins), then the outer one resumes
        /// at its next boundary line. Moves <paramref name="end"/> and this scanner accordingly. One level only:
        /// with the same boundary three deep, the middle multipart ends at the innermost one's end boundary
        /// here, at its own in MimeKit (FingerprinterFuzzTests draws distinct boundaries per level for that).
        /// </summary>
        public void Nest(int start, ref int end, ref int limit)
        {
            int pos = start;
            int boundary;
            bool last;
            int after;
            do
            {
                boundary = Find(pos, out last, out after);
                pos = after;
            }
            while (boundary >= 0 && !last);

            if (boundary < 0)
            {
                end = _end;
                limit = _limit;
                _done = true;
                return;
            }

            end = ContentEnd(boundary, start);
            limit = boundary;
            // The inner multipart's epilogue, up to the outer boundary, belongs to no part.
            int next = Find(after, out last, out _pos);
            _done = next < 0 || last;
        }

        private readonly int ContentEnd(int boundary, int start)
        {
            int end = boundary;
            if (end > start && _data[end - 1] == '\n')
            {
                end--;
                if (end > start && _data[end - 1] == '\r')
                {
                    end--;
                }
            }

            return end;
        }

        /// <summary>The start of the next boundary line at or after <paramref name="pos"/> (a line start), or -1.</summary>
        private readonly int Find(int pos, out bool last, out int after)
        {
            last = false;
            after = _end;
            while (pos < _end)
            {
                if (IsBoundary(pos, out last, out after))
                {
                    return pos;
                }

                int next = _data.AsSpan(pos, _end - pos).IndexOf("\n--"u8);
                if (next < 0)
                {
                    return -1;
                }

                pos += next + 1;
            }

            return -1;
        }

        private readonly bool IsBoundary(int pos, out bool last, out int after)
        {
            last = false;
            after = _end;
            int length = 2 + _boundary.Length;
            if (_end - pos < length || _data[pos] != '-' || _data[pos + 1] != '-' ||
                !_data.AsSpan(pos + 2, _boundary.Length).SequenceEqual(_boundary))
            {
                return false;
            }

            int lineEnd = LineEnd(_data, pos, _end, out after);
            var rest = _data.AsSpan(pos + length, lineEnd - pos - length);
            if (rest.StartsWith("--"u8))
            {
                last = true;
                rest = rest[2..];
            }

            // Trailing white space is allowed after a boundary (RFC 2046 5.1.1 transport padding).
            return rest.TrimEnd(" \t\r"u8).IsEmpty;
        }
    }

    private static MediaType ParseType(byte[] data, scoped in Headers headers, ParserOptions options, bool digest)
    {
        var type = default(MediaType);
        if (headers.TypeStart == NoValue)
        {
            // RFC 2046 5.1.5: the body parts of a digest are messages unless they say otherwise.
            type.Type = digest ? "message"u8 : "text"u8;
            type.Subtype = digest ? "rfc822"u8 : "plain"u8;
            return type;
        }

        var value = data.AsSpan(headers.TypeStart, headers.TypeEnd - headers.TypeStart);
        if (TryParseType(value, ref type))
        {
            return type;
        }

        // Comments, RFC 2231 or encoded parameters, missing subtypes and the like: MimeKit's parser,
        // and its default for a type it cannot read.
        type = default;
        if (!ContentType.TryParse(options, data, headers.TypeStart, headers.TypeEnd - headers.TypeStart, out var parsed) && parsed is null)
        {
            // MimeParser keeps the parameters of a type it cannot read, under application/octet-stream.
            int semicolon = value.IndexOf((byte)';');
            byte[] fallback = [.. "application/octet-stream"u8, .. semicolon < 0 ? default : value[semicolon..]];
            if (!ContentType.TryParse(options, fallback, out parsed) || parsed is null)
            {
                parsed = new ContentType("application", "octet-stream");
            }
        }

        type.Type = Encoding.UTF8.GetBytes(parsed.MediaType);
        type.Subtype = Encoding.UTF8.GetBytes(parsed.MediaSubtype);
        if (parsed.Charset is { } charset)
        {
            type.Charset = Encoding.UTF8.GetBytes(charset);
            type.HasCharset = true;
        }

        if (parsed.Name is { } name)
        {
            type.Name = Encoding.UTF8.GetBytes(name);
            type.HasName = true;
        }

        if (parsed.Boundary is { } boundary)
        {
            type.Boundary = Encoding.UTF8.GetBytes(boundary);
            type.HasBoundary = true;
        }

        return type;
    }

    /// <summary>The common form, <c>type/subtype *(; token=(token / quoted-string))</c>, US-ASCII only.</summary>
    private static bool TryParseType(ReadOnlySpan<byte> value, ref MediaType type)
    {
        int i = SkipSpace(value, 0);
        type.Type = Token(value, ref i);
        if (type.Type.IsEmpty || i >= value.Length || value[i] != '/')
        {
            return false;
        }

        i++;
        type.Subtype = Token(value, ref i);
        if (type.Subtype.IsEmpty)
        {
            return false;
        }

        while (NextParameter(value, ref i, out var name, out var parameter))
        {
            if (Ascii.EqualsIgnoreCase(name, "charset"u8))
            {
                if (type.HasCharset)
                {
                    return false;
                }

                type.Charset = parameter;
                type.HasCharset = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "name"u8))
            {
                if (type.HasName)
                {
                    return false;
                }

                type.Name = parameter;
                type.HasName = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "boundary"u8))
            {
                if (type.HasBoundary)
                {
                    return false;
                }

                type.Boundary = parameter;
                type.HasBoundary = true;
            }
        }

        return i >= value.Length;
    }

    private static Disposition ParseDisposition(byte[] data, in Headers headers, ParserOptions options)
    {
        var disposition = default(Disposition);
        if (headers.DispositionStart == NoValue)
        {
            return disposition;
        }

        var value = data.AsSpan(headers.DispositionStart, headers.DispositionEnd - headers.DispositionStart);
        int i = SkipSpace(value, 0);
        var token = Token(value, ref i);
        bool simple = !token.IsEmpty;
        while (simple && NextParameter(value, ref i, out var name, out var parameter))
        {
            if (Ascii.EqualsIgnoreCase(name, "filename"u8))
            {
                simple = !disposition.HasFileName;
                disposition.FileName = parameter;
                disposition.HasFileName = true;
            }
        }

        if (simple && i >= value.Length)
        {
            disposition.IsAttachment = Ascii.EqualsIgnoreCase(token, "attachment"u8);
            return disposition;
        }

        // MimeEntity keeps what MimeKit's parser made of it, even when the parse reports an error.
        disposition = default;
        _ = ContentDisposition.TryParse(options, data, headers.DispositionStart, headers.DispositionEnd - headers.DispositionStart, out var parsed);
        if (parsed is not null)
        {
            disposition.IsAttachment = parsed.IsAttachment;
            if (parsed.FileName is { } fileName)
            {
                disposition.FileName = Encoding.UTF8.GetBytes(fileName);
                disposition.HasFileName = true;
            }
        }

        return disposition;
    }

    /// <summary>
    /// Reads <c>; name=value</c> at <paramref name="i"/>. False at the end or at anything unusual (then
    /// <paramref name="i"/> is left before the end, and the caller falls back to MimeKit).
    /// </summary>
    private static bool NextParameter(ReadOnlySpan<byte> value, scoped ref int i, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> parameter)
    {
        name = parameter = default;
        int at = SkipSpace(value, i);
        if (at >= value.Length)
        {
            i = at;
            return false;
        }

        if (value[at] != ';')
        {
            return false;
        }

        at = SkipSpace(value, at + 1);
        if (at >= value.Length)
        {
            i = at;
            return false;
        }

        name = Token(value, ref at);
        // RFC 2231 (name*=, name*0=) is MimeKit's to decode.
        if (name.IsEmpty || name.Contains((byte)'*'))
        {
            return false;
        }

        at = SkipSpace(value, at);
        if (at >= value.Length || value[at] != '=')
        {
            return false;
        }

        at = SkipSpace(value, at + 1);
        if (at < value.Length && value[at] == '"')
        {
            int close = value[(at + 1)..].IndexOfAny((byte)'"', (byte)'\\');
            if (close < 0 || value[at + 1 + close] != '"')
            {
                return false;
            }

            parameter = value.Slice(at + 1, close);
            at += close + 2;
        }
        else
        {
            parameter = Token(value, ref at);
            if (parameter.IsEmpty)
            {
                return false;
            }
        }

        // Encoded words and 8-bit values are decoded by MimeKit; folding inside a value is unfolded by it.
        if (parameter.IndexOf("=?"u8) >= 0 || !Ascii.IsValid(parameter) || parameter.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            return false;
        }

        i = at;
        return true;
    }

    private static int SkipSpace(ReadOnlySpan<byte> value, int i)
    {
        while (i < value.Length && value[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }

    /// <summary>An RFC 2045 token: printable US-ASCII except SPACE and tspecials.</summary>
    private static ReadOnlySpan<byte> Token(ReadOnlySpan<byte> value, scoped ref int i)
    {
        int start = i;
        while (i < value.Length && value[i] is > 32 and < 127 && "()<>@,;:\\\"/[]?="u8.IndexOf(value[i]) < 0)
        {
            i++;
        }

        return value[start..i];
    }

    private static ulong MimeTypeHash(in MediaType type)
    {
        // ContentType.MimeType is "type/subtype"; the hash lower-cases it.
        int length = type.Type.Length + 1 + type.Subtype.Length;
        char[]? rented = null;
        Span<char> chars = length <= 256 ? stackalloc char[256] : (rented = FingerprintAccumulator.RentChars(length));
        int n = Encoding.UTF8.GetChars(type.Type, chars);
        chars[n++] = '/';
        n += Encoding.UTF8.GetChars(type.Subtype, chars[n..]);
        ulong hash = FingerprintHash.LowerWord(chars[..n]);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }

        return hash;
    }

    private static void AddPart(byte[] data, in Headers headers, int end, in MediaType type, ParserOptions options, FingerprintAccumulator accumulator)
    {
        long size = headers.BodyStart < 0 ? 0 : Math.Max(0, end - headers.BodyStart);
        var disposition = ParseDisposition(data, in headers, options);
        // MimePart.FileName: the disposition's filename, else the type's name.
        var name = disposition.HasFileName ? disposition.FileName : type.HasName ? type.Name : default;
        bool hasName = disposition.HasFileName || type.HasName;
        ulong nameHash = 0;
        if (hasName && !name.IsEmpty)
        {
            char[]? rented = null;
            Span<char> chars = name.Length <= 256 ? stackalloc char[256] : (rented = FingerprintAccumulator.RentChars(name.Length));
            int n = Encoding.UTF8.GetChars(name, chars);
            // MimePart.FileName is trimmed; a name of white space only is no name.
            var trimmed = chars[..n].Trim();
            nameHash = trimmed.IsEmpty ? 0 : TextNormalizer.NameHash(trimmed);
            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }

        ulong contentHash = headers.BodyStart < 0 ? 0 : Fingerprinter.ContentHash(data.AsSpan(headers.BodyStart, Math.Max(0, end - headers.BodyStart)));
        Fingerprinter.AddPartStructure(MimeTypeHash(in type), size, nameHash, Ascii.EqualsIgnoreCase(type.Type, "image"u8), contentHash, accumulator);
    }

    private static void AddText(byte[] data, in Headers headers, int end, in MediaType type, FingerprintAccumulator accumulator)
    {
        if (headers.BodyStart < 0)
        {
            return;
        }

        int length = Math.Min(Math.Max(0, end - headers.BodyStart), Fingerprinter.MaxTextBytes);
        var encoding = CharsetEncoding(type.HasCharset ? type.Charset : default, type.HasCharset);
        Fingerprinter.AddText(data, headers.BodyStart, length, EncodingOf(data, in headers), encoding,
            Ascii.EqualsIgnoreCase(type.Subtype, "html"u8), accumulator);
    }

    /// <summary>Fingerprinter.EncodingOf for a charset given as bytes; MimeKit's charset table, cached by name.</summary>
    private static Encoding CharsetEncoding(ReadOnlySpan<byte> charset, bool present)
    {
        if (!present || Ascii.EqualsIgnoreCase(charset, "utf-8"u8) || Ascii.EqualsIgnoreCase(charset, "us-ascii"u8))
        {
            return Encoding.UTF8;
        }

        if (charset.Length > 64)
        {
            return Fingerprinter.EncodingOf(Encoding.UTF8.GetString(charset));
        }

        Span<char> chars = stackalloc char[64];
        int n = Encoding.UTF8.GetChars(charset, chars);
        if (s_encodingLookup.TryGetValue(chars[..n], out var cached))
        {
            return cached;
        }

        string name = chars[..n].ToString();
        var encoding = Fingerprinter.EncodingOf(name);
        if (s_encodings.Count < MaxCachedCharsets)
        {
            s_encodings.TryAdd(name, encoding);
        }

        return encoding;
    }

    private static void AddSubject(byte[] data, int start, int end, ParserOptions options, FingerprintAccumulator accumulator)
    {
        var raw = data.AsSpan(start, end - start);
        // Header.Value: RFC 2047 decoded, then unfolded. Plain US-ASCII decodes to itself.
        string? decoded = Ascii.IsValid(raw) && raw.IndexOf("=?"u8) < 0 ? null : Rfc2047.DecodeText(options, data, start, end - start);
        int length = decoded?.Length ?? raw.Length;
        char[]? rented = null;
        Span<char> chars = length <= 512 ? stackalloc char[512] : (rented = FingerprintAccumulator.RentChars(length));
        int n = 0;
        for (int i = 0; i < length; i++)
        {
            char c = decoded is null ? (char)raw[i] : decoded[i];
            if (c is not ('\r' or '\n'))
            {
                chars[n++] = c;
            }
        }

        Fingerprinter.AddSubject(chars[..n], accumulator);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }
    }
}
