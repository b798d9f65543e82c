using System.Net;
using System.Text;
using Floodgate.Core.Complaints;
using Floodgate.Storage.Access;
using Floodgate.Storage.Complaints;
using Floodgate.Storage.Lists;
using Floodgate.Web.Tests.Infrastructure;
using Floodgate.Web.Tests.Notifications;
using MimeKit;

namespace Floodgate.Web.Tests.Complaints;

/// <summary>
/// The feedback loop end to end: a message relayed through the real gateway over SMTP carries a
/// signed CFBL-Feedback-ID; the ARF report built from the relayed copy comes back through a bounce
/// door and names the mailbox that sent it, by the trace header or by the Message-ID, and never by
/// a header that does not verify.
/// </summary>
public sealed class ComplaintAttributionTests
{
    private static Dictionary<string, string?> Settings(SmtpSink? upstream = null)
    {
        var settings = new Dictionary<string, string?> { ["Complaints:Address"] = ArfKit.ComplaintAddress };
        if (upstream is not null)
            settings["Upstream:Url"] = upstream.Url;
        return settings;
    }

    private static StringContent Rfc822(string report) => new(report, Encoding.ASCII, "message/rfc822");

    [Fact]
    public async Task ARelayedMessageCarriesOneSignedTraceHeaderAndItsComplaintNamesTheSenderThroughHttp()
    {
        await using var upstream = await SmtpSink.StartAsync();
        await using var serve = await TestServe.StartAsync(Settings(upstream));
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        var other = await serve.SeedClientAsync("Other Co", "other.example", "victim");
        var forged = new FeedbackId(new byte[32]).Create(other.MailboxId, DateTimeOffset.UtcNow);

        // The client writes its own trace fields, naming another mailbox: the gateway drops them.
        var messageId = await ArfKit.SendAsync(serve, "editor@sender.example", extraHeaders: [("CFBL-Feedback-ID", forged), ("CFBL-Address", "spam@evil.example; report=arf")]);

        var relayed = Assert.Single(await upstream.WaitForAcceptedAsync(1));
        var copy = relayed.Parse();
        var trace = Assert.Single(copy.Headers, h => h.Field.Equals("CFBL-Feedback-ID", StringComparison.OrdinalIgnoreCase)).Value.Trim();
        Assert.Equal(FeedbackId.Length, trace.Length);
        Assert.NotEqual(forged, trace);
        Assert.Equal(ArfKit.ComplaintAddress + "; report=arf", Assert.Single(copy.Headers, h => h.Field.Equals("CFBL-Address", StringComparison.OrdinalIgnoreCase)).Value.Trim());
        Assert.DoesNotContain("editor", trace, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(messageId, copy.MessageId);
        Assert.Equal(FeedbackIdCheck.Valid, serve.Get<FeedbackId>().Verify(trace, out var reference));
        Assert.Equal(sender.MailboxId, reference.MailboxId);

        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);
        using var response = await desk.PostAsync("/api/v1/bounces", Rfc822(ArfKit.Report(Encoding.ASCII.GetString(relayed.Data))));
        var outcome = await response.ReadAsync<BounceOutcome>();

        Assert.Equal("feedback", outcome.Kind);
        Assert.NotNull(outcome.Complaint);
        Assert.Equal(Attributions.TraceHeader, outcome.Complaint.Attribution);
        Assert.Equal(sender.MailboxId, outcome.Complaint.MailboxId);
        var record = Assert.Single(await ArfKit.ComplaintsAsync(serve));
        Assert.Equal(sender.MailboxId, record.MailboxId);
        Assert.Equal(sender.DomainId, record.DomainId);
        Assert.Equal(sender.ClientId, record.ClientId);
        Assert.Equal("abuse", record.FeedbackType);
        Assert.Equal(messageId, record.OriginalMessageId);
        Assert.Equal("victim@mailbox.example", record.OriginalRecipient);
        Assert.Equal("192.0.2.45", record.SourceIp);
        Assert.Equal("ExampleFBL/2.1", record.UserAgent);
        Assert.Equal("fbl.mailbox.example", record.Reporter);
        Assert.Equal(trace, record.FeedbackId);
    }

    [Fact]
    public async Task AComplaintWhoseTraceHeaderTheReporterStrippedIsAttributedByMessageIdThroughLmtp()
    {
        await using var serve = await TestServe.StartAsync(Settings());
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        var messageId = await ArfKit.SendAsync(serve, "editor@sender.example");
        var copy = await ArfKit.OutboxCopyAsync(serve, messageId);
        Assert.Contains("CFBL-Feedback-ID: ", copy, StringComparison.Ordinal);
        await ArfKit.WaitForLogAsync(serve, messageId);

        var reply = await ArfKit.LmtpAsync(serve, ArfKit.ComplaintAddress, ArfKit.Report(ArfKit.Without(copy, "CFBL-Feedback-ID"), headersOnly: true));

        Assert.StartsWith("250 2.0.0 complaint ", reply, StringComparison.Ordinal);
        Assert.EndsWith("(message-id)", reply, StringComparison.Ordinal);
        var record = Assert.Single(await ArfKit.ComplaintsAsync(serve));
        Assert.Equal(Attributions.MessageId, record.Attribution);
        Assert.Equal(sender.MailboxId, record.MailboxId);
        Assert.Equal("no trace header; attributed by Message-ID", record.Note);
        Assert.Equal("lmtp", record.Source);
    }

    [Fact]
    public async Task AForgedTraceHeaderNamingAnotherMailboxIsNeverItsEvidence()
    {
        await using var serve = await TestServe.StartAsync(Settings());
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        var victim = await serve.SeedClientAsync("Victim Co", "victim.example", "ceo");
        var messageId = await ArfKit.SendAsync(serve, "editor@sender.example");
        var copy = await ArfKit.OutboxCopyAsync(serve, messageId);
        await ArfKit.WaitForLogAsync(serve, messageId);
        var ours = serve.Get<FeedbackId>().Create(victim.MailboxId, DateTimeOffset.UtcNow);
        // Our format, the victim's id, a MAC made with a key that is not the provider's: one bit flipped is enough.
        var tampered = ours[..^2] + (ours[^2] == 'A' ? 'B' : 'A') + ours[^1];
        var forgedCopy = "CFBL-Feedback-ID: " + tampered + "\r\n" + ArfKit.Without(copy, "CFBL-Feedback-ID");
        var unknown = ArfKit.Without(forgedCopy, "Message-ID").Replace("From:", "Message-ID: <never-relayed@sender.example>\r\nFrom:", StringComparison.Ordinal);
        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);

        var byMessageId = await (await desk.PostAsync("/api/v1/bounces", Rfc822(ArfKit.Report(forgedCopy)))).ReadAsync<BounceOutcome>();
        var nobody = await (await desk.PostAsync("/api/v1/bounces", Rfc822(ArfKit.Report(unknown)))).ReadAsync<BounceOutcome>();

        Assert.Equal(Attributions.MessageId, byMessageId.Complaint!.Attribution);
        Assert.Equal(sender.MailboxId, byMessageId.Complaint.MailboxId);
        Assert.Equal("trace header failed verification; attributed by Message-ID", byMessageId.Complaint.Note);
        Assert.Equal(Attributions.None, nobody.Complaint!.Attribution);
        Assert.Null(nobody.Complaint.MailboxId);
        Assert.Equal("trace header failed verification; the Message-ID is not in the transaction log", nobody.Complaint.Note);
        Assert.DoesNotContain(await ArfKit.ComplaintsAsync(serve), c => c.MailboxId == victim.MailboxId);
    }

    [Fact]
    public async Task AnotherProvidersFeedbackIdAndAGenuineHeaderCopiedBesideOursAttributeToNoOneByTheHeader()
    {
        await using var serve = await TestServe.StartAsync(Settings());
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        var victim = await serve.SeedClientAsync("Victim Co", "victim.example", "ceo");
        var ids = serve.Get<FeedbackId>();
        var foreign = "CFBL-Feedback-ID: 111:222:333:4444\r\n" + """
            From: <news@elsewhere.example>
            To: <victim@mailbox.example>
            Subject: Elsewhere's news
            Message-ID: <elsewhere-1@elsewhere.example>

            Hello.
            """.ReplaceLineEndings("\r\n");
        // A milter path keeps a client's own header beside ours: two genuine values naming different mailboxes.
        var copied = $"CFBL-Feedback-ID: {ids.Create(victim.MailboxId, DateTimeOffset.UtcNow)}\r\nCFBL-Feedback-ID: {ids.Create(sender.MailboxId, DateTimeOffset.UtcNow)}\r\n" + """
            From: <editor@sender.example>
            To: <victim@mailbox.example>
            Subject: Offer
            Message-ID: <copied-1@sender.example>

            Hello.
            """.ReplaceLineEndings("\r\n");
        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);

        var other = await (await desk.PostAsync("/api/v1/bounces", Rfc822(ArfKit.Report(foreign)))).ReadAsync<BounceOutcome>();
        var conflict = await (await desk.PostAsync("/api/v1/bounces", Rfc822(ArfKit.Report(copied)))).ReadAsync<BounceOutcome>();

        Assert.Equal(Attributions.None, other.Complaint!.Attribution);
        Assert.Equal("trace header is not Floodgate's (another provider's); the Message-ID is not in the transaction log", other.Complaint.Note);
        Assert.Equal(Attributions.None, conflict.Complaint!.Attribution);
        Assert.StartsWith("trace headers name different mailboxes", conflict.Complaint.Note, StringComparison.Ordinal);
        Assert.All(await ArfKit.ComplaintsAsync(serve), c => Assert.Null(c.MailboxId));
    }

    [Theory]
    [InlineData("version", "lacks its required User-Agent or Version field")]
    [InlineData("feedback-type", "has no Feedback-Type field")]
    [InlineData("original", "no original message")]
    public async Task AMalformedArfReportIsRefusedWithItsReasonAtHttpAndLmtpAndRecordsNoComplaint(string broken, string reason)
    {
        await using var serve = await TestServe.StartAsync(Settings());
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        var messageId = await ArfKit.SendAsync(serve, "editor@sender.example");
        var copy = await ArfKit.OutboxCopyAsync(serve, messageId);
        await ArfKit.WaitForLogAsync(serve, messageId);
        var report = ArfKit.Report(copy, withVersion: broken != "version", withFeedbackType: broken != "feedback-type");
        if (broken == "original")
        {
            // The third part cut off: a report of nothing.
            report = report[..report.LastIndexOf("--arf-part\r\nContent-Type: message/rfc822", StringComparison.Ordinal)] + "--arf-part--\r\n";
        }

        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);

        using var http = await desk.PostAsync("/api/v1/bounces", Rfc822(report));
        var lmtp = await ArfKit.LmtpAsync(serve, ArfKit.ComplaintAddress, report);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, http.StatusCode);
        Assert.Contains(reason, await http.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("550 5.6.0 ", lmtp, StringComparison.Ordinal);
        Assert.Contains(reason, lmtp, StringComparison.Ordinal);
        Assert.Empty(await ArfKit.ComplaintsAsync(serve));
        // The server stays up and the next good report is taken.
        var good = await (await desk.PostAsync("/api/v1/bounces", Rfc822(ArfKit.Report(copy)))).ReadAsync<BounceOutcome>();
        Assert.Equal(sender.MailboxId, good.Complaint!.MailboxId);
    }
}
