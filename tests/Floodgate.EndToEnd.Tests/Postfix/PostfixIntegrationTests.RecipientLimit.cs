using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// A message to more recipients than the cap, the way RFC 5321 4.5.3.1.10 tells a client to send it: the
/// first transaction keeps what was accepted, the rest follow in new transactions on the same connection.
/// Recipients are internal (acme.test), so the mass-mail detector and the external windows stay out of it.
/// </summary>
public sealed partial class PostfixIntegrationTests
{
    // The default plan's cap, and smtpd_recipient_limit in the README's main.cf.
    private const int Cap = 200;

    [Fact]
    public async Task TwoHundredFiftyRecipientsGoAsTwoTransactionsOnOneConnection() =>
        await SendBeyondTheCapAsync("ida@acme.test", 250);

    [Fact]
    public async Task AThousandRecipientsGoAsFiveTransactionsOnOneConnection() =>
        await SendBeyondTheCapAsync("joe@acme.test", 1000);

    /// <summary>
    /// MAIL and every RCPT pipelined: the first <see cref="Cap"/> accepted, every other one 452 4.5.3; the
    /// message goes; then the rest, at most <see cref="Cap"/> per transaction, all accepted; the connection
    /// stays up throughout and the upstream gets every recipient exactly once.
    /// </summary>
    private async Task SendBeyondTheCapAsync(string mailbox, int count)
    {
        var recipients = new string[count];
        for (var i = 0; i < count; i++)
        {
            recipients[i] = $"staff{i + 1}@acme.test";
        }

        var messageId = Guid.NewGuid().ToString("N");
        await using var smtp = await LoginAsync(mailbox);

        var first = await PipelineAsync(smtp, mailbox, recipients);
        AssertReplies($"1 × 250 2.1.0, {Cap} × 250 2.1.5, {count - Cap} × 452 4.5.3", first);
        Assert.EndsWith("Error: too many recipients", first[Cap + 1]);
        Assert.StartsWith("250", await SendDataAsync(smtp, mailbox, "All-staff meeting on Friday", messageId));

        for (var next = Cap; next < count; next += Cap)
        {
            var rest = recipients[next..Math.Min(count, next + Cap)];
            var replies = await PipelineAsync(smtp, mailbox, rest);
            AssertReplies($"1 × 250 2.1.0, {rest.Length} × 250 2.1.5", replies);
            Assert.StartsWith("250", await SendDataAsync(smtp, mailbox, "All-staff meeting on Friday", messageId));
        }

        await smtp.SendAsync("QUIT\r\n");
        Assert.StartsWith("221", await smtp.ReadReplyAsync());

        var delivered = await WaitForRecipientsAsync(mailbox, count);
        Assert.Equal(recipients.Order(StringComparer.Ordinal), delivered.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("too many errors", fixture.Postfix.ReadMailLog());
    }

    /// <summary>MAIL and the RCPTs in one write (RFC 2920); every reply, up to the server closing the connection.</summary>
    private static async Task<List<string>> PipelineAsync(RawSmtpClient smtp, string mailbox, string[] recipients)
    {
        var commands = new StringBuilder($"MAIL FROM:<{mailbox}>\r\n");
        foreach (var r in recipients)
        {
            commands.Append("RCPT TO:<").Append(r).Append(">\r\n");
        }

        // Read while writing: Postfix answers as it reads, and neither side may wait on a full socket buffer.
        var send = smtp.SendAsync(commands.ToString());
        var replies = new List<string>(recipients.Length + 1);
        try
        {
            for (var i = 0; i <= recipients.Length; i++)
            {
                replies.Add(await smtp.ReadReplyAsync());
            }
        }
        catch (IOException)
        {
            replies.Add("(closed)");
        }

        try
        {
            await send;
        }
        catch (IOException)
        {
        }

        return replies;
    }

    // The whole summary in the message: Assert.Equal would cut a long one where they differ.
    private static void AssertReplies(string expected, List<string> replies)
    {
        var actual = Summary(replies);
        Assert.True(actual == expected, $"expected {expected}\n     got {actual}\nlast reply: {replies.FindLast(r => char.IsAsciiDigit(r[0]))}");
    }

    /// <summary>Replies as runs of their code and enhanced code: "1 × 250 2.1.0, 200 × 250 2.1.5, 50 × 452 4.5.3".</summary>
    private static string Summary(List<string> replies)
    {
        var runs = new List<string>();
        var current = string.Empty;
        var length = 0;
        foreach (var reply in replies)
        {
            var parts = reply.Split(' ', 3);
            var key = char.IsAsciiDigit(reply[0]) && parts.Length >= 2 ? parts[0] + " " + parts[1] : reply;
            if (key != current && length > 0)
            {
                runs.Add($"{length} × {current}");
                length = 0;
            }

            current = key;
            length++;
        }

        if (length > 0)
        {
            runs.Add($"{length} × {current}");
        }

        return string.Join(", ", runs);
    }

    /// <summary>Every recipient the upstream got from the sender, once it got at least <paramref name="count"/>.</summary>
    private async Task<List<string>> WaitForRecipientsAsync(string sender, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var received = new List<string>();
        while (DateTime.UtcNow < deadline)
        {
            received.Clear();
            foreach (var m in fixture.Sink.Messages)
            {
                if (m.Sender == sender)
                {
                    received.AddRange(m.Recipients);
                }
            }

            if (received.Count >= count)
            {
                return received;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the upstream got {received.Count} of {count} recipients from {sender}:\n{Tail(fixture.Postfix.ReadMailLog())}");
    }
}
