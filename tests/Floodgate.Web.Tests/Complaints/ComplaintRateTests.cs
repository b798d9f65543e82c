using System.Text;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Access;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Floodgate.Web.Complaints;
using Floodgate.Web.Tests.Infrastructure;
using MailKit.Net.Smtp;

namespace Floodgate.Web.Tests.Complaints;

/// <summary>
/// Complaint rates through the real detector and engine: complaints per relayed message over the
/// window hold the next message at the hold rate and suspend the mailbox at the offense rate, with
/// the complaints in the incident's evidence; one complaint, or too little mail, is information only.
/// </summary>
public sealed class ComplaintRateTests
{
    private static async Task<string> ComplainAsync(TestServe serve, HttpClient desk, string messageId)
    {
        var copy = await ArfKit.OutboxCopyAsync(serve, messageId);
        var outcome = await (await desk.PostAsync("/api/v1/bounces", new StringContent(ArfKit.Report(copy), Encoding.ASCII, "message/rfc822"))).ReadAsync<BounceOutcome>();
        return outcome.Complaint!.Attribution;
    }

    /// <summary>The gateway's reply to one more message (250 relayed, 451 held, 550 refused).</summary>
    private static async Task<string> TryAsync(TestServe serve, string login)
    {
        try
        {
            await ArfKit.SendAsync(serve, login);
            return "250";
        }
        catch (SmtpCommandException e)
        {
            return ((int)e.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + e.Message;
        }
    }

    [Fact]
    public async Task AComplaintRateOverTheHoldRateHoldsTheNextOneToOneMessageAndOverTheOffenseRateSuspendsTheMailbox()
    {
        await using var serve = await TestServe.StartAsync(new Dictionary<string, string?>
        {
            ["Complaints:Address"] = ArfKit.ComplaintAddress,
            ["Complaints:MinMessages"] = "10",
            ["Complaints:MinComplaints"] = "2",
            ["Complaints:HoldRate"] = "0.1",
            ["Complaints:OffenseRate"] = "0.3",
        });
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        const string login = "editor@sender.example";
        var sent = new List<string>();
        for (var i = 0; i < 10; i++)
            sent.Add(await ArfKit.SendAsync(serve, login));
        foreach (var id in sent)
            await ArfKit.WaitForLogAsync(serve, id);
        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);

        // One complaint is information: the rate of 10 % is not counted below two complaints.
        Assert.Equal("trace-header", await ComplainAsync(serve, desk, sent[0]));
        Assert.Equal("250", await TryAsync(serve, login));

        // Two of eleven, 18 %: over the hold rate, under the offense rate.
        Assert.Equal("trace-header", await ComplainAsync(serve, desk, sent[1]));
        var held = await TryAsync(serve, login);
        Assert.StartsWith("451 ", held, StringComparison.Ordinal);
        // The sender is told what the hold rests on, not that its one-to-one mail "looks like a mass mailing".
        Assert.Contains("Message held: the mailbox's recent mail shows spam complaints (complaint rate of the mailbox", held, StringComparison.Ordinal);
        Assert.DoesNotContain("mass mailing", held, StringComparison.Ordinal);
        Assert.True(serve.Get<AccountDirectory>().TryGetMailbox(login, out var stillActive) && stillActive.Status.IsActive);

        // Four of twelve relayed, 33 %: an offense, the mailbox is suspended.
        await ComplainAsync(serve, desk, sent[2]);
        await ComplainAsync(serve, desk, sent[3]);
        var refused = await TryAsync(serve, login);
        Assert.StartsWith("550 ", refused, StringComparison.Ordinal);
        Assert.Contains("Message refused: spam complaints detected (", refused, StringComparison.Ordinal);
        var mailbox = await serve.Get<AccountStore>().GetMailboxAsync(sender.MailboxId);
        Assert.Equal(AccountStatus.Suspended, mailbox!.Status);
        Assert.StartsWith("spam complaints detected ", mailbox.StatusReason, StringComparison.Ordinal);

        var incidents = await (await desk.GetAsync($"/api/v1/incidents?clientId={sender.ClientId}")).ReadAsync<Floodgate.Storage.Page<IncidentListItem>>();
        var incident = await (await desk.GetAsync($"/api/v1/incidents/{Assert.Single(incidents.Items).Id}")).ReadAsync<IncidentDetailView>();
        var signal = Assert.Single(incident.Offense.Signals, s => s.Rule == ComplaintReputation.Rule);
        // The transaction log is written off the reply path: the 11th message may not be counted yet.
        Assert.Matches(@"^complaint rate of the mailbox \d+\.\d\d %: 4 complaints \(ARF\) per 1[01] relayed messages in the last 7 days \(hold at 10\.00 %, offense at 30\.00 %\)$", signal.Explanation);
        Assert.Equal(4, incident.Complaints.Count);
        Assert.All(incident.Complaints, c => Assert.Equal("abuse", c.FeedbackType));
        Assert.All(incident.Complaints, c => Assert.Equal("trace-header", c.Attribution));
        Assert.All(incident.Complaints, c => Assert.Equal("fbl.mailbox.example", c.Reporter));
        Assert.Equal(sent.Take(4).ToHashSet(), incident.Complaints.Select(c => c.OriginalMessageId!).ToHashSet());

        using var console = await BrowserSession.SignedInAsync(serve, WebRole.AbuseDesk);
        var page = await console.Http.GetStringAsync($"/Incidents/{incident.Id}");
        Assert.Contains("Complaints (feedback loops)", page, StringComparison.Ordinal);
        Assert.Contains(sent[0], page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneComplaintAboutAMailboxWithLittleMailIsInformationNeverAHold()
    {
        await using var serve = await TestServe.StartAsync(new Dictionary<string, string?>
        {
            ["Complaints:Address"] = ArfKit.ComplaintAddress,
        });
        var sender = await serve.SeedClientAsync("Sender Co", "sender.example", "editor");
        const string login = "editor@sender.example";
        var first = await ArfKit.SendAsync(serve, login);
        await ArfKit.WaitForLogAsync(serve, first);
        using var desk = await serve.ApiClientAsync(WebRole.AbuseDesk);

        // 100 % of one message, but one complaint and one message are far below the minimums (2, 200).
        Assert.Equal("trace-header", await ComplainAsync(serve, desk, first));
        Assert.Equal("250", await TryAsync(serve, login));
        Assert.Null(serve.Get<ComplaintReputation>().Assess(Mailbox(serve, login), DateTimeOffset.UtcNow));

        var view = await (await desk.GetAsync($"/api/v1/mailboxes/{sender.MailboxId}/complaints")).ReadAsync<MailboxComplaintsView>();
        Assert.Equal(1, view.Rate.Complaints);
        Assert.Equal(1, view.Rate.Messages);
        Assert.Equal("7 days", view.Rate.Window);
        Assert.Equal(first, Assert.Single(view.Complaints).OriginalMessageId);
        using var other = await serve.ApiClientAsync(WebRole.ClientAdministrator, (await serve.SeedClientAsync("Other Co", "other.example", "x")).ClientId);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await other.GetAsync($"/api/v1/mailboxes/{sender.MailboxId}/complaints")).StatusCode);
    }

    private static MailboxState Mailbox(TestServe serve, string login) =>
        serve.Get<AccountDirectory>().TryGetMailbox(login, out var mailbox) ? mailbox : throw new Xunit.Sdk.XunitException(login + " is not in the directory");
}
