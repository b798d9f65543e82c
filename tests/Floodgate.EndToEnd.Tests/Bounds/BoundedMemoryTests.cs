using System.Globalization;
using Floodgate.EndToEnd.Tests.Attacks;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Floodgate.Protocols.Content;
using Xunit.Abstractions;

namespace Floodgate.EndToEnd.Tests.Bounds;

/// <summary>
/// Resident memory of the real `floodgate serve` while many connections each send a message far
/// over the spool's memory threshold, all at once: it must stay under what the spool's budgets
/// allow, and every connection must get its answer. bench/load/bounds.sh runs the same load
/// (BigMessageLoad) at 2,000 × 30 MB and reports the figures.
/// </summary>
public sealed class BoundedMemoryTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;
    private const int Connections = 2000;
    private const int MessageBytes = 30_000_000;
    private const string Sender = "sender@bounds.test";

    // The spool files' budget: 2 GiB of disk, room for ~70 messages of 30 MB at once; the rest are
    // refused with 452 4.3.1 after their content was read. Memory: the default 256 MiB.
    private const long MaxSpoolBytes = 2048 * MiB;
    private const long MaxMemoryBytes = 256 * MiB;

    // The bound on serve's VmRSS, term by term:
    //   base          VmRSS with every connection open and in DATA and no content sent yet, or idle
    //                 if that is higher (measured in the run): the process and what connections cost.
    //   SpoolMemory   the most content the spool may hold in memory: MaxMemoryBytes, and the head
    //                 (first 64 KiB) of every message, which is never refused.
    //   PoolRetained  buffers the spool gave back that ArrayPool<byte>.Shared keeps for reuse, which
    //                 the spool no longer counts: for each size it uses (16 KiB doubling up to
    //                 MemoryThreshold, 2,032 KiB in all), 32 per core and one per thread that
    //                 returned one (PoolThreads allowed; serve runs about 25).
    //   GcHeadroom    garbage not yet collected (buffers the full pool dropped when 2,000 messages
    //                 outgrew theirs at once), the relay's MailKit clients and persistent parses:
    //                 128 MiB, about twice the most seen (bench/RESULTS.md, "Bounded memory").
    private const long SpoolMemory = MaxMemoryBytes + (Connections * (long)MessageSpool.HeadSize);
    private const int PoolThreads = 64;
    private const long PoolSizes = (16 + 32 + 64 + 128 + 256 + 512 + 1024) * 1024L;
    private const long GcHeadroom = 128 * MiB;

    private static long PoolRetained => ((Environment.ProcessorCount * 32L) + PoolThreads) * PoolSizes;

    [Fact]
    public async Task ResidentMemoryStaysWithinTheSpoolBudgetsWhile2000ConnectionsEachSend30MB()
    {
        await using var upstream = new DiscardingUpstream();
        await using var fg = new FloodgateProcess();
        await ServerState.AddClientAsync(fg, "Bounds", ServerState.Wide(), ["bounds.test"], [Sender]);
        Submission.DetectorOff(fg);
        fg.Environment["FLOODGATE_Smtp__MaxConnectionsPerAddress"] = Connections.ToString(CultureInfo.InvariantCulture);
        fg.Environment["FLOODGATE_Spool__MaxSpoolBytes"] = MaxSpoolBytes.ToString(CultureInfo.InvariantCulture);
        fg.Environment["FLOODGATE_Spool__MaxMemoryBytes"] = MaxMemoryBytes.ToString(CultureInfo.InvariantCulture);
        // Every message fingerprinted (one recipient is under the detector's default of 5), so the
        // persistent parse of each spooled message is part of what is measured.
        fg.Environment["FLOODGATE_Detection__MinTrackedRecipients"] = "1";
        // The relay's deadline covers the whole content: with both cores busy receiving, a 30 MB
        // message may take longer than the default 30 s to cross to the upstream (451 4.4.2).
        fg.Environment["FLOODGATE_Upstream__Timeout"] = "00:05:00";
        await fg.StartAsync(["--upstream", upstream.Url, "--trusted", "127.0.0.1/32", .. Submission.PrivateDoors]);
        var pid = fg.Pid;

        // Idle: after one small message, so what the first message JITs and allocates is in it.
        Assert.Equal("250 2.0.0", await SmallMessageAsync(fg));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var idle = ResidentMemory.RssKilobytes(pid) * 1024;
        var upstreamBefore = upstream.Messages;
        var octetsBefore = upstream.Octets;

        long inData = 0;
        long bound = long.MaxValue;
        using var stop = new CancellationTokenSource();
        var sampler = new ResidentMemorySampler(pid, TimeSpan.FromMilliseconds(50), passed: stop.Cancel);
        BigMessageLoadResult result;
        try
        {
            result = await new BigMessageLoad(new BigMessageLoadOptions
            {
                Target = fg.Smtp,
                Connections = Connections,
                MessageBytes = MessageBytes,
                Sender = Sender,
                Timeout = TimeSpan.FromMinutes(4),
                AllInData = async () =>
                {
                    // Every connection open and in DATA, no content yet: what the connections cost.
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    inData = ResidentMemory.RssKilobytes(pid) * 1024;
                    bound = Math.Max(idle, inData) + SpoolMemory + PoolRetained + GcHeadroom;
                    sampler.Limit(bound / 1024);
                },
            }).RunAsync(stop.Token);
        }
        finally
        {
            await sampler.DisposeAsync();
        }

        var peak = Math.Max(sampler.PeakRssKilobytes, sampler.HighWaterKilobytes) * 1024;
        var metrics = await MetricsAsync(fg);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"idle {idle / MiB} MiB; {result.InData} connections in DATA {inData / MiB} MiB ({(inData - idle) / result.InData / 1024} KiB each); " +
            $"peak VmRSS {sampler.PeakRssKilobytes / 1024} MiB, VmHWM {sampler.HighWaterKilobytes / 1024} MiB, threads {sampler.PeakThreads}; " +
            $"bound {bound / MiB} MiB = base {Math.Max(idle, inData) / MiB} + spool {SpoolMemory / MiB} + pool {PoolRetained / MiB} + GC {GcHeadroom / MiB}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"spool: peak memory {metrics.GetValueOrDefault("floodgate_spool_memory_peak_bytes") / MiB:0} MiB, peak files {metrics.GetValueOrDefault("floodgate_spool_file_peak_bytes") / MiB:0} MiB, " +
            $"written {metrics.GetValueOrDefault("floodgate_spool_written_bytes_total") / MiB:0} MiB, refused {metrics.GetValueOrDefault("floodgate_spool_refused_total")}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replies {string.Join(", ", result.Replies.Select(r => $"{r.Key}: {r.Value}"))}; upstream received {upstream.Messages - upstreamBefore} ({(upstream.Octets - octetsBefore) / 1e6:0} MB); " +
            $"{result.OctetsSent / 1e9:0.0} GB sent in {result.Elapsed.TotalSeconds:0.0} s"));
        foreach (var example in result.Examples)
        {
            output.WriteLine("  " + example);
        }

        Assert.True(sampler.PassedLimitAfter is null, string.Create(CultureInfo.InvariantCulture,
            $"VmRSS passed the bound of {bound / MiB} MiB after {sampler.PassedLimitAfter?.TotalSeconds:0.0} s (the load was stopped there)"));
        Assert.True(peak <= bound, string.Create(CultureInfo.InvariantCulture, $"peak {peak / MiB} MiB over the bound of {bound / MiB} MiB"));
        Assert.InRange(metrics.GetValueOrDefault("floodgate_spool_memory_peak_bytes"), 1, SpoolMemory);
        Assert.True(sampler.PeakThreads <= PoolThreads, $"serve ran {sampler.PeakThreads} threads, more than the bound allows for");

        // Every connection answered, each relayed or refused for storage; none dropped.
        Assert.Equal(Connections, result.InData);
        var relayed = result.Count("250 2.0.0");
        Assert.Equal(Connections, relayed + result.Count("452 4.3.1"));
        Assert.True(relayed > 0, "no message was relayed: the spooled relay was not exercised");
        Assert.Equal(relayed, upstream.Messages - upstreamBefore);

        // Each whole: MailKit writes the parsed message again, headers refolded at most.
        Assert.InRange(upstream.Octets - octetsBefore, relayed * (MessageBytes - 1000L), relayed * (MessageBytes + 1000L));

        // Still up, still serving, and nothing left in the spool.
        Assert.True(fg.IsRunning, "serve exited");
        Assert.Equal("250 2.0.0", await SmallMessageAsync(fg));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(fg.DataDirectory, "spool")));
    }

    private static async Task<string> SmallMessageAsync(FloodgateProcess fg)
    {
        var small = await new BigMessageLoad(new BigMessageLoadOptions
        {
            Target = fg.Smtp,
            Connections = 1,
            MessageBytes = 5_000,
            Sender = Sender,
            Timeout = TimeSpan.FromSeconds(30),
        }).RunAsync(CancellationToken.None);
        return Assert.Single(small.Replies).Key;
    }

    /// <summary>The unlabelled samples of /metrics, name to value.</summary>
    private static async Task<Dictionary<string, double>> MetricsAsync(FloodgateProcess fg)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(fg.Web, "/metrics"));
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && !line.StartsWith('#') && !parts[0].Contains('{', StringComparison.Ordinal)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                values[parts[0]] = value;
            }
        }

        return values;
    }
}
