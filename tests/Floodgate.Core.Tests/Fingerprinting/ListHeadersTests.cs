using System.Text;
using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Tests.Fingerprinting;

public sealed class ListHeadersTests
{
    [Theory]
    [InlineData("<https://lists.example.com/leave?id=42>", "an absolute https URI with a host")]
    [InlineData("<mailto:leave@lists.example.com?subject=unsubscribe>", "a mailto URI with an address; the header fields after ? do not matter")]
    [InlineData("<http://lists.example.com/leave>", "http counts: RFC 2369 allows any URI a recipient can act on")]
    [InlineData("<javascript:alert(1)>, <https://lists.example.com/leave>", "one working URI in the list is enough")]
    [InlineData("<https://lists.exa\r\n mple.com/leave>", "RFC 2369 2: white space inside the brackets (folding) is ignored")]
    [InlineData("  <HTTPS://user@Lists.Example.com:8443/leave>  (comment)", "scheme case, user information and a port aside")]
    public void AWorkingUnsubscribeUriIsRecognised(string value, string why) =>
        Assert.True(ListHeaders.HasWorkingUri(Encoding.ASCII.GetBytes(value)), why);

    [Theory]
    [InlineData("<javascript:alert(document.cookie)>", "a script is no way to leave a list")]
    [InlineData("<https://>", "https without a host")]
    [InlineData("https://lists.example.com/leave", "no angle brackets: RFC 2369 URIs are bracketed")]
    [InlineData("click here to unsubscribe", "garbage")]
    [InlineData("<mailto:>", "mailto without an address")]
    [InlineData("<mailto:@lists.example.com>", "mailto without a local part")]
    [InlineData("<https://localhost/leave>", "a single-label host no recipient can reach")]
    [InlineData("<https:lists.example.com/leave>", "no authority (//)")]
    [InlineData("<https://lists.example.com/leave", "the bracket never closes")]
    [InlineData("<ftp://lists.example.com/leave>", "a scheme that is not https, http or mailto")]
    [InlineData("<https://lists..example.com/>", "an empty label")]
    [InlineData("", "nothing at all")]
    public void ABrokenUnsubscribeUriIsNotWorking(string value, string why) =>
        Assert.False(ListHeaders.HasWorkingUri(Encoding.ASCII.GetBytes(value)), why);

    [Theory]
    [InlineData("Precedence", " bulk", ListSignals.PrecedenceBulk, "bulk")]
    [InlineData("precedence", " List\r\n", ListSignals.PrecedenceList, "list, any case, a line end after it")]
    [InlineData("Precedence", " junk (auto)", ListSignals.PrecedenceJunk, "junk, a comment after it")]
    [InlineData("Precedence", " first-class", ListSignals.None, "not a bulk value")]
    [InlineData("List-Id", " Members <members.acme.example>", ListSignals.ListFields, "RFC 2919")]
    [InlineData("List-Post", " <mailto:members@acme.example>", ListSignals.ListFields, "RFC 2369")]
    [InlineData("List-Unsubscribe", " <https://acme.example/leave>", ListSignals.Unsubscribe | ListSignals.WorkingUnsubscribe, "a working opt-out")]
    [InlineData("List-Unsubscribe", " <javascript:void(0)>", ListSignals.Unsubscribe, "present but not working")]
    [InlineData("Auto-Submitted", " auto-replied", ListSignals.AutoSubmitted, "RFC 3834 auto-reply")]
    [InlineData("Auto-Submitted", " no", ListSignals.None, "RFC 3834: no means a person sent it")]
    [InlineData("Subject", " bulk", ListSignals.None, "another field")]
    public void EachFieldGivesItsSignal(string name, string value, ListSignals expected, string why) =>
        Assert.True(expected == ListHeaders.Classify(Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value)), why);
}
