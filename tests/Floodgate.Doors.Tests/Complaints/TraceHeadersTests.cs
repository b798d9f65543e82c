using System.Text;
using Floodgate.Core.Complaints;
using Floodgate.Doors.Complaints;
using Floodgate.Doors.Tests.Scenarios;
using Floodgate.Protocols.Content;

namespace Floodgate.Doors.Tests.Complaints;

/// <summary>The RFC 9477 trace fields: written by the gateway into the relayed copy, added by the milter door over the wire.</summary>
public sealed class TraceHeadersTests : IDisposable
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "floodgate-trace-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    private static TraceHeaders Trace() => new(new FeedbackId(Key), "fbl@provider.test");

    private MessageSpool Spool(int memoryThreshold = 1024 * 1024) =>
        new(new MessageSpoolOptions { Directory = Path.Combine(_folder, "spool"), MemoryThreshold = memoryThreshold });

    private static MessageContent Content(MessageSpool spool, string message)
    {
        using var writer = spool.Begin();
        Assert.True(writer.Append(Encoding.ASCII.GetBytes(message)));
        return writer.Complete();
    }

    private static string Read(MessageContent content)
    {
        using var stream = content.OpenRead();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Encoding.ASCII.GetString(copy.ToArray());
    }

    private const string Forged =
        "From: <ann@acme.test>\r\n" +
        "CFBL-Feedback-ID: forged-value\r\n" +
        "  continued\r\n" +
        "To: <bob@example.net>\r\n" +
        "cfbl-address : spam@evil.example; report=arf\r\n" +
        "X-CFBL-Feedback-ID: kept\r\n" +
        "Subject: Hello\r\n" +
        "\r\n" +
        "CFBL-Feedback-ID: in the body, not a field\r\n";

    [Theory]
    [InlineData(1024 * 1024, "in memory")]
    [InlineData(64, "spooled to a file: the head is replaced and the rest is streamed")]
    public void TheStampedCopyHasOurFieldsFirstAndNoneOfTheClientsAndIsOtherwiseTheSame(int memoryThreshold, string why)
    {
        var spool = Spool(memoryThreshold);
        var trace = Trace();
        using var message = Content(spool, Forged + new string('x', 200) + "\r\n");
        using var stamped = trace.Stamp(message, 42, new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero), spool);

        Assert.NotNull(stamped);
        var text = Read(stamped);
        var lines = text.Split("\r\n");
        Assert.Equal("CFBL-Address: fbl@provider.test; report=arf", lines[0]);
        Assert.StartsWith("CFBL-Feedback-ID: ", lines[1], StringComparison.Ordinal);
        Assert.Equal(FeedbackIdCheck.Valid, trace.Ids.Verify(lines[1].AsSpan("CFBL-Feedback-ID: ".Length), out var reference));
        Assert.Equal(42, reference.MailboxId);
        var expected = "From: <ann@acme.test>\r\nTo: <bob@example.net>\r\nX-CFBL-Feedback-ID: kept\r\nSubject: Hello\r\n\r\nCFBL-Feedback-ID: in the body, not a field\r\n" + new string('x', 200) + "\r\n";
        Assert.True(text.EndsWith(expected, StringComparison.Ordinal), why);
        Assert.Equal(lines[0].Length + lines[1].Length + 4 + expected.Length, text.Length);
    }

    [Fact]
    public void WithoutAComplaintAddressOnlyTheFeedbackIdIsWritten()
    {
        var spool = Spool();
        var trace = new TraceHeaders(new FeedbackId(Key), null);
        using var message = Content(spool, "Subject: Hi\r\n\r\nBody\r\n");
        using var stamped = trace.Stamp(message, 7, DateTimeOffset.UnixEpoch.AddYears(56), spool);

        var text = Read(stamped!);
        Assert.StartsWith("CFBL-Feedback-ID: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("CFBL-Address", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\nSubject: Hi\r\n\r\nBody\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMilterDoorAddsASignedFeedbackIdNamingTheSenderAndTheComplaintAddress()
    {
        await using var world = new ScenarioWorld(trustLoopback: false);
        var trace = Trace();
        await using var driver = await PostfixDriver.StartAsync(world, policy: false, milter: true, policyReachable: false, CancellationToken.None, trace);

        var result = await driver.SendAsync(new Submission(ScenarioWorld.Ann, ScenarioWorld.Ann, ["bob@example.net"]), CancellationToken.None);

        Assert.Equal("250", result.Reply);
        Assert.Equal("fbl@provider.test; report=arf", Assert.Single(driver.AddedHeaders, h => h.Key == "CFBL-Address").Value);
        var id = Assert.Single(driver.AddedHeaders, h => h.Key == "CFBL-Feedback-ID").Value;
        Assert.Equal(FeedbackIdCheck.Valid, trace.Ids.Verify(id, out var reference));
        Assert.Equal(world.Mailbox(ScenarioWorld.Ann).Id, reference.MailboxId);
        Assert.Equal(world.Time.GetUtcNow().ToUnixTimeSeconds(), reference.RelayedAt.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task TheMilterDoorAddsNoTraceHeaderToAMessageItRefuses()
    {
        await using var world = new ScenarioWorld(trustLoopback: false);
        await using var driver = await PostfixDriver.StartAsync(world, policy: false, milter: true, policyReachable: false, CancellationToken.None, Trace());

        var result = await driver.SendAsync(new Submission(ScenarioWorld.Sam, ScenarioWorld.Sam, ["bob@example.net"]), CancellationToken.None);

        Assert.NotEqual("250", result.Reply);
        Assert.DoesNotContain(driver.AddedHeaders, h => h.Key.StartsWith("CFBL", StringComparison.Ordinal));
    }
}
