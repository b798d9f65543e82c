using BenchmarkDotNet.Attributes;
using Floodgate.Core.Bounces;
using MimeKit;

namespace Floodgate.Benchmarks;

/// <summary>
/// Issue 14: bounce classification throughput over the test fixture set (tests/Floodgate.Core.Tests/Bounces/Messages,
/// embedded): DSNs, prose bounces of a dozen MTAs, ARF, auto-replies, malformed MIME. One operation is one
/// message (OperationsPerInvoke), so messages per second on one core = 1 s / Mean.
/// </summary>
[MemoryDiagnoser]
public class BounceBenchmarks
{
    private const int Fixtures = 38;
    private byte[][] _messages = [];
    private MimeMessage[] _parsed = [];

    [GlobalSetup]
    public void Setup()
    {
        var assembly = typeof(BounceBenchmarks).Assembly;
        var list = new List<byte[]>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith("Bounces.", StringComparison.Ordinal))
                continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            list.Add(copy.ToArray());
        }

        if (list.Count != Fixtures)
            throw new InvalidOperationException($"{list.Count} bounce fixtures embedded: set BounceBenchmarks.Fixtures to that, it is the operations per invoke");
        _messages = [.. list];
        _parsed = [.. list.Select(m => MimeMessage.Load(new MemoryStream(m, writable: false), persistent: true))];
    }

    /// <summary>Bytes in, report out: MIME parse included, as `floodgate bounce classify` and the LMTP door do it.</summary>
    [Benchmark(OperationsPerInvoke = Fixtures)]
    public int ClassifyBytes()
    {
        var failed = 0;
        foreach (var message in _messages)
        {
            BounceClassifier.TryClassify(message, out var report);
            failed += report.Recipients.Count;
        }

        return failed;
    }

    /// <summary>Classification alone, over messages MimeKit has already parsed.</summary>
    [Benchmark(OperationsPerInvoke = Fixtures)]
    public int ClassifyParsed()
    {
        var failed = 0;
        foreach (var message in _parsed)
            failed += BounceClassifier.Classify(message).Recipients.Count;
        return failed;
    }
}
