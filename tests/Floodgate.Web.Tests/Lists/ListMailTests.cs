using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Floodgate.Core.Policy;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;
using Floodgate.Web.Tests.Infrastructure;
using MimeKit;

namespace Floodgate.Web.Tests.Lists;

/// <summary>The lists by mail, through the real `serve`: LMTP in (requests, replies, posts, bounces), the relay's outbox out.</summary>
public sealed class ListMailTests : IAsyncLifetime
{
    private TestServe _serve = null!;
    private MailingList _list = null!;
    private int _mailboxId;

    public async Task InitializeAsync()
    {
        _serve = await TestServe.StartAsync();
        var (clientId, _, mailboxId) = await _serve.SeedClientAsync("Acme", "acme.example", "alice");
        _mailboxId = mailboxId;
        _list = await Store.CreateListAsync(clientId, new NewList("news@acme.example", "Acme News", null, ["alice@acme.example"]), "test");
        await _serve.Get<Floodgate.Web.Api.IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _serve.DisposeAsync();

    private ListStore Store => _serve.Get<ListStore>();

    private string Outbox => Path.Combine(_serve.DataDirectory, "outbox");

    private async Task<ListMember> ConfirmedAsync(string address)
    {
        var request = await Store.RequestSubscriptionAsync(_list.Id, address, new ConsentSource("web", "192.0.2.1", null));
        await Store.MarkConfirmationSentAsync(request.Member.Id, "test");
        return (await Store.ConfirmAsync(request.Member.Id, new ConsentSource("web", "192.0.2.1", null)))!;
    }

    /// <summary>One LMTP transaction; the reply after DATA for each recipient.</summary>
    private async Task<List<string>> LmtpAsync(string sender, string[] recipients, string message)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_serve.Serve.Lmtp[0]);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        async Task<string> ReplyAsync()
        {
            var line = await reader.ReadLineAsync();
            while (line is not null && line.Length > 3 && line[3] == '-')
                line = await reader.ReadLineAsync();
            return line ?? throw new IOException("the connection closed");
        }

        Assert.StartsWith("220", await ReplyAsync(), StringComparison.Ordinal);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("LHLO mx.test\r\n"));
        Assert.StartsWith("250", await ReplyAsync(), StringComparison.Ordinal);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"MAIL FROM:<{sender}>\r\n"));
        Assert.StartsWith("250", await ReplyAsync(), StringComparison.Ordinal);
        foreach (var r in recipients)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"RCPT TO:<{r}>\r\n"));
            Assert.StartsWith("250", await ReplyAsync(), StringComparison.Ordinal);
        }

        await stream.WriteAsync("DATA\r\n"u8.ToArray());
        Assert.StartsWith("354", await ReplyAsync(), StringComparison.Ordinal);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(message.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n.\r\n"));
        var replies = new List<string>();
        foreach (var _ in recipients)
            replies.Add(await ReplyAsync());
        await stream.WriteAsync("QUIT\r\n"u8.ToArray());
        return replies;
    }

    /// <summary>The messages the relay wrote (no upstream in tests), with their envelopes.</summary>
    private List<(string Sender, string[] Recipients, MimeMessage Message)> Sent()
    {
        var sent = new List<(string, string[], MimeMessage)>();
        if (!Directory.Exists(Outbox))
            return sent;
        foreach (var eml in Directory.GetFiles(Outbox, "*.eml").Order(StringComparer.Ordinal))
        {
            using var envelope = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(eml, ".envelope.json")));
            var root = envelope.RootElement;
            var sender = root.EnumerateObject().First(p => p.Name.Equals("sender", StringComparison.OrdinalIgnoreCase)).Value.GetString()!;
            var recipients = root.EnumerateObject().First(p => p.Name.Equals("recipients", StringComparison.OrdinalIgnoreCase)).Value.EnumerateArray().Select(e => e.GetString()!).ToArray();
            sent.Add((sender, recipients, MimeMessage.Load(eml)));
        }

        return sent;
    }

    private List<(string Sender, string[] Recipients, MimeMessage Message)> ListCopies() =>
        [.. Sent().Where(c => c.Message.Headers.Contains(HeaderId.ListId))];

    private async Task<ListPostSummary> DeliveredAsync()
    {
        await _serve.Get<ListDelivery>().RunOnceAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var post = (await Store.ListPostsAsync(_list.Id)).First();
            if (post.Status is PostStatus.Done or PostStatus.Stopped || DateTime.UtcNow > deadline)
                return post;
            await Task.Delay(50);
        }
    }

    private static string Post(string subject, string poster = "alice@acme.example", bool authenticated = true) =>
        (authenticated ? $"Received: from [192.0.2.10] (unknown [192.0.2.10])\n\t(Authenticated sender: {poster})\n\tby mx.acme.example (Postfix) with ESMTPSA id 4ABC;\n\tFri, 4 Dec 2026 10:00:00 +0000 (UTC)\n" : "") +
        $"From: Alice <{poster}>\nTo: news@acme.example\nSubject: {subject}\nMessage-ID: <{Guid.NewGuid():N}@acme.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nNews of the month.\n";

    [Fact]
    public async Task DoubleOptInByMailSendsOnlyAConfirmationAndTheReplyConfirms()
    {
        var replies = await LmtpAsync("bob@example.org", ["news+subscribe@acme.example"], "From: bob@example.org\nSubject: subscribe\n\nplease\n");
        Assert.StartsWith("250 2.0.0", replies[0], StringComparison.Ordinal);
        var member = (await Store.FindMemberAsync(_list.Id, "bob@example.org"))!;
        Assert.Equal(MemberStatus.Pending, member.Status);
        Assert.Equal("email", member.RequestMethod);

        var confirmation = Assert.Single(Sent());
        Assert.Equal(["bob@example.org"], confirmation.Recipients);
        Assert.False(confirmation.Message.Headers.Contains(HeaderId.ListUnsubscribe), "a confirmation is not list content");
        Assert.Contains("/l/confirm/", confirmation.Message.TextBody);
        var replyTo = confirmation.Message.ReplyTo.Mailboxes.Single().Address;
        Assert.StartsWith("news+confirm-", replyTo, StringComparison.Ordinal);

        replies = await LmtpAsync("bob@example.org", [replyTo], "From: bob@example.org\nSubject: Re: Confirm your subscription\n\nyes\n");
        Assert.StartsWith("250 2.0.0", replies[0], StringComparison.Ordinal);
        member = (await Store.FindMemberAsync(_list.Id, "bob@example.org"))!;
        Assert.Equal(MemberStatus.Confirmed, member.Status);
        Assert.Equal("email", member.ConfirmMethod);
        Assert.Equal("bob@example.org", member.ConfirmedFrom);
    }

    [Fact]
    public async Task APostReachesOnlyConfirmedMembersWithTheListHeaders()
    {
        var bob = await ConfirmedAsync("bob@example.org");
        await ConfirmedAsync("erin@example.com");
        await Store.RequestSubscriptionAsync(_list.Id, "carol@example.net", new ConsentSource("web", null, null));
        var dave = await ConfirmedAsync("dave@example.com");
        await Store.UnsubscribeAsync(dave.Id, new ConsentSource("one-click", null, null));
        foreach (var f in Directory.Exists(Outbox) ? Directory.GetFiles(Outbox) : [])
            File.Delete(f);

        var replies = await LmtpAsync("alice@acme.example", ["news@acme.example"], Post("December"));
        Assert.StartsWith("250 2.0.0", replies[0], StringComparison.Ordinal);
        var post = await DeliveredAsync();
        Assert.Equal(PostStatus.Done, post.Status);
        Assert.Equal(2, post.Sent);

        // Carol, pending, may get her confirmation meanwhile, never a copy of the post.
        var copies = ListCopies();
        Assert.Equal(["bob@example.org", "erin@example.com"], copies.SelectMany(c => c.Recipients).Order(StringComparer.Ordinal));
        var copy = copies.Single(c => c.Recipients[0] == "bob@example.org");
        Assert.StartsWith("news+bounce-", copy.Sender, StringComparison.Ordinal);
        Assert.EndsWith("@acme.example", copy.Sender, StringComparison.Ordinal);
        var m = copy.Message;
        Assert.Equal("\"Acme News\" <news.acme.example>", m.Headers[HeaderId.ListId]);
        var unsubscribe = m.Headers[HeaderId.ListUnsubscribe]!;
        Assert.Matches(@"^<http://127\.0\.0\.1:\d+/l/unsubscribe/[a-z2-7]{31}>, <mailto:news\+unsubscribe-[a-z2-7]{31}@acme\.example\?subject=unsubscribe>$", unsubscribe);
        Assert.Equal("List-Unsubscribe=One-Click", m.Headers[HeaderId.ListUnsubscribePost]);
        Assert.Contains("Unsubscribe: http://", m.TextBody);
        Assert.Equal("December", m.Subject);

        // The copies counted in the poster's windows like any other mail.
        var counters = _serve.Get<ICounterStore>().Read(new CounterKey(CounterScope.Mailbox, _mailboxId), DateTimeOffset.UtcNow);
        Assert.Equal(2, counters.ExternalLastHour);

        // The mailto unsubscribes at once: the next post does not reach bob.
        var mailto = unsubscribe[(unsubscribe.IndexOf("mailto:", StringComparison.Ordinal) + 7)..unsubscribe.IndexOf('?', StringComparison.Ordinal)];
        replies = await LmtpAsync("bob@example.org", [mailto], "From: bob@example.org\nSubject: unsubscribe\n\n");
        Assert.StartsWith("250 2.0.0", replies[0], StringComparison.Ordinal);
        Assert.Equal(MemberStatus.Unsubscribed, (await Store.GetMemberAsync(bob.Id))!.Status);
        foreach (var f in Directory.GetFiles(Outbox))
            File.Delete(f);
        await LmtpAsync("alice@acme.example", ["news@acme.example"], Post("January"));
        Assert.Equal(1, (await DeliveredAsync()).Sent);
        Assert.Equal(["erin@example.com"], ListCopies().SelectMany(c => c.Recipients));
    }

    [Fact]
    public async Task ABounceToAMembersVerpAddressCountsAgainstThatMember()
    {
        var bob = await ConfirmedAsync("bob@example.org");
        await LmtpAsync("alice@acme.example", ["news@acme.example"], Post("December"));
        await DeliveredAsync();
        var verp = Sent().Single(c => c.Recipients[0] == "bob@example.org").Sender;

        var dsn = "From: MAILER-DAEMON@mx.example.org\nTo: " + verp + "\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n" +
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nThe mail could not be delivered.\n" +
            "--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n" +
            "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown\n\n--b1--\n";
        var replies = await LmtpAsync("", [verp], dsn);
        Assert.StartsWith("250 2.0.0", replies[0], StringComparison.Ordinal);
        var after = (await Store.GetMemberAsync(bob.Id))!;
        Assert.True(after.BounceScore > 0);
        var bounce = Assert.Single(await Store.BouncesOfMemberAsync(bob.Id));
        Assert.Equal("userunknown", bounce.Reason);
        Assert.Equal(_mailboxId, bounce.MailboxId);
        var kept = (await Store.GetBounceMessageAsync(bounce.BounceMessageId))!;
        Assert.Contains("Recipient address rejected", Encoding.UTF8.GetString(kept.Raw));
    }

    [Fact]
    public async Task AForgedVerpTokenNamesNobody()
    {
        var bob = await ConfirmedAsync("bob@example.org");
        var dsn = "From: MAILER-DAEMON@mx.example.org\nSubject: failure\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\n" +
            "--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; someone@else.example\nAction: failed\nStatus: 5.1.1\n\n--b1--\n";
        var replies = await LmtpAsync("", ["news+bounce-" + new string('a', 31) + "@acme.example"], dsn);
        Assert.StartsWith("250", replies[0], StringComparison.Ordinal);
        Assert.Equal(0, (await Store.GetMemberAsync(bob.Id))!.BounceScore);
    }

    [Fact]
    public async Task APostFromSomeoneElseOrWithoutThePostersLoginIsRefused()
    {
        await ConfirmedAsync("bob@example.org");
        var stranger = await LmtpAsync("mallory@evil.example", ["news@acme.example"], Post("Buy now", poster: "mallory@evil.example"));
        Assert.StartsWith("550 5.7.1", stranger[0], StringComparison.Ordinal);
        var forged = await LmtpAsync("alice@acme.example", ["news@acme.example"], Post("Buy now", authenticated: false));
        Assert.StartsWith("550 5.7.1", forged[0], StringComparison.Ordinal);
        Assert.Empty(await Store.ListPostsAsync(_list.Id));
    }

    [Fact]
    public async Task OneClickUnsubscribeOverHttpTakesEffectBeforeTheNextPostAndAGetDoesNot()
    {
        var bob = await ConfirmedAsync("bob@example.org");
        var erin = await ConfirmedAsync("erin@example.com");
        await LmtpAsync("alice@acme.example", ["news@acme.example"], Post("December"));
        await DeliveredAsync();
        string Link(string who)
        {
            var header = ListCopies().Single(c => c.Recipients[0] == who).Message.Headers[HeaderId.ListUnsubscribe]!;
            var https = new Uri(header[1..header.IndexOf('>', StringComparison.Ordinal)]);
            return https.PathAndQuery;
        }

        using var http = new HttpClient { BaseAddress = _serve.Web };
        // A link scanner follows the link: nothing changes.
        var scanned = await http.GetAsync(Link("erin@example.com"));
        Assert.Equal(HttpStatusCode.OK, scanned.StatusCode);
        Assert.Equal(MemberStatus.Confirmed, (await Store.GetMemberAsync(erin.Id))!.Status);

        // RFC 8058: the mail client's POST, no session, no CSRF token.
        var posted = await http.PostAsync(Link("bob@example.org"), new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var after = (await Store.GetMemberAsync(bob.Id))!;
        Assert.Equal(MemberStatus.Unsubscribed, after.Status);
        Assert.Equal("one-click", after.UnsubscribeMethod);

        foreach (var f in Directory.GetFiles(Outbox))
            File.Delete(f);
        await LmtpAsync("alice@acme.example", ["news@acme.example"], Post("January"));
        Assert.Equal(1, (await DeliveredAsync()).Sent);
        Assert.Equal(["erin@example.com"], ListCopies().SelectMany(c => c.Recipients));
    }

    [Fact]
    public async Task AFullWindowPausesThePostWhichKeepsItsPlace()
    {
        var accounts = _serve.Get<Floodgate.Storage.Accounts.AccountStore>();
        var limits = new Floodgate.Core.Accounts.PlanLimits();
        limits.Mailbox.ExternalRecipientsPerHour = 2;
        var plan = await accounts.AddPlanAsync("tiny", limits, "test");
        await accounts.AssignPlanAsync(_list.ClientId, plan.Id, "test");
        foreach (var who in new[] { "a@example.org", "b@example.org", "c@example.org" })
            await ConfirmedAsync(who);
        await _serve.Get<Floodgate.Web.Api.IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        foreach (var f in Directory.Exists(Outbox) ? Directory.GetFiles(Outbox) : [])
            File.Delete(f);

        await LmtpAsync("alice@acme.example", ["news@acme.example"], Post("Big news"));
        await _serve.Get<ListDelivery>().RunOnceAsync();
        var post = (await Store.ListPostsAsync(_list.Id)).Single();
        Assert.Equal(PostStatus.Sending, post.Status);
        Assert.Equal(2, post.Sent);
        Assert.Contains("Rate limit", post.Detail, StringComparison.Ordinal);
        Assert.Equal(["a@example.org", "b@example.org"], ListCopies().SelectMany(c => c.Recipients).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ASuspensionStopsAPostAtOnce()
    {
        await ConfirmedAsync("bob@example.org");
        await _serve.Get<Floodgate.Storage.Accounts.AccountStore>().SetStatusAsync(Floodgate.Core.Accounts.AccountScope.Mailbox, _mailboxId, Floodgate.Core.Accounts.AccountStatus.Suspended, "test", "test");
        await Store.EnqueuePostAsync(_list.Id, _mailboxId, "After the suspension", null, Encoding.UTF8.GetBytes(Post("After the suspension")));
        await _serve.Get<Floodgate.Web.Api.IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        await _serve.Get<ListDelivery>().RunOnceAsync();
        var post = (await Store.ListPostsAsync(_list.Id)).Single();
        Assert.Equal(PostStatus.Stopped, post.Status);
        Assert.Equal(0, post.Sent);
        Assert.Empty(ListCopies());
    }

    [Fact]
    public async Task GarbageToEveryListAddressGetsAClearReplyAndChangesNoMember()
    {
        var bob = await ConfirmedAsync("bob@example.org");
        var inbox = _serve.Get<ListInbox>();
        var random = new Random(14);
        var token = new string('a', 31);
        string[] recipients =
        [
            "news@acme.example", "news+subscribe@acme.example", $"news+confirm-{token}@acme.example", $"news+unsubscribe-{token}@acme.example",
            "news+unsubscribe@acme.example", $"news+bounce-{token}@acme.example", "news+bounces@acme.example",
        ];
        for (var i = 0; i < 200; i++)
        {
            var junk = new byte[random.Next(200, 4096)];
            random.NextBytes(junk);
            if (i % 3 == 0)
                "Content-Type: multipart/report; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\n"u8.ToArray().CopyTo(junk, 0);
            var sender = i % 2 == 0 ? "" : "bob@example.org";
            var reply = await inbox.ReceiveAsync(sender, recipients[i % recipients.Length], junk, CancellationToken.None);
            Assert.True(reply.Code is 250 or 550, $"message {i} to {recipients[i % recipients.Length]}: {reply.Code}");
        }

        var after = (await Store.GetMemberAsync(bob.Id))!;
        Assert.Equal(MemberStatus.Confirmed, after.Status);
        Assert.Equal(0, after.BounceScore);
        Assert.Empty(await Store.ListPostsAsync(_list.Id));
    }

    [Fact]
    public async Task AClientAdministratorPostsThroughTheApiOnlyAsAnAllowedPosterOfItsOwnList()
    {
        await ConfirmedAsync("bob@example.org");
        using var admin = await _serve.ApiClientAsync(Floodgate.Storage.Access.WebRole.ClientAdministrator, _list.ClientId);
        HttpContent Message(string subject) => new ByteArrayContent(Encoding.UTF8.GetBytes(Post(subject, authenticated: false)))
        {
            Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("message/rfc822") },
        };

        var refused = await admin.PostAsync($"/api/v1/lists/{_list.Id}/posts?from=mallory@evil.example", Message("Nope"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var accepted = await admin.PostAsync($"/api/v1/lists/{_list.Id}/posts?from=alice@acme.example", Message("Via the API"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(1, (await DeliveredAsync()).Sent);
        Assert.Equal(["bob@example.org"], ListCopies().Where(c => c.Message.Subject == "Via the API").SelectMany(c => c.Recipients));

        var (otherClient, _, _) = await _serve.SeedClientAsync("Other", "other.example", "olga");
        using var other = await _serve.ApiClientAsync(Floodgate.Storage.Access.WebRole.ClientAdministrator, otherClient);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/v1/lists/{_list.Id}/posts?from=alice@acme.example", Message("Not mine"))).StatusCode);
    }

    [Fact]
    public async Task APosterSendingToItsListThroughTheGatewayPostsItAndAnyoneElseIsRefusedAtRcpt()
    {
        await ConfirmedAsync("bob@example.org");
        await _serve.Get<Floodgate.Storage.Accounts.AccountStore>().AddMailboxAsync(new Floodgate.Storage.Accounts.NewMailbox("mallory@acme.example", TestServe.Password), "test");
        await _serve.Get<Floodgate.Web.Api.IDirectoryRefresher>().RefreshAsync(CancellationToken.None);
        await _serve.Get<ListDirectory>().RefreshAsync();

        var post = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Post("Through the gateway", authenticated: false))));
        using (var smtp = new MailKit.Net.Smtp.SmtpClient())
        {
            await smtp.ConnectAsync(_serve.Smtp.Address.ToString(), _serve.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
            await smtp.AuthenticateAsync("alice@acme.example", TestServe.Password);
            var reply = await smtp.SendAsync(post, MailboxAddress.Parse("alice@acme.example"), [MailboxAddress.Parse("news@acme.example")]);
            Assert.Contains("Post accepted", reply, StringComparison.Ordinal);
        }

        Assert.Equal(1, (await DeliveredAsync()).Sent);
        Assert.Equal(["bob@example.org"], ListCopies().Where(c => c.Message.Subject == "Through the gateway").SelectMany(c => c.Recipients));

        using (var smtp = new MailKit.Net.Smtp.SmtpClient())
        {
            await smtp.ConnectAsync(_serve.Smtp.Address.ToString(), _serve.Smtp.Port, MailKit.Security.SecureSocketOptions.None);
            await smtp.AuthenticateAsync("mallory@acme.example", TestServe.Password);
            var refused = await Assert.ThrowsAsync<MailKit.Net.Smtp.SmtpCommandException>(() =>
                smtp.SendAsync(post, MailboxAddress.Parse("mallory@acme.example"), [MailboxAddress.Parse("news@acme.example")]));
            Assert.Equal(550, (int)refused.StatusCode);
            Assert.Contains("may not post to this list", refused.Message, StringComparison.Ordinal);
        }

        Assert.Single(await Store.ListPostsAsync(_list.Id));
    }

    [Fact]
    public async Task MailToAnUnknownListIsRefusedPerRecipient()
    {
        var replies = await LmtpAsync("bob@example.org", ["nolist@acme.example", "news+subscribe@acme.example"], "Subject: hi\n\nhi\n");
        Assert.StartsWith("550 5.1.1", replies[0], StringComparison.Ordinal);
        Assert.StartsWith("250 2.0.0", replies[1], StringComparison.Ordinal);
    }
}
