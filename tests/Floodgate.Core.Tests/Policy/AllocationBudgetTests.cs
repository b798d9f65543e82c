using Floodgate.Core.Policy;

namespace Floodgate.Core.Tests.Policy;

/// <summary>
/// Allocation budgets of the per-command hot path (STYLE.md rule 4): the accept paths of the policy
/// engine on the in-process store allocate nothing. Measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> around a warmed-up loop, so tiering and
/// first-use allocations (the store's window for a new key) are outside the measurement.
/// </summary>
public sealed class AllocationBudgetTests
{
    private const int Warmup = 200;
    private const int Iterations = 1_000;

    [Fact]
    public void RecipientDecisionOnTheAcceptPathAllocatesNothing()
    {
        var f = new PolicyFixture();
        var mailbox = f.Mailbox("ann@acme.test");
        // A window for each scope exists, as it does for any mailbox that has sent before.
        f.Send("ann@acme.test", ["r@example.net"]);
        Assert.True(f.Engine.BeginTransaction(mailbox, "ann@acme.test", 0, out var tally).IsAccept);
        const string external = "carol@example.net";
        const string @internal = "bob@acme-mail.test";

        var bytes = Measure(() =>
        {
            var t = tally;
            Assert.True(f.Engine.CheckRecipient(mailbox, ref t, external).IsAccept);
            Assert.True(f.Engine.CheckRecipient(mailbox, ref t, @internal).IsAccept);
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void BeginTransactionOnTheAcceptPathAllocatesNothing()
    {
        var f = new PolicyFixture();
        var mailbox = f.Mailbox("ann@acme.test");
        f.Send("ann@acme.test", ["r@example.net"]);

        var bytes = Measure(() => Assert.True(f.Engine.BeginTransaction(mailbox, "ann@acme.test", 5_000, out _).IsAccept));

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void RecordingASentMessageOnExistingWindowsAllocatesNothing()
    {
        var f = new PolicyFixture();
        var mailbox = f.Mailbox("ann@acme.test");
        f.Send("ann@acme.test", ["r@example.net"]);
        Assert.True(f.Engine.BeginTransaction(mailbox, "ann@acme.test", 0, out var tally).IsAccept);
        Assert.True(f.Engine.CheckRecipient(mailbox, ref tally, "carol@example.net").IsAccept);

        var bytes = Measure(() => f.Engine.RecordSent(mailbox, in tally));

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void SlidingWindowAddAndReadAllocateNothing()
    {
        var window = new SlidingWindow();
        var now = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var step = 0;

        var bytes = Measure(() =>
        {
            // Moves through buckets so that slot resets are part of the loop.
            var at = now.AddSeconds(37 * step++);
            window.Add(at, 1, 2, 3);
            Assert.True(window.Read(at).MessagesLastHour > 0);
        });

        Assert.Equal(0, bytes);
    }

    private static long Measure(Action action)
    {
        for (var i = 0; i < Warmup; i++)
        {
            action();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
