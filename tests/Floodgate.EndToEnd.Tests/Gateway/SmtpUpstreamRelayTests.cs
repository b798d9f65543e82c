using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Floodgate.Protocols.Smtp;
using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Floodgate.EndToEnd.Tests.Gateway;

public sealed class SmtpUpstreamRelayTests
{
    [Theory]
    [InlineData("7-bit with CRLF lines: the received bytes go as they are", "From: ann@acme.test\r\nTo: x@example.net\r\nSubject:  odd  spacing\r\n\tfolded\r\nMessage-ID: <r-1@acme.test>\r\n\r\n.leading dot\r\n..two dots\r\n\r\nEnd\r\n")]
    [InlineData("7-bit MIME multipart: as they are", "From: ann@acme.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n")]
    [InlineData("8-bit: BODY=8BITMIME, as received", "From: ann@acme.test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nünïcödé\r\n")]
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
            Assert.Equal(Outcome.Accepted, result.Outcome);
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

    [Theory]
    [InlineData(true, "8-bit byte, every line CRLF", "A: b\r\n\r\n\u00e9\r\n")]
    [InlineData(false, "NUL", "A: b\r\n\r\nx\0y\r\n")]
    [InlineData(false, "bare LF", "A: b\r\n\r\n\u00e9\nd\r\n")]
    public void EightBitMessagesAreRelayableAsReceivedWhereAllowed(bool expected, string reason, string raw)
    {
        Assert.NotEmpty(reason);
        Assert.Equal(expected, RelayFormat.IsRelayableAsReceived(Encoding.UTF8.GetBytes(raw), allowEightBit: true));
        Assert.Equal(raw.Any(c => c > 127), RelayFormat.HasEightBit(Encoding.UTF8.GetBytes(raw)));
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

    private static readonly byte[] Plain = Encoding.ASCII.GetBytes("From: ann@acme.test\r\nSubject: hi\r\n\r\n.dot first\r\nmiddle\r\n..two\r\n.\r\nend\r\n");

    private static SmtpUpstreamRelay Relay(string url, Action<UpstreamOptions>? configure = null)
    {
        var options = new UpstreamOptions { Url = url, StartTls = StartTlsMode.None, VerifyCertificate = false, Timeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        return new SmtpUpstreamRelay(options, NullLogger<SmtpUpstreamRelay>.Instance);
    }

    [Fact]
    public async Task MailRcptAndDataArePipelinedAndTheContentIsDotStuffed()
    {
        await using var upstream = new ScriptedUpstream("PIPELINING", "8BITMIME", "SIZE 10000000") { HoldRepliesUntilData = true };
        await using var relay = Relay(upstream.Url);

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net", "y@example.net"], Plain, CancellationToken.None);

        Assert.Equal(Outcome.Accepted, result.Outcome);
        Assert.False(upstream.WaitedForReply, "the client waited for the MAIL reply before sending RCPT and DATA");
        Assert.Equal("2.0.0 Ok: queued as M1", result.Text);
        Assert.Equal("EHLO [127.0.0.1]", upstream.Commands.First());
        var commands = upstream.Commands.ToArray();
        Assert.Equal($"MAIL FROM:<ann@acme.test> SIZE={Plain.Length}", commands[1]);
        Assert.Equal(["RCPT TO:<x@example.net>", "RCPT TO:<y@example.net>", "DATA"], commands[2..5]);
        Assert.True(upstream.Contents.TryDequeue(out var content));
        Assert.Equal("From: ann@acme.test\r\nSubject: hi\r\n\r\n..dot first\r\nmiddle\r\n...two\r\n..\r\nend\r\n", Encoding.ASCII.GetString(content));
    }

    [Fact]
    public async Task AnEightBitMessageGoesWithBody8BitMimeWhenTheUpstreamOffersIt()
    {
        await using var upstream = new ScriptedUpstream("PIPELINING", "8BITMIME");
        await using var relay = Relay(upstream.Url);
        var raw = Encoding.UTF8.GetBytes("From: ann@acme.test\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nünïcödé\r\n");

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], raw, CancellationToken.None);

        Assert.Equal(Outcome.Accepted, result.Outcome);
        Assert.Contains("MAIL FROM:<ann@acme.test> BODY=8BITMIME", upstream.Commands);
        Assert.True(upstream.Contents.TryDequeue(out var content));
        Assert.Equal(raw, content);
    }

    [Fact]
    public async Task WithoutPipeliningTheUpstreamGetsMailKitsLockStepSession()
    {
        await using var upstream = new ScriptedUpstream("8BITMIME") { HoldRepliesUntilData = true, HoldTimeout = TimeSpan.FromSeconds(1) };
        await using var relay = Relay(upstream.Url);

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        // Holding the MAIL reply stalls a lock-step client: MailKit waited, as it must without PIPELINING.
        Assert.True(upstream.WaitedForReply);
        Assert.Equal(Outcome.Deferred, result.Outcome);
        upstream.HoldRepliesUntilData = false;
        var again = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);
        Assert.Equal(Outcome.Accepted, again.Outcome);
        Assert.True(upstream.Contents.TryDequeue(out var content));
        Assert.Contains("..dot first", Encoding.ASCII.GetString(content));
    }

    [Fact]
    public async Task TheSettingOffSendsEverythingThroughMailKit()
    {
        await using var upstream = new ScriptedUpstream("PIPELINING", "8BITMIME") { HoldRepliesUntilData = true, HoldTimeout = TimeSpan.FromSeconds(1) };
        await using var relay = Relay(upstream.Url, o => o.Pipelining = false);

        await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        // MailKit pipelines MAIL and RCPT but waits for their replies before DATA.
        Assert.True(upstream.WaitedForReply);
    }

    [Fact]
    public async Task ARefusedRecipientFailsTheMessageWithItsReplyAndNothingIsDelivered()
    {
        await using var sink = await UpstreamSink.StartAsync();
        sink.RefusedRecipients["gone@example.net"] = SmtpReply.Create(550, "5.1.1", "No such user");
        await using var relay = Relay(sink.Url);

        // One recipient of two refused: the upstream says 354 to DATA, and the relay must not deliver to the other.
        var partly = await relay.SendAsync("ann@acme.test", ["x@example.net", "gone@example.net"], Plain, CancellationToken.None);
        // Every recipient refused: DATA is refused too, and the transaction is reset.
        var wholly = await relay.SendAsync("ann@acme.test", ["gone@example.net"], Plain, CancellationToken.None);
        var after = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        Assert.Equal((Outcome.Rejected, 550, "5.1.1"), (partly.Outcome, partly.Code, partly.EnhancedCode));
        Assert.Equal("Upstream rejected: No such user", partly.Text);
        Assert.Equal((Outcome.Rejected, 550, "5.1.1"), (wholly.Outcome, wholly.Code, wholly.EnhancedCode));
        Assert.Equal(Outcome.Accepted, after.Outcome);
        var delivered = await sink.WaitForMessageAsync();
        Assert.Equal(["x@example.net"], delivered.Recipients);
        Assert.Equal(Plain, delivered.Data);
        await Task.Delay(200);
        Assert.Empty(sink.Messages);
        // The connection dropped mid-DATA is replaced; the one reset after the refused DATA is reused.
        Assert.Equal(2, sink.Connections);
    }

    [Theory]
    [InlineData(true, 2, "pipelined: every RCPT reply is read, so every refused recipient is known")]
    [InlineData(false, 1, "MailKit stops at the first refused recipient")]
    public async Task RefusedRecipientsAreReportedWithTheirRepliesForTheDetector(bool pipelining, int reported, string why)
    {
        await using var sink = await UpstreamSink.StartAsync();
        sink.RefusedRecipients["gone@example.net"] = SmtpReply.Create(550, "5.1.1", "<gone@example.net>: User unknown");
        sink.RefusedRecipients["full@example.net"] = SmtpReply.Create(552, "5.2.2", "Mailbox full");
        await using var relay = Relay(sink.Url, o => o.Pipelining = pipelining);

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net", "gone@example.net", "full@example.net"], Plain, CancellationToken.None);

        Assert.Equal(Outcome.Rejected, result.Outcome);
        Assert.NotNull(result.Refused);
        Assert.True(result.Refused.Count == reported, why);
        Assert.Equal((1, 550), (result.Refused[0].Index, result.Refused[0].Code));
        Assert.Contains("5.1.1", result.Refused[0].Text, StringComparison.Ordinal);
        Assert.True(Floodgate.Core.Bounces.UnknownRecipient.IsReply(result.Refused[0].Code, result.Refused[0].Text));
        if (reported == 2)
        {
            Assert.Equal((2, 552), (result.Refused[1].Index, result.Refused[1].Code));
            Assert.False(Floodgate.Core.Bounces.UnknownRecipient.IsReply(result.Refused[1].Code, result.Refused[1].Text));
        }
    }

    [Theory]
    [InlineData(554, "5.7.1", Outcome.Rejected, 554, "5.7.1", "Upstream rejected: Spam")]
    [InlineData(452, "4.3.1", Outcome.Deferred, 451, "4.4.0", "Upstream deferred: Spam")]
    public async Task TheUpstreamsReplyToTheContentIsPassedBack(int code, string enhanced, Outcome outcome, int expectedCode, string expectedEnhanced, string expectedText)
    {
        await using var sink = await UpstreamSink.StartAsync();
        sink.MessageReply = SmtpReply.Create(code, enhanced, "Spam");
        await using var relay = Relay(sink.Url);

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        Assert.Equal((outcome, expectedCode, expectedEnhanced, expectedText), (result.Outcome, result.Code, result.EnhancedCode, result.Text));
        sink.MessageReply = null;
        Assert.Equal(Outcome.Accepted, (await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None)).Outcome);
        Assert.Equal(1, sink.Connections);
    }

    [Theory]
    [InlineData("s3cret pass", Outcome.Accepted, 250, "2.0.0")]
    [InlineData("wrong", Outcome.Deferred, 451, "4.4.1")]
    public async Task StartTlsAndAuthPlainComeBeforeTheFirstMessage(string password, Outcome outcome, int code, string enhanced)
    {
        await using var sink = await UpstreamSink.StartAsync(tls: true);
        sink.Credentials = ("relay-user", "s3cret pass");
        await using var relay = Relay(sink.Url, o =>
        {
            o.StartTls = StartTlsMode.Required;
            o.Username = "relay-user";
            o.Password = password;
        });

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        Assert.Equal((outcome, code, enhanced), (result.Outcome, result.Code, result.EnhancedCode));
        if (outcome == Outcome.Accepted)
        {
            Assert.Equal(["relay-user"], sink.Logins);
            Assert.Equal(Plain, (await sink.WaitForMessageAsync()).Data);
        }
        else
        {
            Assert.Empty(sink.Logins);
            Assert.Empty(sink.Messages);
        }
    }

    [Fact]
    public async Task RequiredStartTlsThatIsNotOfferedIsATemporaryFailure()
    {
        await using var upstream = new ScriptedUpstream("PIPELINING");
        await using var relay = Relay(upstream.Url, o => o.StartTls = StartTlsMode.Required);

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        Assert.Equal((Outcome.Deferred, 451, "4.4.1"), (result.Outcome, result.Code, result.EnhancedCode));
        Assert.DoesNotContain(upstream.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AConnectionTheUpstreamClosedWhileIdleIsReplacedWithoutLosingTheMessage()
    {
        await using var upstream = new ScriptedUpstream("PIPELINING") { CloseAfterMessages = 1 };
        await using var relay = Relay(upstream.Url);

        var first = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);
        await Task.Delay(200);
        var second = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        Assert.Equal(Outcome.Accepted, first.Outcome);
        Assert.Equal(Outcome.Accepted, second.Outcome);
        Assert.Equal(2, upstream.Contents.Count);
        Assert.Equal(2, upstream.Connections);
    }

    [Fact]
    public async Task An421ToMailOnAPooledConnectionIsRetriedOnAFreshOne()
    {
        await using var upstream = new ScriptedUpstream("PIPELINING");
        await using var relay = Relay(upstream.Url);
        Assert.Equal(Outcome.Accepted, (await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None)).Outcome);
        var closing = 1;
        upstream.Reply = line => line.StartsWith("MAIL", StringComparison.Ordinal) && Interlocked.Exchange(ref closing, 0) == 1 ? "421 4.4.2 Idle timeout" : null;

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        Assert.Equal(Outcome.Accepted, result.Outcome);
        Assert.Equal(2, upstream.Contents.Count);
        Assert.Equal(2, upstream.Connections);
    }

    [Fact]
    public async Task AnUpstreamThatDoesNotAnswerTimesOutWith451()
    {
        await using var upstream = new ScriptedUpstream("PIPELINING") { Silent = true };
        await using var relay = Relay(upstream.Url, o => o.Timeout = TimeSpan.FromMilliseconds(500));

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net"], Plain, CancellationToken.None);

        Assert.Equal((Outcome.Deferred, 451, "4.4.2"), (result.Outcome, result.Code, result.EnhancedCode));
    }

    [Theory]
    [InlineData(true, "plain", "ann@acme.test")]
    [InlineData(false, "quoted local part with a space", "\"ann smith\"@acme.test")]
    [InlineData(false, "SMTPUTF8", "änn@acme.test")]
    [InlineData(false, "angle bracket", "ann>@acme.test")]
    public void OnlyPlainAddressesAreWrittenByThePipelinedClient(bool expected, string reason, string address)
    {
        Assert.NotEmpty(reason);
        Assert.Equal(expected, UpstreamConnection.IsPlainAddress(address));
    }
}
