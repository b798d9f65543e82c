using System.Numerics;

namespace Floodgate.Core.Detection;

/// <summary>
/// The external recipients a mailbox has written to, compactly: two generations of a Bloom filter.
/// The current one learns; when it holds <see cref="Capacity"/> recipients it becomes the previous one
/// and a fresh one starts, so the last <see cref="Capacity"/> to 2 × <see cref="Capacity"/> distinct
/// recipients are known. A false "known" (about 1 % at capacity) only makes a burst look smaller; a
/// forgotten recipient looks new again, as a correspondent not written to for months is.
/// Not thread-safe: the owner's lock guards it.
/// </summary>
internal sealed class RecipientMemory
{
    private const int Probes = 4;

    private ulong[] _current;
    private ulong[] _previous;
    private int _count;

    /// <param name="bytes">Both generations together; a multiple of 16.</param>
    public RecipientMemory(int bytes)
    {
        var words = Math.Max(2, bytes / 16);
        _current = new ulong[words];
        _previous = new ulong[words];
        // About 10 bits per recipient: four probes then miss ~1 % at capacity.
        Capacity = Math.Max(16, words * 64 / 10);
    }

    public int Capacity { get; }

    /// <summary>Recipients learned into the current generation.</summary>
    public int Count => _count;

    public int Bytes => (_current.Length + _previous.Length) * 8;

    public bool Contains(ulong recipient) => Has(_current, recipient) || Has(_previous, recipient);

    /// <summary>Learns one recipient; true when it was new.</summary>
    public bool Add(ulong recipient)
    {
        if (Contains(recipient))
        {
            return false;
        }

        if (_count >= Capacity)
        {
            (_previous, _current) = (_current, _previous);
            Array.Clear(_current);
            _count = 0;
        }

        var bits = _current.Length * 64;
        var h = Mix(recipient);
        for (var i = 0; i < Probes; i++)
        {
            var bit = (int)((h & 0xFFFFFFFF) % (uint)bits);
            _current[bit >> 6] |= 1UL << bit;
            h = BitOperations.RotateRight(h, 17) * 0x9E3779B97F4A7C15;
        }

        _count++;
        return true;
    }

    /// <summary>Both generations and the count, for a snapshot.</summary>
    public void CopyTo(Span<ulong> destination, out int count)
    {
        _current.CopyTo(destination);
        _previous.CopyTo(destination[_current.Length..]);
        count = _count;
    }

    /// <summary>Restores <see cref="CopyTo"/>; false when the sizes differ (the setting changed).</summary>
    public bool TryRestore(ReadOnlySpan<ulong> words, int count)
    {
        if (words.Length != _current.Length + _previous.Length || count < 0 || count > Capacity)
        {
            return false;
        }

        words[.._current.Length].CopyTo(_current);
        words[_current.Length..].CopyTo(_previous);
        _count = count;
        return true;
    }

    // The engine's address hash is FNV-1a, whose low bits are weak: mix before probing.
    private static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCD;
        h ^= h >> 33;
        return h;
    }

    private static bool Has(ulong[] filter, ulong recipient)
    {
        var bits = filter.Length * 64;
        var h = Mix(recipient);
        for (var i = 0; i < Probes; i++)
        {
            var bit = (int)((h & 0xFFFFFFFF) % (uint)bits);
            if ((filter[bit >> 6] & (1UL << bit)) == 0)
            {
                return false;
            }

            h = BitOperations.RotateRight(h, 17) * 0x9E3779B97F4A7C15;
        }

        return true;
    }
}
