namespace Floodgate.LoadGen.Measurement;

/// <summary>
/// Log-bucketed latency histogram in the spirit of HdrHistogram: each power of two of
/// microseconds is split into 32 linear sub-buckets, so a recorded value is off by at most
/// 1/32 (about 3%). Recording is one array increment; one instance per worker, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    // 2^38 µs is about three days: far beyond any run.
    private const int Exponents = 38;

    private readonly long[] _counts = new long[(Exponents + 1) * SubBuckets];

    public long Count { get; private set; }

    public long MaxMicroseconds { get; private set; }

    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }

        _counts[IndexOf(microseconds)]++;
        Count++;
        if (microseconds > MaxMicroseconds)
        {
            MaxMicroseconds = microseconds;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxMicroseconds = Math.Max(MaxMicroseconds, other.MaxMicroseconds);
    }

    /// <summary>The upper edge of the bucket holding the given quantile (0..1), in microseconds.</summary>
    public double Quantile(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(quantile * Count);
        if (rank < 1)
        {
            rank = 1;
        }

        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperEdgeOf(i), MaxMicroseconds);
            }
        }

        return MaxMicroseconds;
    }

    private static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        // Position of the highest set bit decides the exponent; the next SubBucketBits bits the sub-bucket.
        var highBit = 63 - (int)long.LeadingZeroCount(value);
        var shift = highBit - SubBucketBits;
        var sub = (int)(value >> shift) & (SubBuckets - 1);
        var exponent = shift + 1;
        return Math.Min(exponent, Exponents) * SubBuckets + sub;
    }

    private static double UpperEdgeOf(int index)
    {
        var exponent = index / SubBuckets;
        var sub = index % SubBuckets;
        if (exponent == 0)
        {
            return sub;
        }

        var shift = exponent - 1;
        var low = (long)(SubBuckets + sub) << shift;
        return low + (1L << shift) - 1;
    }
}
