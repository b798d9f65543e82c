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

    /// <summary>Text a reader does not see: the visible text, and how many words were hidden.</summary>
    public static TheoryData<string, string, int, string> HiddenDocuments => new()
    {
        { "a<div style=\"display:none\">one two three</div>b", "a\n\nb", 3, "display:none" },
        { "a<span style=\"DISPLAY : None !important\">one two</span>b", "ab", 2, "display:none, any case, !important" },
        { "a<span style=\"visibility:hidden\">one</span>b", "ab", 1, "visibility:hidden" },
        { "a<span style=\"opacity:0\">one</span>b", "ab", 1, "opacity 0" },
        { "a<span style=\"font-size:0px\">one</span> <span style=\"font-size:1pt\">two</span> <span style=\"font:0/0 a\">x</span>b", "a  b", 3, "zero and tiny font sizes, the font shorthand" },
        { "a<span style=\"font-size:11px\">one</span>b", "aoneb", 0, "an ordinary font size is read" },
        { "a<div style=\"max-height:0;overflow:hidden\">one two</div>b", "a\n\nb", 2, "a box of no height with its overflow hidden" },
        { "a<div style=\"height:0\">one</div>b", "a\none\nb", 0, "no height alone does not hide (the text overflows)" },
        { "a<div style=\"position:absolute;left:-9999px\">one</div>b", "a\n\nb", 1, "positioned off screen" },
        { "a<p style=\"text-indent:-10000px\">one</p>b", "a\n\nb", 1, "indented off screen" },
        { "a<span style=\"color:#ffffff\">one two</span>b", "ab", 2, "white on the default white page" },
        { "a<font color=\"#FEFEFE\">one</font>b", "ab", 1, "nearly white with the font element" },
        { "<table bgcolor=\"#003366\"><tr><td><font color=\"#013467\">one</font> <font color=\"#ffffff\">two</font></td></tr></table>", "\n\n  two\n\n", 1, "dark on the same dark background; white on it is read" },
        { "<div style=\"background:#000\"><span style=\"color:#000\">one</span><span style=\"color:#fff\">two</span></div>", "\ntwo\n", 1, "a background in the style's shorthand" },
        { "<div style=\"color:#fff\">one<span style=\"color:#000\">two</span></div>", "\ntwo\n", 1, "a visible colour inside a hidden one is read" },
        { "<div style=\"background:url(x.png)\"><span style=\"color:#fff\">one</span></div>", "\none\n", 0, "no colour is compared with an image" },
        { "a<p hidden>one two</p>b", "a\n\nb", 2, "the hidden attribute" },
        { "a<div style=\"display:none\">one <div>two</div> three</div>b", "a\n\nb", 3, "nested elements of the same name" },
        { "<p style=\"display:none\">one<p>two", "\n\ntwo", 1, "a new paragraph ends the hidden one" },
        { "<style>.x{display:none} #y {font-size:0}</style>a<span class=\"big x\">one</span><b id=y>two</b>b", "ab", 2, "classes and ids a style sheet hides" },
        { "<style>.m{display:none}@media (max-width:600px){.m{display:block!important}}</style>a<div class=\"m\">one</div>", "a\none\n", 0, "a class an @media block shows is not hidden" },
        { "<style>body{background:#000;color:#fff}</style>one <span style=\"color:#000\">two</span>", "one ", 1, "the page's background from the style sheet" },
        { "a<div style=\"display:none\"><a href=\"https://x.example/\">go</a><img src=\"https://x.example/i.png\"></div>b", "a\n\nb", 1, "links in hidden text are not written" },
        { "a<span style=\"display:none\">one &nbsp; two&amp;three</span>b", "ab", 3, "entities in hidden text are not words" },
        { "a<span style=\"color:transparent\">one</span>b", "ab", 1, "transparent text" },
        { "a<span style=\"color:rgba(0,0,0,0)\">one</span>b", "ab", 1, "a colour of no opacity" },
        { "a<span style=\"font-size:0.01em\">one</span>b", "ab", 1, "a tiny relative font size" },
        { "a<div style=\"width:1px;height:1px;overflow:hidden\">one two</div>b", "a\n\nb", 2, "a one-pixel box" },
        { "a<span style=\"mso-hide:all;display:none\">one</span>b", "ab", 1, "Outlook's hide with display:none" },
        { "a<span style=\"transform:scale(0)\">one</span>b", "ab", 1, "scaled to nothing" },
        { "a<span style=\"line-height:0;font-size:0\">one</span>b", "ab", 1, "no line height and no font size" },
        { "a<span style=\"display:none\">o&#x200B;n&#8203;e</span>b", "ab", 1, "a word split by zero-width entities is one hidden word" },
    };

    [Theory]
    [MemberData(nameof(HiddenDocuments))]
    public void TextAReaderDoesNotSeeIsDroppedAndCounted(string html, string text, int hiddenWords, string reason)
    {
        _ = reason;
        char[] buffer = html.ToCharArray();
        var accumulator = FingerprintAccumulator.Rent();
        try
        {
            int length = HtmlText.ToText(buffer, accumulator);

            Assert.Equal(text, new string(buffer, 0, length));
            Assert.Equal(hiddenWords, accumulator.HiddenWords);
        }
        finally
        {
            FingerprintAccumulator.Return(accumulator);
        }
    }

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
