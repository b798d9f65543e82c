using System.Buffers;
using System.Text;
using Floodgate.Core.Complaints;
using Floodgate.Protocols.Content;

namespace Floodgate.Doors.Complaints;

/// <summary>
/// The RFC 9477 trace header fields Floodgate puts on every message it relays or passes:
/// <c>CFBL-Address: &lt;complaint address&gt;; report=arf</c> (when one is configured) and a signed
/// <c>CFBL-Feedback-ID</c> (<see cref="FeedbackId"/>). The provider's DKIM signer, downstream, must
/// sign both (RFC 9477 3.2); Floodgate does not sign the message itself.
/// </summary>
public sealed class TraceHeaders
{
    public const string FeedbackIdField = "CFBL-Feedback-ID";
    public const string AddressField = "CFBL-Address";

    private static ReadOnlySpan<byte> FeedbackIdPrefix => "CFBL-Feedback-ID: "u8;

    private readonly byte[]? _addressLine;

    public TraceHeaders(FeedbackId ids, string? address)
    {
        Ids = ids;
        AddressValue = string.IsNullOrWhiteSpace(address) ? null : address.Trim() + "; report=arf";
        _addressLine = AddressValue is null ? null : Encoding.ASCII.GetBytes(AddressField + ": " + AddressValue + "\r\n");
    }

    public FeedbackId Ids { get; }

    /// <summary>The <c>CFBL-Address</c> value, or null when no complaint address is set.</summary>
    public string? AddressValue { get; }

    /// <summary>Both fields as CRLF-ended lines, for a message that is written anew.</summary>
    public int Write(int mailboxId, DateTimeOffset at, Span<byte> destination)
    {
        var written = 0;
        if (_addressLine is not null)
        {
            _addressLine.CopyTo(destination);
            written = _addressLine.Length;
        }

        FeedbackIdPrefix.CopyTo(destination[written..]);
        written += FeedbackIdPrefix.Length;
        Ids.Write(mailboxId, at, destination[written..]);
        written += FeedbackId.Length;
        "\r\n"u8.CopyTo(destination[written..]);
        return written + 2;
    }

    public int MaxLength => (_addressLine?.Length ?? 0) + FeedbackIdPrefix.Length + FeedbackId.Length + 2;

    /// <summary>
    /// The message with our trace fields first and any CFBL-Feedback-ID or CFBL-Address the client
    /// wrote itself left out: a sender who copied another mailbox's genuine header would otherwise
    /// have its complaints blamed on that mailbox. One copy of the message through the spool (pooled
    /// memory, or a file for a big one); null when the spool cannot take it, and the caller relays the
    /// message as it came (the Message-ID is then the attribution's fallback).
    /// </summary>
    public MessageContent? Stamp(MessageContent message, int mailboxId, DateTimeOffset at, MessageSpool spool)
    {
        using var writer = spool.Begin();
        Span<byte> fields = stackalloc byte[MaxLength];
        if (!writer.Append(fields[..Write(mailboxId, at, fields)]))
            return null;

        var head = message.Head.Span;
        var end = CopyHeaderBlock(head, writer, out var ok);
        if (!ok)
            return null;

        if (message.TryGetMemory(out var memory))
        {
            if (!writer.Append(memory.Span[end..]))
                return null;
        }
        else
        {
            using var stream = message.OpenRead();
            stream.Position = end;
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    if (!writer.Append(buffer.AsSpan(0, read)))
                        return null;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return writer.Complete();
    }

    /// <summary>
    /// Appends the header block without the client's own CFBL fields (each with its folded lines);
    /// returns where in <paramref name="head"/> copying stopped. A header block longer than the head
    /// is copied up to the head's end, and the rest unchanged.
    /// </summary>
    private static int CopyHeaderBlock(ReadOnlySpan<byte> head, MessageWriter writer, out bool ok)
    {
        ok = true;
        var position = 0;
        var skipping = false;
        var copyFrom = 0;
        while (position < head.Length)
        {
            var lf = head[position..].IndexOf((byte)'\n');
            var lineEnd = lf < 0 ? head.Length : position + lf + 1;
            var line = head[position..lineEnd];
            var content = line.TrimEnd("\r\n"u8);
            var continuation = !content.IsEmpty && content[0] is (byte)' ' or (byte)'\t';
            if (content.IsEmpty)
            {
                // The blank line: the header block ends here.
                break;
            }

            if (!continuation)
            {
                var starts = IsField(content, FeedbackIdField) || IsField(content, AddressField);
                if (starts && !skipping)
                {
                    ok = writer.Append(head[copyFrom..position]);
                    if (!ok)
                        return 0;
                    skipping = true;
                }
                else if (!starts && skipping)
                {
                    skipping = false;
                    copyFrom = position;
                }
            }

            position = lineEnd;
        }

        if (skipping)
            copyFrom = position;
        ok = writer.Append(head[copyFrom..position]);
        return position;
    }

    private static bool IsField(ReadOnlySpan<byte> line, string name)
    {
        if (line.Length <= name.Length)
            return false;
        for (var i = 0; i < name.Length; i++)
        {
            if ((line[i] | 0x20) != (name[i] | 0x20))
                return false;
        }

        var rest = line[name.Length..].TrimStart(" \t"u8);
        return !rest.IsEmpty && rest[0] == (byte)':';
    }
}
