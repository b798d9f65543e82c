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

    private static readonly ParserOptions s_parserOptions = ParserOptions.Default.Clone();

    static Fingerprinter()
    {
        // windows-125x, koi8-r, shift_jis and the other code pages MimeKit names are not in .NET's
        // default set; without them such text decoded as UTF-8 and lost every non-ASCII word.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

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
                AddSubject(subject, accumulator);
            }

            AddReplyTo(message.ReplyTo, accumulator);
            accumulator.ListMail = message.Headers.Contains("List-Unsubscribe");
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

    /// <summary>
    /// Fingerprints the raw message (RFC 5322, as received at the end of DATA) without building MimeKit's
    /// object model: the same fingerprint as parsing it and calling <see cref="Compute(MimeMessage)"/>, and
    /// no allocation but the result's. <c>default</c> for input MimeKit would not parse as a message
    /// (nothing, or no header at the top); never throws on malformed input.
    /// </summary>
    public ContentFingerprint Compute(ReadOnlyMemory<byte> rawMessage)
    {
        byte[]? rented = null;
        if (!MemoryMarshal.TryGetArray(rawMessage, out ArraySegment<byte> segment))
        {
            rented = ArrayPool<byte>.Shared.Rent(rawMessage.Length);
            rawMessage.Span.CopyTo(rented);
            segment = new ArraySegment<byte>(rented, 0, rawMessage.Length);
        }

        var accumulator = FingerprintAccumulator.Rent();
        try
        {
            return MimeWalker.TryWalk(segment.Array!, segment.Offset, segment.Offset + segment.Count, s_parserOptions, accumulator)
                ? accumulator.Build()
                : default;
        }
        finally
        {
            FingerprintAccumulator.Return(accumulator);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    internal static void AddSubject(ReadOnlySpan<char> subject, FingerprintAccumulator accumulator)
    {
        int from = accumulator.TokenCount;
        TextNormalizer.Tokenize(subject, accumulator);
        accumulator.TakeSubject(from);
        accumulator.Subject = ContentFingerprint.SubjectText(subject);
        accumulator.EndParagraph();
    }

    internal static void AddReplyTo(InternetAddressList replyTo, FingerprintAccumulator accumulator)
    {
        foreach (var mailbox in replyTo.Mailboxes)
        {
            TextNormalizer.AddEmailPayload(mailbox.Address, accumulator);
        }
    }

    /// <summary>Attachment bytes hashed: the first 64 KiB of the encoded content and its length, trailing white space aside.</summary>
    public const int ContentHashBytes = 64 * 1024;

    internal static ulong ContentHash(ReadOnlySpan<byte> encoded)
    {
        int length = encoded.Length;
        while (length > 0 && encoded[length - 1] is (byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')
        {
            length--;
        }

        return length == 0 ? 0 : ContentHash(encoded[..Math.Min(length, ContentHashBytes)], length);
    }

    private static ulong ContentHash(ReadOnlySpan<byte> head, long length) =>
        FingerprintHash.Combine(System.IO.Hashing.XxHash3.HashToUInt64(head), (ulong)length);

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
                // message/rfc822 and the like: counted as an attachment of unknown size, no payload.
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
        long size = 0;
        ulong contentHash = 0;
        if (part.Content?.Stream is { CanSeek: true } stream)
        {
            size = stream.Length;
            contentHash = ContentHash(stream);
        }

        string? name = part.FileName;
        ulong nameHash = string.IsNullOrEmpty(name) ? 0 : TextNormalizer.NameHash(name);
        AddPartStructure(FingerprintHash.LowerWord(part.ContentType.MimeType), size, nameHash,
            part.ContentType.IsMimeType("image", "*"), contentHash, accumulator);
    }

    /// <summary><see cref="ContentHash(ReadOnlySpan{byte})"/> of a part's encoded stream, as the raw walker sees the same bytes.</summary>
    private static ulong ContentHash(Stream stream)
    {
        long length = stream.Length;
        Span<byte> tail = stackalloc byte[64];
        while (length > 0)
        {
            int n = (int)Math.Min(tail.Length, length);
            stream.Position = length - n;
            stream.ReadExactly(tail[..n]);
            int kept = n;
            while (kept > 0 && tail[kept - 1] is (byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')
            {
                kept--;
            }

            length -= n - kept;
            if (kept > 0)
            {
                break;
            }
        }

        if (length == 0)
        {
            return 0;
        }

        int head = (int)Math.Min(length, ContentHashBytes);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(head);
        try
        {
            stream.Position = 0;
            stream.ReadExactly(buffer, 0, head);
            return ContentHash(buffer.AsSpan(0, head), length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static void AddPartStructure(ulong mimeTypeHash, long size, ulong nameHash, bool image, ulong contentHash, FingerprintAccumulator accumulator)
    {
        if (contentHash != 0)
        {
            accumulator.AddPayload(ContentFingerprint.PayloadKey(PayloadKind.Attachment, FingerprintHash.Combine(FingerprintHash.PayloadFileSalt, contentHash)), 0);
        }

        // Encoded size in KiB: identical images have identical sizes; a re-encoded one usually lands near.
        ulong kind = FingerprintHash.Combine(mimeTypeHash, (ulong)(size >> 10));
        if (image)
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

            AddText(raw, 0, read, content.Encoding, EncodingOf(part.ContentType), part.IsHtml, accumulator);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>Decodes the transfer encoding and the charset of a text part's content and tokenizes it.</summary>
    internal static void AddText(byte[] input, int start, int count, ContentEncoding transferEncoding, Encoding encoding, bool html, FingerprintAccumulator accumulator)
    {
        byte[]? decoded = null;
        char[]? chars = null;
        try
        {
            ReadOnlySpan<byte> bytes = input.AsSpan(start, count);
            IMimeDecoder? decoder = transferEncoding switch
            {
                ContentEncoding.Base64 => accumulator.Base64,
                ContentEncoding.QuotedPrintable => accumulator.QuotedPrintable,
                _ => null,
            };
            if (decoder is not null)
            {
                decoder.Reset();
                decoded = FingerprintAccumulator.RentBytes(decoder.EstimateOutputLength(count));
                int n = decoder.Decode(input, start, count, decoded);
                bytes = decoded.AsSpan(0, n);
            }

            chars = FingerprintAccumulator.RentChars(encoding.GetMaxCharCount(bytes.Length));
            int length = encoding.GetChars(bytes, chars);
            if (html)
            {
                length = HtmlText.ToText(chars.AsSpan(0, length), accumulator);
            }

            accumulator.EndParagraph();
            TextNormalizer.Tokenize(chars.AsSpan(0, length), accumulator);
            accumulator.EndParagraph();
        }
        finally
        {
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

        try
        {
            return contentType.CharsetEncoding ?? Encoding.UTF8;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return Encoding.UTF8;
        }
    }

    /// <summary><see cref="EncodingOf(ContentType)"/> for a charset name (the raw walker has no ContentType).</summary>
    internal static Encoding EncodingOf(string? charset)
    {
        if (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) ||
            charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            return Encoding.UTF8;
        }

        // Unknown or unsupported charsets: UTF-8 turns stray bytes into U+FFFD, which only costs a word.
        // MimeKit's charset table (aliases, code pages) through ContentType, which has it public.
        try
        {
            return new ContentType("text", "plain") { Charset = charset }.CharsetEncoding ?? Encoding.UTF8;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return Encoding.UTF8;
        }
    }
}
