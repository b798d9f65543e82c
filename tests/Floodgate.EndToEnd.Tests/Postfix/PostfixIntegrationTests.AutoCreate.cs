using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Postfix;

/// <summary>
/// A login Postfix's Dovecot accepts and Floodgate has no mailbox for, of a domain Floodgate polices:
/// the policy door (or the milter, whichever asks first) creates the mailbox before it answers, under
/// the domain's client and plan, so the plan's cap holds for the very first message.
/// </summary>
public sealed partial class PostfixIntegrationTests
{
    [Fact]
    public async Task FirstLoginOfANewMailboxCreatesItOnceAndItsPlanCapsItsFirstMessage()
    {
        const string login = PostfixFixture.NewcomerLogin;

        // Two sessions at once, as a mail client opening two connections does: one creation between them.
        await using var first = await LoginAsync(login);
        await using var second = await LoginAsync(login);
        var sessions = new[] { first, second };
        await Task.WhenAll(sessions.Select(s => s.SendAsync($"MAIL FROM:<{login}>\r\nRCPT TO:<r1@tiny.test>\r\n")));
        foreach (var s in sessions)
        {
            Assert.StartsWith("250", await s.ReadReplyAsync());
            Assert.StartsWith("250", await s.ReadReplyAsync());
        }

        await first.SendAsync("RCPT TO:<r2@tiny.test>\r\nRCPT TO:<r3@tiny.test>\r\n");
        Assert.StartsWith("250", await first.ReadReplyAsync());
        var third = await first.ReadReplyAsync();
        Assert.StartsWith("452 4.5.3", third);
        Assert.Contains($"Too many recipients: at most {PostfixFixture.TinyPlanCap} per message", third);
        Assert.StartsWith("250", await SendDataAsync(first, login, "First message of a new mailbox"));

        var delivered = await WaitForSinkAsync(login);
        Assert.Equal(PostfixFixture.TinyPlanCap, delivered.Recipients.Count);
        Assert.Equal(1, await fixture.Floodgate.AutoCreatedCountAsync(login));
    }
}
