using System.Buffers;
using System.Text;
using MimeKit;

namespace Floodgate.Core.Bounces;

public static partial class BounceClassifier
{
    /// <summary>The MIME parts that matter, bounded in count, depth and bytes read.</summary>
    internal sealed class Parts
    {
        // A marker, never used to decode: ReadText picks UTF-8 or Latin-1 by the bytes.
        private static readonly Encoding NoCharset = Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);

        private int _visited;

        public StringBuilder DeliveryStatus { get; } = new();

        public string? FeedbackReport { get; private set; }

        public StringBuilder Text { get; } = new();

        public string? Html { get; private set; }

        public HeaderList? OriginalHeaders { get; private set; }

        public void Walk(MimeEntity? entity, int depth)
        {
            if (entity is null || depth > MaxDepth || ++_visited > MaxParts)
                return;
            switch (entity)
            {
                case Multipart multipart:
                    foreach (var child in multipart)
                        Walk(child, depth + 1);
                    break;
                case MessagePart messagePart:
                    // The returned message (message/rfc822, message/global, text/rfc822-headers): its headers only.
                    // Its body is the sender's own text and must not be read as the bounce's.
                    OriginalHeaders ??= messagePart.Message?.Headers;
                    break;
                case MimePart part:
                    Read(part);
                    break;
            }
        }

        private void Read(MimePart part)
        {
            var type = part.ContentType;
            if (type.IsMimeType("message", "delivery-status") || type.IsMimeType("message", "global-delivery-status"))
            {
                // RFC 6533 §6: the global form is UTF-8; the classic form is ASCII, which UTF-8 reads the same.
                DeliveryStatus.Append(ReadText(part, Encoding.UTF8)).Append("\n\n");
            }
            else if (type.IsMimeType("message", "feedback-report"))
            {
                FeedbackReport ??= ReadText(part, Encoding.UTF8);
            }
            else if (type.IsMimeType("text", "rfc822-headers") || type.IsMimeType("message", "global-headers"))
            {
                OriginalHeaders ??= LoadHeaders(ReadText(part, Encoding.UTF8));
            }
            else if (type.IsMimeType("text", "html"))
            {
                Html ??= ReadText(part, Charset(part));
            }
            else if (type.IsMimeType("text", "*") && Text.Length < MaxTextBytes)
            {
                var text = ReadText(part, Charset(part));
                // A later text part that starts with header fields is the returned message sent as plain text
                // (qmail and Yahoo do this): its addresses are the sender's, not failed recipients.
                if (Text.Length > 0 && LooksLikeMessage(text))
                    OriginalHeaders ??= LoadHeaders(text);
                else
                    Text.Append(text).Append('\n');
            }
        }

        private static HeaderList? LoadHeaders(string text)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text + "\n\n"));
            try
            {
                return HeaderList.Load(ParserOptions.Default, stream);
            }
            catch (FormatException)
            {
                // Unreadable returned headers: only the fallback recipient guess is lost.
                return null;
            }
        }

        private static bool LooksLikeMessage(string text)
        {
            var start = text.AsSpan().TrimStart();
            foreach (var name in (ReadOnlySpan<string>)["Received:", "Return-Path:", "From:", "Message-ID:", "Date:", "MIME-Version:", "DKIM-Signature:"])
            {
                if (start.StartsWith(name, StringComparison.OrdinalIgnoreCase))
                    return true;
            }

            return false;
        }

        private static Encoding Charset(MimePart part)
        {
            try
            {
                // No charset: UTF-8 when the bytes are UTF-8 (most 8-bit bounces today), Latin-1 otherwise (ReadText).
                return part.ContentType.Charset is null ? NoCharset : part.ContentType.CharsetEncoding ?? Encoding.Latin1;
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                return Encoding.Latin1;
            }
        }

        private static string ReadText(MimePart part, Encoding encoding)
        {
            if (part.Content is null)
                return "";
            var buffer = ArrayPool<byte>.Shared.Rent(MaxTextBytes);
            try
            {
                using var stream = part.Content.Open();
                var read = 0;
                int n;
                while (read < MaxTextBytes && (n = stream.Read(buffer, read, MaxTextBytes - read)) > 0)
                    read += n;
                if (ReferenceEquals(encoding, NoCharset))
                    encoding = System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, read)) ? Encoding.UTF8 : Encoding.Latin1;
                return encoding.GetString(buffer, 0, read);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
