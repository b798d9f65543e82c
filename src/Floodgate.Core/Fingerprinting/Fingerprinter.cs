using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using MimeKit;
using MimeKit.Encodings;

namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// Computes the <see cref="ContentFingerprint"/> of a message. Thread-safe and reusable: working
/// buffers are per thread and pooled, so one instance serves the whole process.
/// </summary>
public sealed class Fingerprinter
{
    /// <summary>Text beyond this many bytes per part is not read: a fingerprint needs no more, and it bounds the cost.</summary>
    public const int MaxTextBytes = 512 * 1024;

    private const int MaxDepth = 16;

    // Image features are repeated so that an image-only message is judged mostly by its images, and a
    // changed link shifts its fingerprint by a few features only.
    private const int ImageWeight = 4;

    [ThreadStatic]
    private static MimeParser? s_parser;

    private static readonly ParserOptions s_parserOptions = ParserOptions.Default.Clone();

    public static Fingerprinter Shared { get; } = new();

    public ContentFingerprint Compute(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var accumulator = FingerprintAccumulator.Rent();
        try
        {
            string? subject = message.Subject;
            if (!string.IsNullOrEmpty(subject))
            {
                int from = accumulator.TokenCount;
                TextNormalizer.Tokenize(subject, accumulator);
                accumulator.TakeSubject(from);
                accumulator.EndParagraph();
            }

            if (message.Body is not null)
            {
                Walk(message.Body, accumulator, 0);
            }

            return accumulator.Build();
        }
        finally
        {
            FingerprintAccumulator.Return(accumulator);
        }
    }

    /// <summary>Parses the raw message (RFC 5322, as received at the end of DATA) once and fingerprints it.</summary>
    public ContentFingerprint Compute(ReadOnlyMemory<byte> rawMessage)
    {
        byte[]? rented = null;
        ArraySegment<byte> segment;
        if (!MemoryMarshal.TryGetArray(rawMessage, out segment))
        {
            rented = ArrayPool<byte>.Shared.Rent(rawMessage.Length);
            rawMessage.Span.CopyTo(rented);
            segment = new ArraySegment<byte>(rented, 0, rawMessage.Length);
        }

        try
        {
            using var stream = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false, publiclyVisible: true);
            // persistent: part contents stay windows onto the caller's buffer instead of copies.
            var parser = s_parser ??= new MimeParser(s_parserOptions, Stream.Null, persistent: true);
            parser.SetStream(stream, MimeFormat.Entity, persistent: true);
            var message = parser.ParseMessage();
            var fingerprint = Compute(message);
            parser.SetStream(Stream.Null, MimeFormat.Entity, persistent: true);
            return fingerprint;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void Walk(MimeEntity entity, FingerprintAccumulator accumulator, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        switch (entity)
        {
            case MultipartAlternative alternative:
                var preferred = Preferred(alternative);
                if (preferred is not null)
                {
                    Walk(preferred, accumulator, depth + 1);
                }

                break;
            case Multipart multipart:
                for (int i = 0; i < multipart.Count; i++)
                {
                    Walk(multipart[i], accumulator, depth + 1);
                }

                break;
            case TextPart text when !text.IsAttachment && (text.IsPlain || text.IsHtml):
                AddText(text, accumulator);
                break;
            case MimePart part:
                AddPartStructure(part, accumulator);
                break;
            default:
                // message/rfc822 and the like: counted as an attachment of unknown size.
                accumulator.AddStructure(FingerprintHash.Combine(FingerprintHash.AttachmentSalt,
                    FingerprintHash.LowerWord(entity.ContentType.MimeType)));
                break;
        }
    }

    /// <summary>
    /// The HTML alternative if there is one (it is what the recipient sees, and where spammers put the
    /// content), else a nested multipart (related HTML), else plain text.
    /// </summary>
    private static MimeEntity? Preferred(MultipartAlternative alternative)
    {
        MimeEntity? plain = null;
        MimeEntity? nested = null;
        for (int i = alternative.Count - 1; i >= 0; i--)
        {
            var child = alternative[i];
            if (child is TextPart text)
            {
                if (text.IsHtml)
                {
                    return text;
                }

                if (text.IsPlain)
                {
                    plain ??= text;
                }
            }
            else if (child is Multipart)
            {
                nested ??= child;
            }
        }

        return nested ?? plain;
    }

    private static void AddPartStructure(MimePart part, FingerprintAccumulator accumulator)
    {
        long size = part.Content?.Stream is { CanSeek: true } stream ? stream.Length : 0;
        // Encoded size in KiB: identical images have identical sizes; a re-encoded one usually lands near.
        ulong kind = FingerprintHash.Combine(FingerprintHash.LowerWord(part.ContentType.MimeType), (ulong)(size >> 10));
        string? name = part.FileName;
        ulong nameHash = string.IsNullOrEmpty(name) ? 0 : TextNormalizer.NameHash(name);
        if (part.ContentType.IsMimeType("image", "*"))
        {
            for (int i = 0; i < ImageWeight; i++)
            {
                accumulator.AddStructure(FingerprintHash.Combine(FingerprintHash.ImageSalt + (ulong)i, kind));
            }

            if (nameHash != 0)
            {
                accumulator.AddStructure(FingerprintHash.Combine(FingerprintHash.ImageSalt, nameHash));
                accumulator.AddStructure(FingerprintHash.Combine(FingerprintHash.ImageSalt + 1, nameHash));
            }
        }
        else
        {
            accumulator.AddStructure(FingerprintHash.Combine(FingerprintHash.AttachmentSalt, kind));
            if (nameHash != 0)
            {
                accumulator.AddStructure(FingerprintHash.Combine(FingerprintHash.AttachmentSalt, nameHash));
            }
        }
    }

    private static void AddText(TextPart part, FingerprintAccumulator accumulator)
    {
        var content = part.Content;
        if (content?.Stream is not { CanSeek: true } stream)
        {
            return;
        }

        int length = (int)Math.Min(stream.Length, MaxTextBytes);
        byte[] raw = FingerprintAccumulator.RentBytes(length);
        byte[]? decoded = null;
        char[]? chars = null;
        try
        {
            stream.Position = 0;
            int read = 0;
            while (read < length)
            {
                int n = stream.Read(raw, read, length - read);
                if (n <= 0)
                {
                    break;
                }

                read += n;
            }

            ReadOnlySpan<byte> bytes = raw.AsSpan(0, read);
            IMimeDecoder? decoder = content.Encoding switch
            {
                ContentEncoding.Base64 => accumulator.Base64,
                ContentEncoding.QuotedPrintable => accumulator.QuotedPrintable,
                _ => null,
            };
            if (decoder is not null)
            {
                decoder.Reset();
                decoded = FingerprintAccumulator.RentBytes(decoder.EstimateOutputLength(read));
                int n = decoder.Decode(raw, 0, read, decoded);
                bytes = decoded.AsSpan(0, n);
            }

            var encoding = EncodingOf(part.ContentType);
            chars = FingerprintAccumulator.RentChars(encoding.GetMaxCharCount(bytes.Length));
            int count = encoding.GetChars(bytes, chars);
            if (part.IsHtml)
            {
                count = HtmlText.ToText(chars.AsSpan(0, count), accumulator);
            }

            accumulator.EndParagraph();
            TextNormalizer.Tokenize(chars.AsSpan(0, count), accumulator);
            accumulator.EndParagraph();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
            if (decoded is not null)
            {
                ArrayPool<byte>.Shared.Return(decoded);
            }

            if (chars is not null)
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }

    private static Encoding EncodingOf(ContentType contentType)
    {
        string? charset = contentType.Charset;
        if (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) ||
            charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            return Encoding.UTF8;
        }

        // Unknown or unsupported charsets: UTF-8 turns stray bytes into U+FFFD, which only costs a word.
        return contentType.CharsetEncoding ?? Encoding.UTF8;
    }
}
