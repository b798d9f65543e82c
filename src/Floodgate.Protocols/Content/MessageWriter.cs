using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Floodgate.Protocols.Content;

/// <summary>
/// Collects one message as it arrives. In memory first, in a pooled buffer that doubles up to the
/// spool's threshold; past the threshold, or when the memory budget cannot take the next doubling,
/// the content moves to a spool file, written sequentially, and only its head stays in memory.
/// When the spool budget cannot take it either, the message is over budget: what it held is given
/// back at once and the rest is discarded. Not thread-safe.
/// </summary>
public sealed class MessageWriter : IDisposable
{
    // 16 KiB holds most mail in one buffer without growing; the pool hands the same arrays back.
    private const int InitialCapacity = 16 * 1024;

    private readonly MessageSpool _spool;
    private byte[]? _buffer;
    private int _capacity;
    private int _buffered;
    private long _length;
    private SafeFileHandle? _file;
    private long _spooled;
    private ContentScan _scan;
    private State _state;

    internal MessageWriter(MessageSpool spool) => _spool = spool;

    private enum State : byte
    {
        Writing,
        OverBudget,
        Completed,
        Disposed,
    }

    /// <summary>Octets appended so far (also those of a message over budget).</summary>
    public long Length => _length;

    public bool IsSpooled => _file is not null;

    /// <summary>The spool could not hold the message: nothing of it is kept and <see cref="Complete"/> throws.</summary>
    public bool OverBudget => _state == State.OverBudget;

    /// <summary>Appends content. False once the message cannot be kept (see <see cref="OverBudget"/>).</summary>
    public bool Append(ReadOnlySpan<byte> bytes)
    {
        if (_state != State.Writing)
        {
            ObjectDisposedException.ThrowIf(_state is State.Disposed or State.Completed, this);
            _length += bytes.Length;
            return false;
        }

        if (bytes.IsEmpty)
        {
            return true;
        }

        _scan.Observe(bytes);
        if (_file is null)
        {
            var needed = _length + bytes.Length;
            if (needed <= _spool.MemoryThreshold && (needed <= _capacity || TryGrow((int)needed, _spool.MemoryThreshold)))
            {
                bytes.CopyTo(_buffer.AsSpan(_buffered));
                _buffered = (int)needed;
                _length = needed;
                return true;
            }

            if (!TryMoveToFile(bytes.Length))
            {
                _length += bytes.Length;
                return GiveUp();
            }

            return WriteToFile(bytes, reserved: true);
        }

        return WriteToFile(bytes, reserved: false);
    }

    /// <summary>The content, handed over: the writer holds nothing afterwards.</summary>
    public MessageContent Complete()
    {
        ObjectDisposedException.ThrowIf(_state is State.Disposed or State.Completed, this);
        if (_state == State.OverBudget)
        {
            throw new InvalidOperationException("The message was over the spool's budget; nothing of it was kept.");
        }

        var content = new MessageContent(_spool, _buffer, _capacity, _buffered, _length, _file, _spooled, in _scan);
        _buffer = null;
        _capacity = 0;
        _file = null;
        _spooled = 0;
        _state = State.Completed;
        return content;
    }

    /// <summary>Gives back whatever an uncompleted message held; nothing after <see cref="Complete"/>.</summary>
    public void Dispose()
    {
        if (_state is State.Writing or State.OverBudget)
        {
            Release();
            _state = State.Disposed;
        }
    }

    private bool TryGrow(int needed, int limit)
    {
        long capacity = Math.Max(InitialCapacity, _capacity * 2L);
        while (capacity < needed)
        {
            capacity *= 2;
        }

        capacity = Math.Min(capacity, limit);

        // The head would be kept in memory anyway, so growth up to its size is never refused.
        if (capacity <= MessageSpool.HeadSize)
        {
            _spool.ReserveMemory(capacity);
        }
        else if (!_spool.TryReserveMemory(capacity))
        {
            return false;
        }

        var grown = ArrayPool<byte>.Shared.Rent((int)capacity);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _buffered).CopyTo(grown);
            ReturnBuffer();
        }

        _buffer = grown;
        _capacity = (int)capacity;
        return true;
    }

    /// <summary>Moves what is in memory to a new file, with room reserved for the chunk that did not fit.</summary>
    private bool TryMoveToFile(int incoming)
    {
        if (!_spool.TryReserveSpool(_length + incoming))
        {
            return false;
        }

        _spooled = _length + incoming;
        try
        {
            _file = _spool.CreateFile();
            if (_buffered > 0)
            {
                RandomAccess.Write(_file, _buffer.AsSpan(0, _buffered), fileOffset: 0);
                _spool.Written(_buffered);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _spool.FileFailed(e);
            return false;
        }

        // Only the head stays in memory: a smaller buffer is kept as it is (and grows to the head's
        // size as content comes), a bigger one gives its first 64 KiB to a buffer of that size.
        _buffered = (int)Math.Min(_buffered, MessageSpool.HeadSize);
        if (_capacity > MessageSpool.HeadSize)
        {
            _spool.ReserveMemory(MessageSpool.HeadSize);
            var head = ArrayPool<byte>.Shared.Rent(MessageSpool.HeadSize);
            _buffer.AsSpan(0, _buffered).CopyTo(head);
            ReturnBuffer();
            _buffer = head;
            _capacity = MessageSpool.HeadSize;
        }

        return true;
    }

    private bool WriteToFile(ReadOnlySpan<byte> bytes, bool reserved)
    {
        if (!reserved)
        {
            if (!_spool.TryReserveSpool(bytes.Length))
            {
                _length += bytes.Length;
                return GiveUp();
            }

            _spooled += bytes.Length;
        }

        try
        {
            RandomAccess.Write(_file!, bytes, _length);
            _spool.Written(bytes.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _spool.FileFailed(e);
            _length += bytes.Length;
            return GiveUp();
        }

        if (_buffered < MessageSpool.HeadSize)
        {
            var part = bytes[..Math.Min(bytes.Length, MessageSpool.HeadSize - _buffered)];
            if (_buffered + part.Length > _capacity)
            {
                _ = TryGrow(_buffered + part.Length, MessageSpool.HeadSize); // never refused up to the head size
            }

            part.CopyTo(_buffer.AsSpan(_buffered));
            _buffered += part.Length;
        }

        _length += bytes.Length;
        return true;
    }

    private bool GiveUp()
    {
        _spool.Refused();
        Release();
        _state = State.OverBudget;
        return false;
    }

    private void Release()
    {
        ReturnBuffer();
        _buffer = null;
        _capacity = 0;
        _buffered = 0;
        if (_file is not null)
        {
            _file.Dispose();
            _file = null;
        }

        if (_spooled > 0)
        {
            _spool.ReleaseSpool(_spooled);
            _spooled = 0;
        }
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _spool.ReleaseMemory(_capacity);
        }
    }
}
