using Floodgate.Protocols.Smtp;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// A hosted list's mail through real Postfix (<see cref="ListsPostfixFixture"/>): requests, replies,
/// copies and bounces all cross Postfix's smtpd, queue, transport map and LMTP client.
/// </summary>
public sealed class ListsThroughPostfixTests(ListsPostfixFixture fixture) : IClassFixture<ListsPostfixFixture>
{
    private const string MemberDomain = ListsPostfixFixture.MemberDomain;

    [Fact]
    public async Task ASubscriptionMailedThroughPostfixIsConfirmedByReplyingToTheConfirmation()
    {
        var list = await fixture.CreateListAsync("optin");
        var subscriber = $"sam@{MemberDomain}";

        await fixture.SendAsync(subscriber, $"optin+subscribe@{ListsPostfixFixture.ListDomain}", "subscribe", "Please add me.");
        var (envelope, confirmation) = await fixture.WaitForMailAsync(subscriber, m => m.Subject?.StartsWith("Confirm your subscription", StringComparison.Ordinal) == true, "confirmation");
        var pending = await fixture.MemberAsync(list, subscriber);
        var replyTo = confirmation.ReplyTo.Mailboxes.Single().Address;
        await fixture.SendAsync(subscriber, replyTo, "Re: " + confirmation.Subject, "Yes, that was me.");
        var member = await fixture.WaitForMemberAsync(list, subscriber, m => m.GetProperty("status").GetString() == "confirmed", "confirmed");

        Assert.Equal("pending", pending?.GetProperty("status").GetString());
        Assert.Equal(("email", subscriber), (pending?.GetProperty("requestMethod").GetString(), pending?.GetProperty("requestFrom").GetString()));
        // The confirmation went out through Postfix with the member's VERP address as its envelope sender.
        Assert.StartsWith($"optin+bounce-", envelope.Sender, StringComparison.Ordinal);
        Assert.EndsWith("@" + ListsPostfixFixture.ListDomain, envelope.Sender, StringComparison.Ordinal);
        Assert.StartsWith($"optin+confirm-", replyTo, StringComparison.Ordinal);
        Assert.Equal(("email", subscriber), (member.GetProperty("confirmMethod").GetString(), member.GetProperty("confirmedFrom").GetString()));
    }

    [Fact]
    public async Task PostfixsBounceOfACopyToAnUnknownUserCountsAgainstTheMemberItsVerpAddressNames()
    {
        var list = await fixture.CreateListAsync("weekly");
        var gone = $"gus@{MemberDomain}";
        var kept = $"kim@{MemberDomain}";
        await fixture.SubscribeByMailAsync(list, gone);
        await fixture.SubscribeByMailAsync(list, kept);
        // The mailbox is deleted after it confirmed: the members' MX now refuses it, Postfix bounces.
        fixture.Sink.RefusedRecipients[gone] = SmtpReply.Create(550, "5.1.1", $"<{gone}>: Recipient address rejected: User unknown in virtual mailbox table");

        await fixture.PostAsync(list, "Weekly 1", "This week's news.");
        var (copy, _) = await fixture.WaitForMailAsync(kept, m => m.Subject == "Weekly 1", "copy of the post");
        var bounced = await fixture.WaitForMemberAsync(list, gone, m => m.GetProperty("bounceScore").GetDouble() > 0, "scored for a bounce");
        var history = await fixture.HistoryAsync(list, gone);
        var other = await fixture.MemberAsync(list, kept);

        Assert.StartsWith("weekly+bounce-", copy.Sender, StringComparison.Ordinal);
        Assert.Equal(1.0, bounced.GetProperty("bounceScore").GetDouble());
        Assert.Equal("confirmed", bounced.GetProperty("status").GetString());
        var bounce = Assert.Single(history, e => e.GetProperty("kind").GetString() == "bounce");
        Assert.StartsWith("userunknown 5.1.1 (hard)", bounce.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0.0, other?.GetProperty("bounceScore").GetDouble());
        // Postfix itself wrote the DSN and handed it to Floodgate over LMTP.
        var log = fixture.Postfix.ReadMailLog();
        Assert.Contains($"to=<{gone}>", log, StringComparison.Ordinal);
        Assert.Contains("status=bounced", log, StringComparison.Ordinal);
        Assert.Contains("sender non-delivery notification", log, StringComparison.Ordinal);
        Assert.Contains("recorded (failure, 1 recipient(s))", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACopyPostfixRefusesAtRcptForAnUnknownUserCountsAgainstTheMember()
    {
        var list = await fixture.CreateListAsync("monthly");
        var gone = ListsPostfixFixture.HostedUser;
        var kept = $"kai@{MemberDomain}";
        await fixture.SubscribeByMailAsync(list, gone, deliveredTo: $"gia@{MemberDomain}");
        await fixture.SubscribeByMailAsync(list, kept);
        // The hosted mailbox is deleted after it confirmed: Postfix's smtpd now refuses it itself, at RCPT,
        // so no DSN is ever written; the refusal is Floodgate's relay's answer.
        await fixture.Postfix.ReconfigureAsync(ListsPostfixFixture.HostedUsers($"someone-else@{ListsPostfixFixture.HostedDomain}"));

        await fixture.PostAsync(list, "Monthly 1", "This month's news.");
        await fixture.WaitForMailAsync(kept, m => m.Subject == "Monthly 1", "copy of the post");
        var refused = await fixture.WaitForMemberAsync(list, gone, m => m.GetProperty("bounceScore").GetDouble() > 0, "scored for the refusal");
        var history = await fixture.HistoryAsync(list, gone);

        Assert.Equal(1.0, refused.GetProperty("bounceScore").GetDouble());
        var bounce = Assert.Single(history, e => e.GetProperty("kind").GetString() == "bounce");
        Assert.StartsWith("userunknown 5.1.1 (hard)", bounce.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var log = fixture.Postfix.ReadMailLog();
        Assert.True(log.Contains($"<{gone}>: Recipient address rejected: User unknown in virtual alias table", StringComparison.Ordinal), log);
    }

    [Fact]
    public async Task MailToTheCopysMailtoUnsubscribeThroughPostfixUnsubscribesTheMember()
    {
        var list = await fixture.CreateListAsync("digest");
        var member = $"uma@{MemberDomain}";
        await fixture.SubscribeByMailAsync(list, member);

        await fixture.PostAsync(list, "Digest 1", "Today's digest.");
        var (_, copy) = await fixture.WaitForMailAsync(member, m => m.Subject == "Digest 1", "copy of the post");
        var header = copy.Headers["List-Unsubscribe"] ?? string.Empty;
        var mailto = header.Split(',').Select(p => p.Trim().Trim('<', '>')).Single(p => p.StartsWith("mailto:", StringComparison.Ordinal));
        var address = mailto["mailto:".Length..mailto.IndexOf('?', StringComparison.Ordinal)];
        await fixture.SendAsync(member, address, "unsubscribe", string.Empty);
        var left = await fixture.WaitForMemberAsync(list, member, m => m.GetProperty("status").GetString() == "unsubscribed", "unsubscribed");

        Assert.StartsWith("digest+unsubscribe-", address, StringComparison.Ordinal);
        Assert.Equal("mailto", left.GetProperty("unsubscribeMethod").GetString());
    }
}
