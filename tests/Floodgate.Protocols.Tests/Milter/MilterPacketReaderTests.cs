using System.Buffers;
using Floodgate.Protocols.Milter;

namespace Floodgate.Protocols.Tests.Milter;

public sealed class MilterPacketReaderTests
{
    public static TheoryData<byte[], string, bool, MilterReadError, long> Frames => new()
    {
        { [], "nothing yet", false, MilterReadError.None, 0 },
        { [0, 0, 0], "a partial length", false, MilterReadError.None, 0 },
        { [0, 0, 0, 1], "the length without its command byte", false, MilterReadError.None, 0 },
        { [0, 0, 0, 1, (byte)'A'], "a command without data", true, MilterReadError.None, 5 },
        { [0, 0, 0, 3, (byte)'H', (byte)'x', 0], "a command with data", true, MilterReadError.None, 7 },
        { [0, 0, 0, 3, (byte)'H', (byte)'x'], "data cut short", false, MilterReadError.None, 0 },
        { [0, 0, 0, 0, (byte)'A'], "a zero length has no room for the command", false, MilterReadError.EmptyPacket, 0 },
        { [0xFF, 0xFF, 0xFF, 0xFF, (byte)'B'], "four gigabytes declared", false, MilterReadError.PacketTooLarge, 0 },
        { [0x00, 0x10, 0x00, 0x02, (byte)'B'], "just over the 1 MiB data limit", false, MilterReadError.PacketTooLarge, 0 },
        { [0, 0, 0, 1, (byte)'Z'], "an unknown command is framed; the state table refuses it", true, MilterReadError.None, 5 },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void FramesAreReadAsDocumented(byte[] input, string reason, bool read, MilterReadError error, long consumed)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));

        var result = MilterPacketReader.TryRead(ref reader, out _, out var actualError);

        Assert.True(read == result, reason);
        Assert.True(error == actualError, $"{reason}: got {actualError}");
        Assert.True(consumed == reader.Consumed, $"{reason}: consumed {reader.Consumed}");
    }

    [Fact]
    public void PacketAcrossSegmentsKeepsItsData()
    {
        byte[] packet = [0, 0, 0, 6, (byte)'L', (byte)'a', 0, (byte)'b', (byte)'c', 0, 0, 0, 0, 1, (byte)'N'];
        var reader = new SequenceReader<byte>(Sequences.Split(packet, 3));

        Assert.True(MilterPacketReader.TryRead(ref reader, out var header, out _));
        Assert.True(MilterPacketReader.TryRead(ref reader, out var endOfHeaders, out _));

        Assert.Equal((byte)'L', header.Command);
        Assert.Equal("a\0bc\0"u8.ToArray(), header.Data.ToArray());
        Assert.Equal((byte)'N', endOfHeaders.Command);
        Assert.True(endOfHeaders.Data.IsEmpty);
    }
}

public sealed class MilterMacrosTests
{
    private static MilterMacros With(byte stage, params string[] pairs)
    {
        var macros = new MilterMacros();
        macros.Set(stage, MilterTestClient.Strings(pairs));
        return macros;
    }

    [Fact]
    public void NameWithOrWithoutBracesFindsTheMacro()
    {
        var macros = With((byte)'M', "{auth_authen}", "alice", "i", "Q1");

        Assert.Equal("alice", macros.Get("{auth_authen}"));
        Assert.Equal("alice", macros.Get("auth_authen"));
        Assert.Equal("Q1", macros.Get("i"));
        Assert.Null(macros.Get("{rcpt_addr}"));
    }

    [Fact]
    public void LatestStageWins()
    {
        var macros = With((byte)'M', "i", "early");
        macros.Set((byte)'E', MilterTestClient.Strings("i", "late"));

        Assert.Equal("late", macros.Get("i"));
    }

    [Fact]
    public void NewMacrosOfAStageReplaceTheOld()
    {
        var macros = With((byte)'R', "{rcpt_addr}", "first@example.org");
        macros.Set((byte)'R', MilterTestClient.Strings("{rcpt_addr}", "second@example.org"));

        Assert.Equal("second@example.org", macros.Get("rcpt_addr"));
    }

    [Fact]
    public void ClearingTheMessageKeepsConnectionMacros()
    {
        var macros = With((byte)'C', "j", "mx.example.com");
        macros.Set((byte)'M', MilterTestClient.Strings("i", "Q1"));

        macros.ClearMessage();

        Assert.Equal("mx.example.com", macros.Get("j"));
        Assert.Null(macros.Get("i"));
    }

    [Fact]
    public void PairWithoutItsNulIsMalformed()
    {
        Assert.False(new MilterMacros().Set((byte)'M', "i\0Q1"u8));
        Assert.False(new MilterMacros().Set((byte)'M', "i"u8));
    }
}

public sealed class MilterArgumentsTests
{
    [Fact]
    public void AddressLosesItsAngleBracketsAndParametersAreFound()
    {
        var arguments = new MilterArguments(MilterTestClient.Strings("<alice@example.com>", "SIZE=1234", "BODY=8BITMIME", "SMTPUTF8"));

        Assert.Equal("alice@example.com", arguments.AddressString);
        Assert.Equal(4, arguments.Count);
        Assert.True(arguments.TryGetParameter("body"u8, out var body));
        Assert.Equal("8BITMIME"u8.ToArray(), body.ToArray());
        Assert.True(arguments.TryGetParameter("SMTPUTF8"u8, out var none));
        Assert.True(none.IsEmpty);
        Assert.False(arguments.TryGetParameter("RET"u8, out _));
    }

    [Fact]
    public void NullSenderIsAnEmptyAddress()
    {
        var arguments = new MilterArguments(MilterTestClient.Strings("<>"));

        Assert.Equal(string.Empty, arguments.AddressString);
        Assert.Equal(1, arguments.Count);
    }

    [Fact]
    public void MissingArgumentIsEmpty()
    {
        var arguments = new MilterArguments([]);

        Assert.Equal(0, arguments.Count);
        Assert.True(arguments[3].IsEmpty);
    }
}

public sealed class MilterBodyBufferTests
{
    [Fact]
    public void ChunksAreJoinedInOrder()
    {
        using var body = new MilterBodyBuffer(100_000);

        body.Append(new byte[5000]);
        body.Append("end"u8);

        Assert.Equal(5003, body.Length);
        Assert.Equal("end"u8.ToArray(), body.Span[^3..].ToArray());
    }

    [Fact]
    public void ChunkBeyondTheLimitIsRefusedAndMarked()
    {
        using var body = new MilterBodyBuffer(10);

        Assert.True(body.Append("12345"u8));
        Assert.False(body.Append("123456"u8));

        Assert.True(body.Overflowed);
        Assert.Equal(5, body.Length);
    }

    [Fact]
    public void ResetEmptiesTheBufferForTheNextMessage()
    {
        using var body = new MilterBodyBuffer(10);
        body.Append("1234567890"u8);
        body.Append("x"u8);

        body.Reset();

        Assert.False(body.Overflowed);
        Assert.Equal(0, body.Length);
        Assert.True(body.Append("abc"u8));
    }
}
