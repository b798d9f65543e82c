using System.Globalization;

namespace Floodgate.EndToEnd.Tests.Bounds;

// Also compiled into bench/Floodgate.LoadGen (see BigMessageLoad.cs).

/// <summary>
/// Resident memory of one process from /proc/PID/status: VmRSS now, VmHWM its peak since it
/// started (the kernel's own maximum, so a peak between two samples is not missed).
/// </summary>
public static class ResidentMemory
{
    public static long RssKilobytes(int pid) => Read(pid, "VmRSS");

    public static long PeakKilobytes(int pid) => Read(pid, "VmHWM");

    public static int Threads(int pid) => (int)Read(pid, "Threads");

    private static long Read(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal) && line.Length > field.Length && line[field.Length] == ':')
                {
                    var digits = line.AsSpan(field.Length + 1).Trim();
                    var space = digits.IndexOf(' ');
                    return long.Parse(space > 0 ? digits[..space] : digits, NumberStyles.Integer, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process has ended: it holds nothing.
        }

        return 0;
    }
}

/// <summary>
/// Samples a process's VmRSS every interval until disposed, keeping the peak, the last VmHWM, and
/// the first time VmRSS passed a <see cref="Limit"/>, when one is set; <c>passed</c> is called
/// once then, so a load can stop instead of taking the machine.
/// </summary>
public sealed class ResidentMemorySampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _limitKilobytes = long.MaxValue;
    private readonly Action? _passed;
    private readonly DateTime _started = DateTime.UtcNow;

    public ResidentMemorySampler(int pid, TimeSpan interval, Action? passed = null)
    {
        _pid = pid;
        _passed = passed;
        _sampling = SampleAsync(interval);
    }

    public long PeakRssKilobytes { get; private set; }

    /// <summary>VmHWM at the last sample: the process's peak since it started.</summary>
    public long HighWaterKilobytes { get; private set; }

    /// <summary>When VmRSS first passed the limit, from the sampler's start; null if it never did.</summary>
    public TimeSpan? PassedLimitAfter { get; private set; }

    public int Samples { get; private set; }

    /// <summary>The most threads the process had at a sample.</summary>
    public int PeakThreads { get; private set; }

    /// <summary>Sets the limit VmRSS is checked against from the next sample on.</summary>
    public void Limit(long kilobytes) => Volatile.Write(ref _limitKilobytes, kilobytes);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private async Task SampleAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        while (true)
        {
            Sample();
            try
            {
                if (!await timer.WaitForNextTickAsync(_stop.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                Sample();
                return;
            }
        }
    }

    private void Sample()
    {
        var rss = ResidentMemory.RssKilobytes(_pid);
        var peak = ResidentMemory.PeakKilobytes(_pid);
        Samples++;
        PeakThreads = Math.Max(PeakThreads, ResidentMemory.Threads(_pid));
        PeakRssKilobytes = Math.Max(PeakRssKilobytes, rss);
        HighWaterKilobytes = Math.Max(HighWaterKilobytes, peak);
        if (rss > Volatile.Read(ref _limitKilobytes) && PassedLimitAfter is null)
        {
            PassedLimitAfter = DateTime.UtcNow - _started;
            _passed?.Invoke();
        }
    }
}
