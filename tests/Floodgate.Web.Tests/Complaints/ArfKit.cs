using System.Net.Sockets;
using System.Text;
using Floodgate.Storage;
using Floodgate.Storage.Complaints;
using Floodgate.Web.Tests.Infrastructure;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Floodgate.Web.Tests.Complaints;

/// <summary>ARF reports (RFC 5965) built for these tests, and the sending and waiting they need.</summary>
public static class ArfKit
{
    public const string ComplaintAddress = "fbl@floodgate.test";

    /// <summary>
    /// A complaint as a mailbox provider sends it: a human-readable part, the machine-readable
    /// message/feedback-report, and the original message (message/rfc822) or only its headers
    /// (text/rfc822-headers, <paramref name="headersOnly"/>).
    /// </summary>
    public static string Report(string original, string recipient = "victim@mailbox.example", string type = "abuse", bool headersOnly = false,
        bool withVersion = true, bool withUserAgent = true, bool withFeedbackType = true)
    {
        var headers = original.ReplaceLineEndings("\r\n");
        var end = headers.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var part = headersOnly
            ? "Content-Type: text/rfc822-headers\r\n\r\n" + (end < 0 ? headers : headers[..(end + 2)])
            : "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" + headers;
        var fields = new StringBuilder();
        if (withFeedbackType)
            fields.Append("Feedback-Type: ").Append(type).Append("\r\n");
        if (withUserAgent)
            fields.Append("User-Agent: ExampleFBL/2.1\r\n");
        if (withVersion)
            fields.Append("Version: 1\r\n");
        fields.Append("Original-Mail-From: <editor@sender.example>\r\n");
        fields.Append("Original-Rcpt-To: <").Append(recipient).Append(">\r\n");
        fields.Append("Reported-Domain: sender.example\r\n");
        fields.Append("Source-IP: 192.0.2.45\r\n");
        fields.Append("Reporting-MTA: dns; fbl.mailbox.example\r\n");
        return $"""
            From: <fbl-reports@mailbox.example>
            To: <{ComplaintAddress}>
            Subject: FW: complaint
            Date: Sat, 05 Dec 2026 06:00:00 +0000
            Message-ID: <arf-{Guid.NewGuid():N}@mailbox.example>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="arf-part"

            --arf-part
            Content-Type: text/plain; charset=us-ascii

            This is an e-mail abuse report for a message received from 192.0.2.45.

            --arf-part
            Content-Type: message/feedback-report


            """.ReplaceLineEndings("\r\n") + fields + "\r\n--arf-part\r\n" + part + "\r\n--arf-part--\r\n";
    }

    /// <summary>A message with its own Message-ID, sent through the gateway with the mailbox's login.</summary>
    public static async Task<string> SendAsync(TestServe serve, string login, string to = "victim@mailbox.example", string? subject = null, IEnumerable<(string Name, string Value)>? extraHeaders = null)
    {
        var messageId = $"{Guid.NewGuid():N}@sender.example";
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(login));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject ?? "Quarterly offer " + Guid.NewGuid().ToString("N")[..8];
        message.MessageId = messageId;
        foreach (var (name, value) in extraHeaders ?? [])
            message.Headers.Add(name, value);
        message.Body = new TextPart("plain") { Text = "Our new catalogue is out: " + Guid.NewGuid() };
        // Seeded accounts reach the gateway's directory on its next refresh: now.
        await serve.Get<Floodgate.Web.Api.IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(serve.Smtp.Address.ToString(), serve.Smtp.Port, SecureSocketOptions.None);
        await smtp.AuthenticateAsync(login, TestServe.Password);
        await smtp.SendAsync(message);
        await smtp.DisconnectAsync(true);
        return messageId;
    }

    /// <summary>The relayed copy in data/outbox with this Message-ID, as the upstream would have received it.</summary>
    public static async Task<string> OutboxCopyAsync(TestServe serve, string messageId)
    {
        var outbox = Path.Combine(serve.DataDirectory, "outbox");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            foreach (var file in Directory.Exists(outbox) ? Directory.GetFiles(outbox, "*.eml") : [])
            {
                var text = await File.ReadAllTextAsync(file);
                if (text.Contains(messageId, StringComparison.Ordinal))
                    return text;
            }

            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"No relayed copy of {messageId} in {outbox}.");
            await Task.Delay(25);
        }
    }

    /// <summary>Waits until the transaction log (written in batches, off the reply path) has the message.</summary>
    public static async Task WaitForLogAsync(TestServe serve, string messageId)
    {
        var factory = serve.Get<IDbContextFactory<FloodgateDbContext>>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using (var db = await factory.CreateDbContextAsync())
            {
                if (await db.Transactions.AnyAsync(t => t.MessageId == messageId))
                    return;
            }

            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"{messageId} never reached the transaction log.");
            await Task.Delay(25);
        }
    }

    public static async Task<IReadOnlyList<ComplaintRecord>> ComplaintsAsync(TestServe serve) => await serve.Get<ComplaintStore>().RecentAsync(1000);

    /// <summary>One LMTP transaction to <paramref name="recipient"/>; the reply to the message.</summary>
    public static async Task<string> LmtpAsync(TestServe serve, string recipient, string message)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(serve.Serve.Lmtp[0]);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await reader.ReadLineAsync();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"LHLO mailbox.example\r\nMAIL FROM:<>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n"));
        var line = await reader.ReadLineAsync();
        while (line!.StartsWith("250-", StringComparison.Ordinal))
            line = await reader.ReadLineAsync();
        Assert.Equal("250 2.1.0 Sender OK", await reader.ReadLineAsync());
        Assert.Equal("250 2.1.5 Recipient OK", await reader.ReadLineAsync());
        Assert.StartsWith("354", await reader.ReadLineAsync(), StringComparison.Ordinal);
        var body = message.ReplaceLineEndings("\r\n").Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(body + (body.EndsWith("\r\n", StringComparison.Ordinal) ? "" : "\r\n") + ".\r\nQUIT\r\n"));
        return (await reader.ReadLineAsync())!;
    }

    /// <summary>The message with every field of that name (and its folded lines) removed, as a reporter that strips it would.</summary>
    public static string Without(string message, string field)
    {
        var lines = message.ReplaceLineEndings("\r\n").Split("\r\n");
        var kept = new List<string>();
        var skipping = false;
        var inHeaders = true;
        foreach (var line in lines)
        {
            if (inHeaders && line.Length == 0)
                inHeaders = false;
            if (inHeaders && skipping && line.Length > 0 && line[0] is ' ' or '\t')
                continue;
            skipping = inHeaders && line.StartsWith(field + ":", StringComparison.OrdinalIgnoreCase);
            if (!skipping)
                kept.Add(line);
        }

        return string.Join("\r\n", kept);
    }
}
