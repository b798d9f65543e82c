using System.Buffers;

namespace Floodgate.Protocols.Milter;

/// <summary>
/// Collects body chunks into one pooled buffer, for sessions that need the whole body (fingerprinting).
/// Grows by doubling up to <see cref="MaxSize"/>; beyond it the chunk is refused and
/// <see cref="Overflowed"/> is set. Reuse across messages with <see cref="Reset"/>; dispose to return
/// the buffer to the pool. Not thread-safe.
/// </summary>
public sealed class MilterBodyBuffer : IDisposable
{
    // Buffers above this size go back to the pool at Reset so one big message does not pin memory.
    private const int KeepSize = 256 * 1024;
    private byte[] _buffer = [];
    private int _length;

    public MilterBodyBuffer(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSize);
        MaxSize = maxSize;
    }

    public int MaxSize { get; }

    public int Length => _length;

    public bool Overflowed { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    /// <summary>Appends a chunk; false (and nothing appended) when it would pass <see cref="MaxSize"/>.</summary>
    public bool Append(ReadOnlySpan<byte> chunk)
    {
        if (Overflowed || chunk.Length > MaxSize - _length)
        {
            Overflowed = true;
            return false;
        }

        if (_length + chunk.Length > _buffer.Length)
        {
            var size = Math.Min(MaxSize, Math.Max(_length + chunk.Length, Math.Max(4096, _buffer.Length * 2)));
            var grown = ArrayPool<byte>.Shared.Rent(size);
            _buffer.AsSpan(0, _length).CopyTo(grown);
            Return();
            _buffer = grown;
        }

        chunk.CopyTo(_buffer.AsSpan(_length));
        _length += chunk.Length;
        return true;
    }

    public void Reset()
    {
        _length = 0;
        Overflowed = false;
        if (_buffer.Length > KeepSize)
        {
            Return();
            _buffer = [];
        }
    }

    public void Dispose()
    {
        Return();
        _buffer = [];
        _length = 0;
    }

    private void Return()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
