using Floodgate.Core.Detection;

namespace Floodgate.Core.Tests.Detection;

public sealed class RecipientMemoryTests
{
    [Fact]
    public void LearnedRecipientsAreKnownAndFewStrangersLookKnown()
    {
        var memory = new RecipientMemory(1024);
        var random = new Random(3);
        var learned = Enumerable.Range(0, memory.Capacity).Select(_ => (ulong)random.NextInt64()).ToArray();
        foreach (var r in learned)
        {
            memory.Add(r);
        }

        Assert.All(learned, r => Assert.True(memory.Contains(r)));
        var strangers = Enumerable.Range(0, 20_000).Count(_ => memory.Contains((ulong)random.NextInt64()));
        // About 1 % at capacity (10 bits a recipient, four probes) in each of two generations.
        Assert.InRange(strangers / 20_000.0, 0.0, 0.03);
    }

    [Fact]
    public void TheOldestGenerationIsForgotten()
    {
        var memory = new RecipientMemory(1024);
        var first = Enumerable.Range(1, memory.Capacity).Select(i => (ulong)i * 0x9E3779B97F4A7C15).ToArray();
        foreach (var r in first)
        {
            memory.Add(r);
        }

        // A second generation's worth keeps the first known; a third forgets it.
        for (int i = 0; i < memory.Capacity * 2; i++)
        {
            memory.Add((ulong)(i + 1_000_000) * 0xC2B2AE3D27D4EB4F);
            if (i == memory.Capacity - 1)
            {
                Assert.True(first.Count(memory.Contains) > first.Length * 0.99);
            }
        }

        Assert.True(first.Count(memory.Contains) < first.Length * 0.05);
    }

    [Fact]
    public void ASnapshotRestoresTheMemory()
    {
        var memory = new RecipientMemory(512);
        for (ulong r = 1; r <= 100; r++)
        {
            memory.Add(r * 7919);
        }

        var words = new ulong[memory.Bytes / 8];
        memory.CopyTo(words, out var count);
        var restored = new RecipientMemory(512);

        Assert.True(restored.TryRestore(words, count));
        Assert.True(restored.Contains(7919 * 50));
        Assert.False(new RecipientMemory(1024).TryRestore(words, count));
    }

    [Fact]
    public void TheDetectorsRecipientMemorySurvivesARestart()
    {
        var t = new DetectorHarness();
        NewSignalsTests.History(t, days: 8);
        var mailbox = t.Mailbox("ann@acme.test");
        var before = t.Detector.DescribeRecipients(mailbox.Id, t.Time.GetUtcNow())!;
        var snapshot = new MemoryStream();
        Assert.Equal(1, t.Detector.WriteRecipients(snapshot));

        var restarted = new MassMailDetector(new DetectionOptions());
        snapshot.Position = 0;
        Assert.Equal(1, restarted.ReadRecipients(snapshot));

        var after = restarted.DescribeRecipients(mailbox.Id, t.Time.GetUtcNow())!;
        Assert.Equal(before.LearningSince, after.LearningSince);
        Assert.False(after.Learning);
        Assert.Equal(before.UsualFirstContactsPerHour, after.UsualFirstContactsPerHour);

        // Another memory size: the snapshot is ignored rather than misread.
        snapshot.Position = 0;
        Assert.Equal(0, new MassMailDetector(new DetectionOptions { RecipientMemoryBytes = 2048 }).ReadRecipients(snapshot));
    }
}
