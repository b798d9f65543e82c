using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Floodgate.Relay;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Gateway;

public sealed class SmtpUpstreamRelayTests
{
    [Theory]
    [InlineData("7-bit with CRLF lines: the received bytes go as they are", "From: ann@acme.test\r\nTo: x@example.net\r\nSubject:  odd  spacing\r\n\tfolded\r\nMessage-ID: <r-1@acme.test>\r\n\r\n.leading dot\r\n..two dots\r\n\r\nEnd\r\n")]
    [InlineData("7-bit MIME multipart: as they are", "From: ann@acme.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n")]
    [InlineData("8-bit: MailKit's path (BODY=8BITMIME)", "From: ann@acme.test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nünïcödé\r\n")]
    public async Task TheRelayedMessageIsByteIdentical(string reason, string raw)
    {
        Assert.NotEmpty(reason);
        await using var sink = await UpstreamSink.StartAsync();
        await using var relay = new SmtpUpstreamRelay(new UpstreamOptions { Url = sink.Url, StartTls = StartTlsMode.None }, NullLogger<SmtpUpstreamRelay>.Instance);
        var bytes = Encoding.UTF8.GetBytes(raw);

        // Twice: the second send reuses the pooled connection and its wrapper message.
        for (var i = 0; i < 2; i++)
        {
            var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], bytes, CancellationToken.None);
            Assert.Equal(RelayOutcome.Sent, result.Outcome);
            var received = await sink.WaitForMessageAsync();
            Assert.Equal(raw, Encoding.UTF8.GetString(received.Data));
        }
    }

    [Theory]
    [InlineData(true, "7-bit, every line CRLF", "A: b\r\n\r\nc\r\n")]
    [InlineData(false, "empty", "")]
    [InlineData(false, "8-bit byte: MailKit decides BODY=8BITMIME or a 7-bit downgrade", "A: b\r\n\r\n\u00e9\r\n")]
    [InlineData(false, "NUL: MailKit re-encodes binary content", "A: b\r\n\r\nx\0y\r\n")]
    [InlineData(false, "bare LF: MailKit writes CRLF", "A: b\r\n\r\nc\nd\r\n")]
    [InlineData(false, "no line end at the end", "A: b\r\n\r\nc")]
    public void OnlyPlainSevenBitCrLfMessagesAreRelayedAsReceived(bool expected, string reason, string raw)
    {
        Assert.NotEmpty(reason);
        Assert.Equal(expected, RelayFormat.IsRelayableAsReceived(Encoding.UTF8.GetBytes(raw)));
    }

    [Fact]
    public void ALineBeyond998OctetsIsLeftToMailKit()
    {
        var fits = "A: b\r\n\r\n" + new string('x', 998) + "\r\n";
        var tooLong = "A: b\r\n\r\n" + new string('x', 999) + "\r\n";
        Assert.True(RelayFormat.IsRelayableAsReceived(Encoding.ASCII.GetBytes(fits)));
        Assert.False(RelayFormat.IsRelayableAsReceived(Encoding.ASCII.GetBytes(tooLong)));
    }

    [Fact]
    public void CheckingAMessageAllocatesNothing()
    {
        var message = Encoding.ASCII.GetBytes("From: ann@acme.test\r\nSubject: s\r\n\r\n" + string.Concat(Enumerable.Repeat("A line of text, as most are.\r\n", 170)));
        Assert.True(RelayFormat.IsRelayableAsReceived(message)); // warm (JIT)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var relayable = RelayFormat.IsRelayableAsReceived(message);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(relayable);
        Assert.Equal(0, allocated);
    }
}
