using System.Globalization;
using System.Net;
using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>
/// One sender's SMTP session on the raw client, in the steps an attacker controls separately: log in,
/// the envelope (MAIL and every RCPT in one pipelined write, RFC 2920), and DATA whenever it likes.
/// </summary>
internal static class Submission
{
    public const string Password = "correct horse";

    /// <summary>The serve flags every attack test uses: its own policy and milter ports, never Postfix's defaults.</summary>
    public static readonly string[] PrivateDoors = ["--policy", "127.0.0.1:0", "--milter", "127.0.0.1:0"];

    /// <summary>Detector rules off, for tests of the rate windows alone.</summary>
    public static void DetectorOff(FloodgateProcess fg)
    {
        foreach (var rule in (string[])["RepeatRule", "VolumeRule", "BaselineRule", "CampaignRule", "ReputationRule"])
        {
            fg.Environment[$"FLOODGATE_Detection__{rule}"] = "Off";
        }
    }

    public static async Task<RawSmtpClient> LoginAsync(FloodgateProcess fg, string mailbox, IPAddress? from = null)
    {
        var c = await RawSmtpClient.ConnectAsync(fg.Smtp, from);
        await c.LoginAsync(mailbox, Password);
        return c;
    }

    /// <summary><paramref name="count"/> external recipients no earlier call with another tag repeats.</summary>
    public static string[] Recipients(string tag, int count) =>
        [.. Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{tag}-{i}@outside{i % 7}.example"))];

    /// <summary>MAIL and the RCPTs in one write; returns the replies, MAIL's first.</summary>
    public static async Task<List<string>> EnvelopeAsync(RawSmtpClient c, string sender, IReadOnlyList<string> recipients)
    {
        var commands = new StringBuilder().Append("MAIL FROM:<").Append(sender).Append(">\r\n");
        foreach (var r in recipients)
        {
            commands.Append("RCPT TO:<").Append(r).Append(">\r\n");
        }

        await c.SendAsync(commands.ToString());
        return await c.ReadRepliesAsync(recipients.Count + 1);
    }

    /// <summary>DATA and, after a 354, the message; returns the final reply or DATA's refusal.</summary>
    public static async Task<string> DataAsync(RawSmtpClient c, string message)
    {
        await c.SendAsync("DATA\r\n");
        var start = await c.ReadReplyAsync();
        if (!start.StartsWith("354", StringComparison.Ordinal))
        {
            return start;
        }

        await c.SendAsync(message + ".\r\n");
        return await c.ReadReplyAsync();
    }

    /// <summary>One whole message (envelope and DATA); returns the final reply, or the first refusal of MAIL.</summary>
    public static async Task<string> SendAsync(RawSmtpClient c, string sender, IReadOnlyList<string> recipients, string message)
    {
        var envelope = await EnvelopeAsync(c, sender, recipients);
        if (!envelope[0].StartsWith("250", StringComparison.Ordinal))
        {
            return envelope[0];
        }

        var reply = await DataAsync(c, message);
        if (!reply.StartsWith("250", StringComparison.Ordinal))
        {
            await c.SendAsync("RSET\r\n");
            await c.ReadReplyAsync();
        }

        return reply;
    }

    /// <summary>A plain-text message; ends in CRLF, without the final dot.</summary>
    public static string Message(string sender, string subject, string messageId, string body) =>
        Message(sender, subject, messageId, body, string.Empty);

    /// <summary>
    /// <see cref="Message"/> with a working List-Unsubscribe (<see cref="OptOut"/>): a full-cap message is
    /// bulk, and for a test of the windows or the detector the bulk opt-out rule must let it pass.
    /// </summary>
    public static string Mailing(string sender, string subject, string messageId, string body) =>
        Message(sender, subject, messageId, body, OptOut.Field);

    private static string Message(string sender, string subject, string messageId, string body, string extraFields) =>
        $"From: <{sender}>\r\nTo: <{sender}>\r\nSubject: {subject}\r\nMessage-ID: <{messageId}>\r\n{extraFields}MIME-Version: 1.0\r\n" +
        $"Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}";

    /// <summary>Recipients the upstream received from <paramref name="sender"/>.</summary>
    public static int Relayed(UpstreamSink sink, string sender) =>
        sink.Messages.Where(m => string.Equals(m.Sender, sender, StringComparison.OrdinalIgnoreCase)).Sum(m => m.Recipients.Count);

    public static int Relayed(UpstreamSink sink, IEnumerable<string> senders)
    {
        var set = senders.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return sink.Messages.Where(m => set.Contains(m.Sender)).Sum(m => m.Recipients.Count);
    }
}
