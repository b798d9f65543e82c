using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Floodgate.Core.Policy;
using Floodgate.Doors.Relay;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// The gateway's relay with real Postfix smtpd as its upstream (Debian's package, SASL through Dovecot),
/// the MTA a provider most likely relays to: smtpd checks command pipelining strictly and logs a client
/// that pipelines where it may not.
/// </summary>
public sealed class PostfixUpstreamTests
{
    [Fact]
    public async Task ThePipelinedClientRelaysThroughPostfixWithAuthPlainAndTheContentIntact()
    {
        await using var sink = await UpstreamSink.StartAsync();
        await using var postfix = await PrivatePostfix.StartAsync(["relay@acme.test"], [$"relayhost = [127.0.0.1]:{sink.EndPoint.Port}"]);
        var logger = new ListLogger<SmtpUpstreamRelay>();
        await using var relay = new SmtpUpstreamRelay(
            new UpstreamOptions { Url = $"smtp://127.0.0.1:{postfix.Port}", StartTls = StartTlsMode.None, Username = "relay@acme.test", Password = "correct horse" },
            logger);
        const string body = ".first line starts with a dot\r\n..two dots\r\n.\r\nEnd\r\n";
        var raw = Encoding.ASCII.GetBytes("From: ann@acme.test\r\nTo: x@example.net\r\nSubject: through Postfix\r\nMessage-ID: <up-1@acme.test>\r\n\r\n" + body);

        var first = await relay.SendAsync("ann@acme.test", ["x@example.net", "y@example.net"], raw, CancellationToken.None);
        var second = await relay.SendAsync("ann@acme.test", ["z@example.net"], raw, CancellationToken.None);

        Assert.True(first.Outcome == Outcome.Accepted, $"{first.Code} {first.Text}\n{postfix.ReadMailLog()}");
        Assert.Equal(Outcome.Accepted, second.Outcome);
        Assert.Contains("queued as", first.Text);
        var delivered = new[] { await sink.WaitForMessageAsync(TimeSpan.FromSeconds(60)), await sink.WaitForMessageAsync(TimeSpan.FromSeconds(60)) };
        var both = delivered.Single(m => m.Recipients.Count == 2);
        Assert.Equal(["x@example.net", "y@example.net"], both.Recipients.Order());
        Assert.Equal("ann@acme.test", both.Sender);
        // Postfix adds its Received header (and a Date for a local client); the body is what the client sent.
        var text = Encoding.ASCII.GetString(both.Data);
        Assert.Contains("\r\nMessage-ID: <up-1@acme.test>\r\n", text);
        Assert.EndsWith("\r\n\r\n" + body, text);
        Assert.Equal(text.Length - body.Length - 4, text.IndexOf("\r\n\r\n", StringComparison.Ordinal));
        // Postfix offers PIPELINING and AUTH PLAIN: the relay never fell back to MailKit.
        Assert.DoesNotContain(logger.Lines, l => l.Contains("through MailKit", StringComparison.Ordinal));
        var log = postfix.ReadMailLog();
        Assert.Contains("sasl_username=relay@acme.test", log);
        Assert.DoesNotContain("improper command pipelining", log);
    }

    [Fact]
    public async Task ARecipientPostfixRefusesFailsTheMessageAndNothingIsDelivered()
    {
        await using var sink = await UpstreamSink.StartAsync();
        // Mail for refused.test is refused at RCPT; the other recipient would be accepted.
        await using var postfix = await PrivatePostfix.StartAsync(["relay@acme.test"],
        [
            $"relayhost = [127.0.0.1]:{sink.EndPoint.Port}",
            "smtpd_recipient_restrictions = check_recipient_access inline:{ { refused.test = REJECT no mail for refused.test } }",
        ]);
        await using var relay = new SmtpUpstreamRelay(
            new UpstreamOptions { Url = $"smtp://127.0.0.1:{postfix.Port}", StartTls = StartTlsMode.None, Username = "relay@acme.test", Password = "correct horse" },
            NullLogger<SmtpUpstreamRelay>.Instance);
        var raw = Encoding.ASCII.GetBytes("From: ann@acme.test\r\nSubject: s\r\n\r\nbody\r\n");

        var result = await relay.SendAsync("ann@acme.test", ["x@example.net", "bob@refused.test"], raw, CancellationToken.None);
        var after = await relay.SendAsync("ann@acme.test", ["x@example.net"], raw, CancellationToken.None);

        Assert.Equal((Outcome.Rejected, 554, "5.7.1"), (result.Outcome, result.Code, result.EnhancedCode));
        Assert.Contains("no mail for refused.test", result.Text);
        Assert.Equal(Outcome.Accepted, after.Outcome);
        var delivered = await sink.WaitForMessageAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(["x@example.net"], delivered.Recipients);
        Assert.EndsWith("\r\n\r\nbody\r\n", Encoding.ASCII.GetString(delivered.Data));
        await Task.Delay(1000);
        Assert.Empty(sink.Messages);
        // Postfix had said 354 (one recipient was good): the client dropped the connection instead of
        // finishing the message for that recipient alone.
        Assert.Contains("lost connection after DATA", postfix.ReadMailLog());
    }
}
