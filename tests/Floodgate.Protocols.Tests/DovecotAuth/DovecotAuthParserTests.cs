using System.Buffers;
using System.Net;
using System.Text;
using Floodgate.Protocols.DovecotAuth;

namespace Floodgate.Protocols.Tests.DovecotAuth;

public sealed class DovecotAuthParserTests
{
    private static IEnumerable<string> Transcript(string prefix) =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Transcripts", "dovecot-auth-2.3-plain.txt"))
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l[prefix.Length..]);

    [Fact]
    public void RecordedServerLinesOfDovecot23AllParse()
    {
        var kinds = new List<DovecotAuthLineKind>();
        foreach (var line in Transcript("S: "))
        {
            Assert.True(DovecotAuthParser.TryParse(Encoding.UTF8.GetBytes(line), out var parsed, out var error), error);
            kinds.Add(parsed.Kind);
        }

        Assert.Equal(
            [
                DovecotAuthLineKind.Version, DovecotAuthLineKind.Mech, DovecotAuthLineKind.Mech, DovecotAuthLineKind.Spid,
                DovecotAuthLineKind.Cuid, DovecotAuthLineKind.Other, DovecotAuthLineKind.Done,
                DovecotAuthLineKind.Ok, DovecotAuthLineKind.Cont, DovecotAuthLineKind.Fail, DovecotAuthLineKind.Fail,
            ],
            kinds);
    }

    [Fact]
    public void RecordedAuthRequestsAreWhatTheWriterWrites()
    {
        var recorded = Transcript("C: ").Where(l => l.StartsWith("AUTH", StringComparison.Ordinal)).Take(3).ToArray();
        var loopback = IPAddress.Loopback;
        string[] written =
        [
            Write(1, new DovecotAuthRequest("ann@acme.test", "correct horse", loopback, loopback, Secured: false)),
            Write(2, new DovecotAuthRequest("ann@acme.test", "wrong", loopback, null, Secured: false)),
            Write(3, new DovecotAuthRequest("far@acme.test", "correct horse", loopback, null, Secured: true)),
        ];

        Assert.Equal(recorded, written);
    }

    [Theory]
    [InlineData("OK\t7\tuser=ann@acme.test", DovecotAuthLineKind.Ok, 7u, "ann@acme.test", false, "the usual success")]
    [InlineData("FAIL\t8\tuser=ann@acme.test\ttemp\treason=passdb down", DovecotAuthLineKind.Fail, 8u, "ann@acme.test", true, "a temporary failure: 454, not 535")]
    [InlineData("FAIL\t9", DovecotAuthLineKind.Fail, 9u, null, false, "a failure without a user (unknown login)")]
    [InlineData("OK\t10\tuser=a\u0001tb@acme.test", DovecotAuthLineKind.Ok, 10u, "a\tb@acme.test", false, "a tab-escaped value is unescaped")]
    [InlineData("OK\t11\tuser=ann@acme.test\r", DovecotAuthLineKind.Ok, 11u, "ann@acme.test", false, "a CR before LF is tolerated")]
    [InlineData("NEWTHING\tx", DovecotAuthLineKind.Other, 0u, null, false, "a command of a newer server is ignored, as the protocol asks")]
    public void ServerLineParses(string line, DovecotAuthLineKind kind, uint id, string? user, bool temporary, string reason)
    {
        Assert.True(DovecotAuthParser.TryParse(Encoding.UTF8.GetBytes(line), out var parsed, out var error), reason + ": " + error);
        Assert.Equal(kind, parsed.Kind);
        Assert.Equal(id, parsed.Id);
        Assert.Equal(user, parsed.User);
        Assert.Equal(temporary, parsed.Temporary);
    }

    [Theory]
    [InlineData("OK", "no id at all")]
    [InlineData("OK\tseven\tuser=x", "an id that is no number")]
    [InlineData("FAIL\t-1", "a negative id")]
    [InlineData("CONT\t", "an empty id")]
    [InlineData("VERSION\tx\t2", "a version that is no number")]
    [InlineData("MECH", "a mechanism without a name")]
    public void MalformedServerLineIsRefusedWithoutThrowing(string line, string reason)
    {
        Assert.False(DovecotAuthParser.TryParse(Encoding.UTF8.GetBytes(line), out _, out var error), reason);
        Assert.NotNull(error);
    }

    [Fact]
    public void LineSplitOverSegmentsIsReadWhole()
    {
        var data = Sequences.Split("OK\t1\tuser=ann@acme.test\nFAIL\t2\n"u8, 3);
        var reader = new SequenceReader<byte>(data);
        Assert.True(DovecotAuthParser.TryReadLine(ref reader, out var first, out _));
        Assert.Equal("OK\t1\tuser=ann@acme.test", Encoding.UTF8.GetString(first.ToArray()));
        Assert.True(DovecotAuthParser.TryReadLine(ref reader, out var second, out _));
        Assert.Equal("FAIL\t2", Encoding.UTF8.GetString(second.ToArray()));
        Assert.False(DovecotAuthParser.TryReadLine(ref reader, out _, out var tooLong));
        Assert.False(tooLong);
    }

    [Fact]
    public void LineLongerThanTheLimitIsReportedNotBuffered()
    {
        var data = new ReadOnlySequence<byte>(new byte[DovecotAuthParser.MaxLineLength + 1]);
        var reader = new SequenceReader<byte>(data);
        Assert.False(DovecotAuthParser.TryReadLine(ref reader, out _, out var tooLong));
        Assert.True(tooLong);
    }

    private static string Write(uint id, DovecotAuthRequest request)
    {
        var length = DovecotAuthWriter.WriteAuth(id, in request, ArrayPool<byte>.Shared, out var buffer);
        var line = Encoding.UTF8.GetString(buffer, 0, length - 1);
        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        return line;
    }
}
