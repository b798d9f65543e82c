using Floodgate.Protocols.Content;

namespace Floodgate.Protocols.Tests.Content;

public sealed class MessageSpoolTests : IDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void AMessageUnderTheThresholdStaysInMemory()
    {
        var spool = Spool();
        var data = RandomBytes(5000, seed: 1);

        using var content = Write(spool, data, chunk: 700);

        Assert.False(content.IsSpooled);
        Assert.True(content.TryGetMemory(out var memory));
        Assert.Equal(data, memory.ToArray());
        Assert.Equal(data, content.Head.ToArray());
        Assert.Empty(_directory.Files);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.InRange(spool.MemoryBytes, data.Length, 64 * 1024);
    }

    [Fact]
    public void AMessageOverTheThresholdGoesToAFileWithIdenticalBytes()
    {
        var spool = Spool(o => o.MemoryThreshold = 100 * 1024);
        var data = RandomBytes(3 * MiB + 17, seed: 2);

        using var content = Write(spool, data, chunk: 4093);

        Assert.True(content.IsSpooled);
        Assert.False(content.TryGetMemory(out _));
        Assert.Equal(data.Length, content.Length);
        Assert.Single(_directory.Files);
        Assert.Equal(data.Length, spool.SpoolBytes);
        Assert.Equal(data.AsSpan(0, MessageSpool.HeadSize).ToArray(), content.Head.ToArray());

        // Two streams at once, each with its own position, both the whole content.
        using var first = content.OpenRead();
        using var second = content.OpenRead();
        Assert.Equal(data, ReadAll(first));
        Assert.Equal(data, ReadAll(second));

        // Only the head is left in memory once the content moved to the file.
        Assert.Equal(MessageSpool.HeadSize, spool.MemoryBytes);
    }

    [Fact]
    public async Task ASpooledMessageReadsTheSameAsynchronously()
    {
        var spool = Spool(o => o.MemoryThreshold = 0);
        var data = RandomBytes(300 * 1024, seed: 3);
        using var content = Write(spool, data, chunk: 8192);

        await using var stream = content.OpenRead();
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.True(content.IsSpooled);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public void TheMemoryBudgetMovesMessagesToDisk()
    {
        const int Chunk = 64 * 1024;
        var spool = Spool(o => o.MaxMemoryBytes = 8 * MiB);
        var data = RandomBytes(2 * MiB, seed: 4);
        var writers = new MessageWriter[100];
        for (var i = 0; i < writers.Length; i++)
        {
            writers[i] = spool.Begin();
        }

        // All grow at once, as 100 connections in DATA do.
        for (var offset = 0; offset < data.Length; offset += Chunk)
        {
            foreach (var writer in writers)
            {
                Assert.True(writer.Append(data.AsSpan(offset, Chunk)));
            }
        }

        var contents = writers.Select(w => w.Complete()).ToList();
        Assert.InRange(spool.PeakMemoryBytes, 0, (8 * MiB) + Chunk);
        Assert.All(contents, c => Assert.True(c.IsSpooled));
        Assert.Equal(data, ReadAll(contents[0].OpenRead()));
        Assert.Equal(data, ReadAll(contents[^1].OpenRead()));

        contents.ForEach(c => c.Dispose());
        Assert.Equal(0, spool.MemoryBytes);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Empty(_directory.Files);
    }

    [Fact]
    public void TheSpoolBudgetRefusesWithOverBudgetAndFreesWhatTheMessageHeld()
    {
        var spool = Spool(o =>
        {
            o.MemoryThreshold = 64 * 1024;
            o.MaxSpoolBytes = 256 * 1024;
        });
        var data = RandomBytes(512 * 1024, seed: 5);
        using var writer = spool.Begin();

        var refusedAt = -1;
        for (var offset = 0; offset < data.Length && refusedAt < 0; offset += 16 * 1024)
        {
            if (!writer.Append(data.AsSpan(offset, 16 * 1024)))
            {
                refusedAt = offset;
            }
        }

        Assert.Equal(256 * 1024, refusedAt);
        Assert.True(writer.OverBudget);
        Assert.Equal(0, spool.MemoryBytes);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Empty(_directory.Files);
        Assert.False(writer.Append(data.AsSpan(0, 10)));
        Assert.Throws<InvalidOperationException>(() => writer.Complete());

        // The next message is not held against it.
        using var next = Write(spool, data.AsSpan(0, 200 * 1024).ToArray(), chunk: 16 * 1024);
        Assert.True(next.IsSpooled);
    }

    [Fact]
    public void WrittenBytesCountWhatReachedFilesAndRefusedMessagesWhatDidNotFit()
    {
        var spool = Spool(o =>
        {
            o.MemoryThreshold = 64 * 1024;
            o.MaxSpoolBytes = 256 * 1024;
        });

        using (Write(spool, RandomBytes(10_000, seed: 8), chunk: 1000))
        {
            // In memory: nothing written.
        }

        using (Write(spool, RandomBytes(200 * 1024, seed: 9), chunk: 16 * 1024))
        {
        }

        using (var writer = spool.Begin())
        {
            var data = RandomBytes(512 * 1024, seed: 10);
            for (var offset = 0; offset < data.Length; offset += 16 * 1024)
            {
                writer.Append(data.AsSpan(offset, 16 * 1024));
            }

            Assert.True(writer.OverBudget);
        }

        // The second message whole, the third up to the budget (then refused and its file deleted).
        Assert.Equal((200 + 256) * 1024, spool.WrittenBytes);
        Assert.Equal(1, spool.RefusedMessages);
    }

    [Fact]
    public void FilesAreDeletedOnDispose()
    {
        var spool = Spool(o => o.MemoryThreshold = 1024);
        var content = Write(spool, RandomBytes(10_000, seed: 6), chunk: 1000);
        var stream = content.OpenRead();
        Assert.Single(_directory.Files);

        content.Dispose();

        Assert.Empty(_directory.Files);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Equal(0, spool.MemoryBytes);
        Assert.Throws<ObjectDisposedException>(() => stream.ReadByte());
    }

    [Fact]
    public void AWriterDisposedBeforeCompletingGivesEverythingBack()
    {
        var spool = Spool(o => o.MemoryThreshold = 1024);
        var writer = spool.Begin();
        Assert.True(writer.Append(RandomBytes(5000, seed: 7)));
        Assert.Single(_directory.Files);

        writer.Dispose();

        Assert.Empty(_directory.Files);
        Assert.Equal(0, spool.SpoolBytes);
        Assert.Equal(0, spool.MemoryBytes);
    }

    [Fact]
    public void LeftoverFilesOfAPreviousProcessAreDeletedAtStart()
    {
        File.WriteAllText(Path.Join(_directory.Path, "0123456789abcdef0123456789abcdef.msg"), "left by a crash");
        File.WriteAllText(Path.Join(_directory.Path, "notes.txt"), "not the spool's");

        _ = Spool();

        Assert.Equal([Path.Join(_directory.Path, "notes.txt")], _directory.Files);
    }

    [Fact]
    public void AnEmptyMessageIsEmptyMemory()
    {
        var spool = Spool();
        using var content = spool.Begin().Complete();

        Assert.True(content.TryGetMemory(out var memory));
        Assert.True(memory.IsEmpty);
        Assert.Equal(-1, content.OpenRead().ReadByte());
        Assert.Equal(0, spool.MemoryBytes);
    }

    [Fact]
    public void AMissingDirectoryIsRefusedWithItsName()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new MessageSpool(new MessageSpoolOptions { Directory = " " }));
        Assert.Contains("MessageSpoolOptions.Directory", error.Message, StringComparison.Ordinal);
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static MessageContent Write(MessageSpool spool, byte[] data, int chunk)
    {
        using var writer = spool.Begin();
        for (var offset = 0; offset < data.Length; offset += chunk)
        {
            Assert.True(writer.Append(data.AsSpan(offset, Math.Min(chunk, data.Length - offset))));
        }

        return writer.Complete();
    }

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    private MessageSpool Spool(Action<MessageSpoolOptions>? configure = null)
    {
        var options = new MessageSpoolOptions { Directory = _directory.Path };
        configure?.Invoke(options);
        return new MessageSpool(options);
    }
}
