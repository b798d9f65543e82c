using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Benchmarks;

/// <summary>
/// DATA is per message on the hot path: framing, dot-unstuffing and the facts, into pooled memory.
/// A 5 KB message must stay in memory with no file and allocate only its writer and its content.
/// </summary>
[MemoryDiagnoser]
public class SmtpDataBenchmarks
{
    private readonly SmtpDataReader _reader = new();
    private byte[] _wire = [];
    private string _directory = string.Empty;
    private MessageSpool _spool = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("floodgate-bench-spool-").FullName;
        _spool = new MessageSpool(new MessageSpoolOptions { Directory = _directory });
        _wire = Encoding.ASCII.GetBytes("From: ann@acme.test\r\nSubject: s\r\n\r\n" + string.Concat(Enumerable.Repeat("A line of text, as most are.\r\n", 170)) + ".\r\n");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark]
    public long FiveKilobyteMessage()
    {
        using var writer = _spool.Begin();
        _reader.Begin(writer, long.MaxValue);
        var buffer = new ReadOnlySequence<byte>(_wire);
        _reader.Read(ref buffer);
        using var content = writer.Complete();
        return content.Length + content.LongestLine;
    }
}
