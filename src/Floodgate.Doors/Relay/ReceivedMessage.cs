using System.Runtime.InteropServices;
using MimeKit;

namespace Floodgate.Doors.Relay;

/// <summary>A received message as MimeKit's object model, for the relays that need it.</summary>
internal static class ReceivedMessage
{
    // One parser per thread, reset per message: MimeParser's buffers are what Load would allocate anew.
    [ThreadStatic]
    private static MimeParser? t_parser;

    /// <summary>
    /// Parsed persistently: part contents are windows onto <paramref name="received"/> (no copy), so the
    /// message is valid only as long as those bytes are. Throws FormatException as MimeKit does.
    /// </summary>
    public static MimeMessage Parse(ReadOnlyMemory<byte> received)
    {
        var stream = MemoryMarshal.TryGetArray(received, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(received.ToArray(), writable: false);
        var parser = t_parser ??= new MimeParser(Stream.Null, persistent: true);
        try
        {
            parser.SetStream(stream, MimeFormat.Entity, persistent: true);
            return parser.ParseMessage();
        }
        finally
        {
            // The message keeps its own references to the stream; the parser lets go of it.
            parser.SetStream(Stream.Null, MimeFormat.Entity, persistent: true);
        }
    }
}
