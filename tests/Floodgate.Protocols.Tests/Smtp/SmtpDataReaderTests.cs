using System.Buffers;
using System.Text;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Smtp;
using Floodgate.Protocols.Tests.Content;

namespace Floodgate.Protocols.Tests.Smtp;

/// <summary>DATA framing without a socket: deliveries as a pipe makes them, unconsumed bytes kept for the next read.</summary>
public sealed class SmtpDataReaderTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly MessageSpool _spool;

    public SmtpDataReaderTests() => _spool = new MessageSpool(new MessageSpoolOptions { Directory = _directory.Path });

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void DotUnstuffingDropsTheFirstDotOfEachLine()
    {
        var (content, rest) = Read("..a\r\n...b\r\n..\r\nc.d\r\n.\r\n");

        Assert.Equal(".a\r\n..b\r\n.\r\nc.d\r\n", content);
        Assert.Equal(string.Empty, rest);
    }

    [Fact]
    public void OnlyADotLineAfterCrLfEndsTheMessage()
    {
        // SMTP smuggling: "\n.\n" and "\n.\r\n" are content; what follows the real end line is the next command.
        var (content, rest) = Read("a\r\n.\nb\n.\r\nc\r\n.\r\nNOOP\r\n");

        Assert.Equal("a\r\n\nb\n\r\nc\r\n", content);
        Assert.Equal("NOOP\r\n", rest);
    }

    [Fact]
    public void AnEmptyMessageEndsAtTheFirstLine()
    {
        var (content, rest) = Read(".\r\nQUIT\r\n");

        Assert.Equal(string.Empty, content);
        Assert.Equal("QUIT\r\n", rest);
    }

    [Fact]
    public void ThePossibleStartOfTheEndLineWaitsInTheBuffer()
    {
        using var writer = _spool.Begin();
        var reader = new SmtpDataReader();
        reader.Begin(writer, long.MaxValue);

        var buffer = new ReadOnlySequence<byte>("a\r\n.\r"u8.ToArray());
        Assert.False(reader.Read(ref buffer));
        Assert.Equal(".\r"u8.ToArray(), buffer.ToArray());

        buffer = new ReadOnlySequence<byte>(".\r\n"u8.ToArray());
        Assert.True(reader.Read(ref buffer));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(3, reader.Length);
    }

    [Fact]
    public void EverySplitOfTheWireGivesTheSameMessage()
    {
        const string Wire = "Subject: x\r\n\r\n..dot\r\nbare\n.\nlf\r\n\u00e9\r\n.\r\nMAIL FROM:<a@b>\r\n";
        var (expected, expectedRest) = Read(Wire);
        var bytes = Encoding.Latin1.GetBytes(Wire);
        foreach (var segmentSize in new[] { 1, 2, 3, 7, 4096 })
        {
            for (var split = 0; split <= bytes.Length; split++)
            {
                var (content, rest) = Read([bytes[..split], bytes[split..]], segmentSize);
                Assert.True(expected == content, $"segments of {segmentSize}, split at {split}: '{content}'");
                Assert.True(expectedRest == rest, $"segments of {segmentSize}, split at {split}: rest '{rest}'");
            }
        }
    }

    [Fact]
    public void FactsDescribeTheUnstuffedContent()
    {
        using var writer = _spool.Begin();
        var reader = new SmtpDataReader();
        reader.Begin(writer, long.MaxValue);
        var buffer = Sequences.Split(Encoding.Latin1.GetBytes("A: b\r\n\r\n.....\r\nok\n\u00e9\r\n.\r\n"), 3);

        Assert.True(reader.Read(ref buffer));
        using var content = writer.Complete();

        // "....." arrives stuffed: the line the relay sends is "....", four octets.
        Assert.Equal(4, content.LongestLine);
        Assert.True(content.HasBareLineFeed);
        Assert.True(content.HasEightBit);
        Assert.False(content.HasNul);
    }

    [Fact]
    public void ContentPastTheLimitIsDroppedAtOnceAndReadToTheEndLine()
    {
        using var writer = _spool.Begin();
        var reader = new SmtpDataReader();
        reader.Begin(writer, maxLength: 100);

        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789\r\n", 20))));
        Assert.False(reader.Read(ref buffer));
        Assert.True(reader.TooBig);
        Assert.Equal(0, _spool.MemoryBytes);

        buffer = new ReadOnlySequence<byte>("more\r\n.\r\nRSET\r\n"u8.ToArray());
        Assert.True(reader.Read(ref buffer));
        Assert.Equal("RSET\r\n"u8.ToArray(), buffer.ToArray());
    }

    [Fact]
    public void AFiveKilobyteMessageStaysInPooledMemoryAndAllocatesOnlyTheWriterAndTheContent()
    {
        var wire = Encoding.ASCII.GetBytes("Subject: s\r\n\r\n" + string.Concat(Enumerable.Repeat("A line of text, as most are.\r\n", 170)) + ".\r\n");
        var reader = new SmtpDataReader();
        ReadOnlyMemory<byte> memory = default;
        for (var i = 0; i < 100; i++)
        {
            memory = ReadOnce(reader, wire); // warm: JIT, the pool's arrays
        }

        // The least of five rounds: a pool array trimmed by a gen-2 collection that other tests in the
        // process caused is allocated again once, which is not what this measures.
        const int Messages = 1000;
        var perMessage = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Messages; i++)
            {
                memory = ReadOnce(reader, wire);
            }

            perMessage = Math.Min(perMessage, (GC.GetAllocatedBytesForCurrentThread() - before) / Messages);
        }

        // The writer and the content, 96 bytes each on x64; the content's buffer comes from the pool.
        Assert.InRange(perMessage, 1, 192);
        Assert.Equal(wire.Length - 3, memory.Length);
        Assert.Empty(_directory.Files);
        Assert.Equal(0, _spool.PeakSpoolBytes);
        Assert.Equal(0, _spool.MemoryBytes);
    }

    private ReadOnlyMemory<byte> ReadOnce(SmtpDataReader reader, byte[] wire)
    {
        using var writer = _spool.Begin();
        reader.Begin(writer, long.MaxValue);
        var buffer = new ReadOnlySequence<byte>(wire);
        reader.Read(ref buffer);
        using var content = writer.Complete();
        content.TryGetMemory(out var memory);
        return memory;
    }

    private (string Content, string Remaining) Read(string wire) => Read([Encoding.Latin1.GetBytes(wire)], segmentSize: 4096);

    private (string Content, string Remaining) Read(byte[][] deliveries, int segmentSize)
    {
        using var writer = _spool.Begin();
        var reader = new SmtpDataReader();
        reader.Begin(writer, long.MaxValue);
        byte[] pending = [];
        for (var i = 0; i < deliveries.Length; i++)
        {
            var buffer = Sequences.Split([.. pending, .. deliveries[i]], segmentSize);
            var ended = reader.Read(ref buffer);
            pending = buffer.ToArray();
            if (ended)
            {
                // What is left, and whatever came after, is the next command's.
                using var content = writer.Complete();
                Assert.True(content.TryGetMemory(out var memory));
                return (Encoding.Latin1.GetString(memory.Span), Encoding.Latin1.GetString([.. pending, .. deliveries[(i + 1)..].SelectMany(d => d)]));
            }
        }

        Assert.Fail("The end-of-data line was not found.");
        return default;
    }
}
