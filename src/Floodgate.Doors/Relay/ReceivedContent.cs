using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MimeKit;
using MimeKit.IO;

namespace Floodgate.Doors.Relay;

/// <summary>
/// The message as received, as a MIME entity that writes those bytes and nothing else: set as the
/// body of a header-less <see cref="MimeMessage"/>, it lets MailKit relay a message without
/// re-serialising the parsed one. MailKit 4.18 cannot send a raw stream and
/// <c>MimeMessage.WriteTo</c> is not virtual, but a message with no headers and loose compliance
/// writes its body's content only (once the body's header list has no body separator), and the
/// body's <c>WriteTo</c> is virtual.
/// Measured: re-serialising (Prepare's BestEncodingFilter, the header and part filters, the SIZE
/// measurement) was 13 % of the gateway's CPU per relayed message (bench/RESULTS.md, "Gateway: profile").
/// </summary>
internal sealed class ReceivedContent : MimeEntity
{
    private ReadOnlyMemory<byte> _bytes;

    public ReceivedContent()
        : base(new ContentType("application", "octet-stream"))
    {
        // The entity's own Content-Type header would be written before the content: drop it. Any
        // change to a HeaderList marks it as followed by a blank line, which MimeMessage.WriteTo
        // would then write before the content; MimeKit has no public way to say otherwise.
        Headers.Clear();
        SetHasBodySeparator(Headers, false);
    }

    public int Length => _bytes.Length;

    public void Set(ReadOnlyMemory<byte> bytes) => _bytes = bytes;

    /// <summary>Nothing to prepare: only messages <see cref="RelayFormat.IsRelayableAsReceived"/> accepts come here.</summary>
    public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
    {
    }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        var segment = Segment();
        if (stream is ICancellableStream cancellable)
        {
            cancellable.Write(segment.Array!, segment.Offset, segment.Count, cancellationToken);
        }
        else
        {
            cancellationToken.ThrowIfCancellationRequested();
            stream.Write(segment.Array!, segment.Offset, segment.Count);
        }
    }

    public override Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        var segment = Segment();
        return stream.WriteAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken);
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_HasBodySeparator")]
    private static extern void SetHasBodySeparator(HeaderList headers, bool value);

    private ArraySegment<byte> Segment() =>
        MemoryMarshal.TryGetArray(_bytes, out var segment) ? segment : new ArraySegment<byte>(_bytes.ToArray());
}
