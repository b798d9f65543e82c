using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Tests.Fingerprinting;

public sealed class HtmlTextTests
{
    public static TheoryData<string, string, string> Documents => new()
    {
        { "<p>Hello <b>wor</b>ld</p>", "\nHello world\n", "inline tags join, block tags break lines" },
        { "<style>p{color:red}</style>a<script>if (a < b) x();</script>b", "ab", "style and script content is skipped" },
        { "<!-- hidden -->x &amp; y &lt;z&gt; &#233;&#x41;&nbsp;!", "x & y <z> éA !", "comments dropped, entities decoded" },
        { "AT&T &unknown; 3 < 4", "AT&T &unknown; 3 < 4", "stray ampersands and angle brackets stay text" },
        { "<a href=\"https://x.example/p?q=1\">go</a>", " https://x.example/p?q=1 go", "link targets are written where the link stands" },
        { "<title>Subject</title><div title='a>b'>t</div>", "\nt\n", "quoted '>' does not end a tag; the title is not body text" },
        { "&#128512;", "\U0001F600", "astral characters become a surrogate pair" },
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void HtmlBecomesVisibleText(string html, string text, string reason)
    {
        _ = reason;
        char[] buffer = html.ToCharArray();
        var accumulator = FingerprintAccumulator.Rent();
        try
        {
            int length = HtmlText.ToText(buffer, accumulator);

            Assert.Equal(text, new string(buffer, 0, length));
        }
        finally
        {
            FingerprintAccumulator.Return(accumulator);
        }
    }
}
