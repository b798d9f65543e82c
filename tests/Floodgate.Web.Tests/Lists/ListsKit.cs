using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Floodgate.Storage.Access;
using Floodgate.Storage.Lists;
using Floodgate.Web.Api;
using Floodgate.Web.Lists;
using Floodgate.Web.Tests.Infrastructure;
using MimeKit;

namespace Floodgate.Web.Tests.Lists;

/// <summary>A client with a domain, a mailbox and a list; and the members, tokens and mail the list tests need.</summary>
public sealed record ListWorld(int ClientId, int DomainId, int MailboxId, string Domain, ListView List);

public static class ListsKit
{
    /// <summary>A new client whose list is made through the API, as an administrator would.</summary>
    public static async Task<ListWorld> SeedListAsync(this TestServe serve, string prefix = "lists")
    {
        var domain = AccountsHarness.Unique(prefix) + ".example";
        var (clientId, domainId, mailboxId) = await serve.SeedClientAsync(AccountsHarness.Unique("Client"), domain, "editor");
        using var admin = await serve.ApiClientAsync(WebRole.Administrator);
        var list = await (await admin.PostAsJsonAsync("/api/v1/lists", new
        {
            clientId,
            address = "news@" + domain,
            name = "News of " + domain,
            description = "Monthly news",
            posters = new[] { "editor@" + domain },
            pendingLifetimeHours = 48,
        })).ReadAsync<ListView>();
        return new ListWorld(clientId, domainId, mailboxId, domain, list);
    }

    /// <summary>A member that asked and confirmed (through the service, as the web pages do).</summary>
    public static async Task<ListMember> ConfirmedMemberAsync(this TestServe serve, ListWorld world, string local = "reader")
    {
        var lists = serve.Get<ListService>();
        var address = AccountsHarness.Unique(local) + "@reader.example";
        var requested = await lists.RequestAsync(world.List.Id, address, new ConsentSource("web", "192.0.2.7", "test"));
        var confirmed = await lists.Store.ConfirmAsync(requested.Member.Id, new ConsentSource("web", "192.0.2.7", "test"));
        return confirmed!;
    }

    public static async Task<ListMember> MemberAsync(this TestServe serve, int memberId) =>
        (await serve.Get<ListStore>().GetMemberAsync(memberId))!;

    /// <summary>The mail sent to <paramref name="address"/>, from data/outbox (where the relay writes with no upstream).</summary>
    public static async Task<MimeMessage> WaitForMailToAsync(this TestServe serve, string address)
    {
        var outbox = Path.Combine(serve.DataDirectory, "outbox");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            foreach (var file in Directory.Exists(outbox) ? Directory.GetFiles(outbox, "*.eml") : [])
            {
                var message = await MimeMessage.LoadAsync(file);
                if (message.To.Mailboxes.Any(m => string.Equals(m.Address, address, StringComparison.OrdinalIgnoreCase)))
                    return message;
            }

            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"No mail to {address} reached {outbox}.");
            await Task.Delay(25);
        }
    }

    /// <summary>The path of the first link of the kind in the message's text (the host is the configured public URL).</summary>
    public static string LinkPath(MimeMessage message, string kind)
    {
        var match = Regex.Match(message.TextBody ?? "", $@"https?://[^/\s]+(/l/{kind}/[a-z2-7]+)");
        Assert.True(match.Success, $"no /l/{kind}/ link in: {message.TextBody}");
        return match.Groups[1].Value;
    }

    public static HttpClient Browser(this TestServe serve)
    {
        var http = new HttpClient { BaseAddress = serve.Web };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("ListsTestBrowser/1.0");
        return http;
    }

    /// <summary>An RFC 3464 report: a 5.1.1 for <paramref name="recipient"/>, of a post of <paramref name="list"/>.</summary>
    public static string Dsn(string recipient, string list) =>
        $"""
        From: MAILER-DAEMON@mx.reader.example (Mail Delivery System)
        To: {list}
        Subject: Undelivered Mail Returned to Sender
        Date: Fri, 04 Dec 2026 10:00:00 +0000
        Message-Id: <dsn-{Guid.NewGuid():N}@mx.reader.example>
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

        --b1
        Content-Type: text/plain; charset=us-ascii

        Your message could not be delivered to {recipient}.

        --b1
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.reader.example

        Final-Recipient: rfc822; {recipient}
        Action: failed
        Status: 5.1.1
        Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown

        --b1--

        """.ReplaceLineEndings("\r\n");
}
