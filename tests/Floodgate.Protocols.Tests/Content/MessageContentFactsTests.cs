using System.Text;
using Floodgate.Protocols.Content;

namespace Floodgate.Protocols.Tests.Content;

/// <summary>The facts found while appending, checked for every way a small message can be cut into chunks.</summary>
public sealed class MessageContentFactsTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    // Text is Latin-1, so \u00e9 is the single octet 0xE9.
    public static TheoryData<string, bool, int, bool, bool, string> Messages => new()
    {
        { "A: b\r\n\r\nbody text\r\n", false, 9, false, false, "plain CRLF lines: the longest is the body line" },
        { "\nA: b\r\n", true, 4, false, false, "an LF that opens the message is bare" },
        { "A: b\r\nbody\n", true, 4, false, false, "a bare LF at the end" },
        { "A: b\r\n\n\r\n", true, 4, false, false, "an empty line ended by a bare LF" },
        { "x\r\r\nyz\r\n", false, 2, false, false, "a CR inside a line is an octet of it" },
        { "A: b\r\n\r\n\u00e9t\u00e9\r\n", false, 4, false, true, "8-bit octets" },
        { "A: b\r\n\r\nx\0y\r\n", false, 4, true, false, "NUL" },
        { "A: b\r\n\r\n\u00ff\0\r\n", false, 4, true, true, "NUL and 8-bit in one line" },
        { "A: b\r\n\r\nno line end", false, 11, false, false, "a last line without CRLF counts too" },
        { "\r\n\r\n", false, 0, false, false, "only empty lines" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void FactsAreTheSameWhereverTheChunksSplit(string text, bool bareLineFeed, int longestLine, bool nul, bool eightBit, string reason)
    {
        var spool = new MessageSpool(new MessageSpoolOptions { Directory = _directory.Path });
        var data = Encoding.Latin1.GetBytes(text);
        for (var i = 0; i <= data.Length; i++)
        {
            for (var j = i; j <= data.Length; j++)
            {
                using var writer = spool.Begin();
                writer.Append(data.AsSpan(0, i));
                writer.Append(data.AsSpan(i, j - i));
                writer.Append(data.AsSpan(j));
                using var content = writer.Complete();

                var where = $"{reason}; chunks end at {i} and {j}";
                Assert.True(bareLineFeed == content.HasBareLineFeed, where);
                Assert.True(longestLine == content.LongestLine, $"{where}: longest line {content.LongestLine}");
                Assert.True(nul == content.HasNul, where);
                Assert.True(eightBit == content.HasEightBit, where);
            }
        }
    }

    [Fact]
    public void FactsAreKeptWhenTheMessageMovesToAFile()
    {
        var spool = new MessageSpool(new MessageSpoolOptions { Directory = _directory.Path, MemoryThreshold = 0 });
        using var writer = spool.Begin();
        writer.Append("A: b\r\n\r\n"u8);
        writer.Append(Encoding.Latin1.GetBytes(new string('x', 1200) + "\n\u00e9\r\n"));
        using var content = writer.Complete();

        Assert.True(content.IsSpooled);
        Assert.True(content.HasBareLineFeed);
        Assert.Equal(1200, content.LongestLine);
        Assert.False(content.HasNul);
        Assert.True(content.HasEightBit);
    }
}
