using System.Buffers;
using Floodgate.Protocols.Content;

namespace Floodgate.Protocols.Smtp;

/// <summary>
/// DATA framing without a socket: takes message content off a receive buffer, dot-unstuffed
/// (RFC 5321 4.5.2), and finds the end-of-data line. Only CRLF "." CRLF ends the message: a "."
/// line after a bare LF is content, so a client cannot smuggle a second message past a different
/// parser. Content goes to the writer in runs as long as the buffer's segments (a stuffed dot
/// splits a run), not line by line. Past the size limit the content is read on to the end line and
/// dropped, and the writer is disposed at once, so what the message held goes back before its end.
/// </summary>
internal sealed class SmtpDataReader
{
    private MessageWriter? _writer;
    private long _maxLength;
    private long _length;
    private bool _atLineStart;
    private bool _previousLineEndedWithCrLf;
    private byte _previousByte;

    private enum EndLine : byte
    {
        No,
        Yes,
        NeedMore,
    }

    /// <summary>Octets of content kept so far (after unstuffing; not counting what passed the limit).</summary>
    public long Length => _length;

    /// <summary>The content passed the limit given to <see cref="Begin"/>; the rest is dropped.</summary>
    public bool TooBig { get; private set; }

    /// <summary>Starts a message: content goes to <paramref name="writer"/>, at most <paramref name="maxLength"/> octets.</summary>
    public void Begin(MessageWriter writer, long maxLength)
    {
        _writer = writer;
        _maxLength = maxLength;
        _length = 0;
        TooBig = false;
        _atLineStart = true;
        _previousLineEndedWithCrLf = true;
        _previousByte = (byte)'\n';
    }

    /// <summary>
    /// Consumes content from <paramref name="buffer"/> and returns true after the end-of-data line,
    /// with <paramref name="buffer"/> sliced to what follows it (pipelined commands). False: all of
    /// it was content, or the last bytes may begin the end line and stay in <paramref name="buffer"/>.
    /// </summary>
    public bool Read(ref ReadOnlySequence<byte> buffer)
    {
        var position = buffer.Start;
        while (true)
        {
            var segmentStart = position;
            if (!buffer.TryGet(ref position, out var memory))
            {
                break;
            }

            var span = memory.Span;
            var run = 0;
            var i = 0;
            while (i < span.Length)
            {
                if (_atLineStart)
                {
                    _atLineStart = false;
                    if (span[i] != (byte)'.')
                    {
                        continue;
                    }

                    Append(span[run..i]);
                    if (_previousLineEndedWithCrLf)
                    {
                        var rest = buffer.Slice(buffer.GetPosition(i, segmentStart));
                        var end = IsEndLine(rest);
                        if (end == EndLine.Yes)
                        {
                            buffer = rest.Slice(3);
                            return true;
                        }

                        if (end == EndLine.NeedMore)
                        {
                            // Could still be the end line; wait for the rest.
                            _atLineStart = true;
                            buffer = rest;
                            return false;
                        }
                    }

                    // The leading dot of a line is the stuffing; the rest of the line is content.
                    run = ++i;
                    continue;
                }

                var lf = span[i..].IndexOf((byte)'\n');
                if (lf < 0)
                {
                    break;
                }

                i += lf;
                _previousLineEndedWithCrLf = (i > 0 ? span[i - 1] : _previousByte) == (byte)'\r';
                i++;
                _atLineStart = true;
            }

            Append(span[run..]);
            if (!span.IsEmpty)
            {
                _previousByte = span[^1];
            }
        }

        buffer = buffer.Slice(buffer.End);
        return false;
    }

    private static EndLine IsEndLine(ReadOnlySequence<byte> rest)
    {
        Span<byte> head = stackalloc byte[3];
        var available = (int)Math.Min(3, rest.Length);
        rest.Slice(0, available).CopyTo(head);
        if (!".\r\n"u8.StartsWith(head[..available]))
        {
            return EndLine.No;
        }

        return available == 3 ? EndLine.Yes : EndLine.NeedMore;
    }

    private void Append(ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty || TooBig)
        {
            return;
        }

        if (content.Length > _maxLength - _length)
        {
            TooBig = true;
            _writer!.Dispose();
            return;
        }

        _length += content.Length;

        // False: the spool cannot hold the message; the writer discards from here on and says so.
        _writer!.Append(content);
    }
}
