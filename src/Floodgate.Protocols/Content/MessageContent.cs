using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Floodgate.Protocols.Content;

/// <summary>
/// One complete message, in memory or in a spool file, with the facts found while it arrived.
/// Dispose gives its buffers back and deletes its file; streams from <see cref="OpenRead"/> fail
/// from then on. Reading (several streams at once included) is thread-safe; Dispose is not.
/// </summary>
public sealed class MessageContent : IDisposable
{
    private readonly MessageSpool _spool;
    private readonly ContentScan _scan;
    private byte[]? _buffer;
    private readonly int _capacity;
    private readonly int _buffered;
    private SafeFileHandle? _file;
    private readonly long _spooled;
    private bool _disposed;

    internal MessageContent(MessageSpool spool, byte[]? buffer, int capacity, int buffered, long length, SafeFileHandle? file, long spooled, in ContentScan scan)
    {
        _spool = spool;
        _buffer = buffer;
        _capacity = capacity;
        _buffered = buffered;
        Length = length;
        _file = file;
        IsSpooled = file is not null;
        _spooled = spooled;
        _scan = scan;
    }

    public long Length { get; }

    /// <summary>True when the content is in a spool file; <see cref="TryGetMemory"/> is then false.</summary>
    public bool IsSpooled { get; }

    /// <summary>The first min(Length, 64 KiB) octets, always in memory: enough to read the header block.</summary>
    public ReadOnlyMemory<byte> Head
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _buffer.AsMemory(0, Math.Min(_buffered, MessageSpool.HeadSize));
        }
    }

    /// <summary>An LF not preceded by CR (RFC 5321 2.3.8: SMTP lines end in CRLF).</summary>
    public bool HasBareLineFeed => _scan.HasBareLineFeed;

    /// <summary>The longest line in octets, without its line end (RFC 5321 4.5.3.1.6: at most 998).</summary>
    public int LongestLine => _scan.LongestLine;

    public bool HasNul => _scan.HasNul;

    /// <summary>An octet of 0x80 or above (RFC 6152: the message needs BODY=8BITMIME).</summary>
    public bool HasEightBit => _scan.HasEightBit;

    /// <summary>The whole content in one piece, when it is in memory.</summary>
    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsSpooled)
        {
            memory = default;
            return false;
        }

        memory = _buffer.AsMemory(0, _buffered);
        return true;
    }

    /// <summary>A new read-only, seekable stream over the whole content, memory or file; each has its own position.</summary>
    public Stream OpenRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new MessageContentStream(this);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _spool.ReleaseMemory(_capacity);
            _buffer = null;
        }

        if (_file is not null)
        {
            // The handle was opened DeleteOnClose: closing it deletes the file.
            _file.Dispose();
            _file = null;
            _spool.ReleaseSpool(_spooled);
        }
    }

    internal int Read(long position, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var count = (int)Math.Min(destination.Length, Math.Max(0, Length - position));
        if (count == 0)
        {
            return 0;
        }

        if (_file is null)
        {
            _buffer.AsSpan((int)position, count).CopyTo(destination);
            return count;
        }

        return RandomAccess.Read(_file, destination[..count], position);
    }

    internal ValueTask<int> ReadAsync(long position, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_file is null)
        {
            return ValueTask.FromResult(Read(position, destination.Span));
        }

        var count = (int)Math.Min(destination.Length, Math.Max(0, Length - position));
        return count == 0 ? ValueTask.FromResult(0) : RandomAccess.ReadAsync(_file, destination[..count], position, cancellationToken);
    }
}
