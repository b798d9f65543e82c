using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Floodgate.Core.Fingerprinting;

/// <summary>
/// N cheap 32-bit permutations of a 64-bit feature hash, minimum kept per permutation.
/// Permutation i is x -> v ^ (v >> 16) with v = (x ^ s_i) * m_i, s_i and m_i (odd) drawn from a fixed
/// seed: a bijection per lane with one multiply, vectorised eight lanes at a time on AVX2. x is already
/// a fully mixed 64-bit hash folded to 32 bits, so one multiply decorrelates the lanes well enough;
/// ContentFingerprintTests checks the estimate against known Jaccard similarities.
/// </summary>
internal static class MinHash
{
    /// <summary>
    /// 128 values: a standard error of sqrt(J(1-J)/N) = 0.044 at J = 0.5 against 0.0625 for 64,
    /// at about 6 ns more per shingle (see bench/RESULTS.md). Changing it changes stored fingerprints.
    /// </summary>
    public const int Size = 128;

    private const ulong Seed = 0x466C6F6F64676174; // "Floodgat"

    private static readonly uint[] Xors = CreateSeeds(Seed, odd: false);
    private static readonly uint[] Multipliers = CreateSeeds(Seed ^ 0xA5A5A5A5A5A5A5A5, odd: true);

    public static void Reset(Span<uint> mins) => mins.Fill(uint.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(Span<uint> mins, ulong feature)
    {
        uint x = (uint)feature ^ (uint)(feature >> 32);
        ref uint min = ref MemoryMarshal.GetReference(mins);
        ref uint xor = ref MemoryMarshal.GetArrayDataReference(Xors);
        ref uint mul = ref MemoryMarshal.GetArrayDataReference(Multipliers);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vx = new Vector<uint>(x);
            for (; i <= Size - Vector<uint>.Count; i += Vector<uint>.Count)
            {
                var v = (vx ^ Vector.LoadUnsafe(ref xor, (nuint)i)) * Vector.LoadUnsafe(ref mul, (nuint)i);
                v ^= Vector.ShiftRightLogical(v, 16);
                Vector.Min(v, Vector.LoadUnsafe(ref min, (nuint)i)).StoreUnsafe(ref min, (nuint)i);
            }
        }

        for (; i < Size; i++)
        {
            uint v = (x ^ Unsafe.Add(ref xor, i)) * Unsafe.Add(ref mul, i);
            v ^= v >> 16;
            ref uint slot = ref Unsafe.Add(ref min, i);
            if (v < slot)
            {
                slot = v;
            }
        }
    }

    public static int CountEqual(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        int equal = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= a.Length - Vector<uint>.Count; i += Vector<uint>.Count)
            {
                var eq = Vector.Equals(new Vector<uint>(a[i..]), new Vector<uint>(b[i..]));
                equal -= (int)Vector.Sum(eq.As<uint, int>());
            }
        }

        for (; i < a.Length; i++)
        {
            if (a[i] == b[i])
            {
                equal++;
            }
        }

        return equal;
    }

    private static uint[] CreateSeeds(ulong seed, bool odd)
    {
        var values = new uint[Size];
        ulong state = seed;
        for (int i = 0; i < values.Length; i++)
        {
            // splitmix64: a fixed, documented sequence, so fingerprints are stable across releases.
            state += 0x9E3779B97F4A7C15;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            values[i] = odd ? (uint)z | 1u : (uint)z;
        }

        return values;
    }
}
