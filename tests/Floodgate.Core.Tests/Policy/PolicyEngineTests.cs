using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Tests.Policy;

public sealed class PolicyEngineTests
{
    [Fact]
    public void RcptBeyondCapIsDeferredWith452AndEarlierRecipientsStayAccepted()
    {
        var f = new PolicyFixture();
        var verdicts = f.Send("ann@acme.test", PolicyFixture.External(201));

        Assert.True(verdicts.Take(201).All(v => v.IsAccept));
        var last = verdicts[^1];
        Assert.Equal(452, last.Code);
        Assert.Equal("4.5.3", last.EnhancedCode);
        Assert.Equal(PolicyReasons.RecipientCap, last.Reason);
    }

    [Fact]
    public void CapFollowsThePlanSetting()
    {
        var f = new PolicyFixture(new PlanLimits { MaxRecipientsPerMessage = 3 });
        var verdicts = f.Send("ann@acme.test", PolicyFixture.External(4));
        Assert.Equal([true, true, true, true, false], verdicts.Select(v => v.IsAccept));
    }

    [Fact]
    public void ExternalHourlyLimitDefersWith451AndSaysWhenToRetry()
    {
        var limits = new PlanLimits();
        limits.Mailbox.ExternalRecipientsPerHour = 250;
        var f = new PolicyFixture(limits);
        Assert.All(f.Send("ann@acme.test", PolicyFixture.External(200)), v => Assert.True(v.IsAccept));

        var second = f.Send("ann@acme.test", PolicyFixture.External(60, 200));
        Assert.Equal(51, second.Count(v => v.IsAccept)); // MAIL + 50 recipients
        var refused = second.First(v => !v.IsAccept);
        Assert.Equal(451, refused.Code);
        Assert.Equal("4.7.1", refused.EnhancedCode);
        Assert.Contains("try again after 2026-11-27 11:00 UTC", refused.Text);
    }

    [Fact]
    public void InternalRecipientsAreCountedApartFromExternalOnes()
    {
        var limits = new PlanLimits();
        limits.Mailbox.ExternalRecipientsPerHour = 5;
        var f = new PolicyFixture(limits);
        // Recipients in the sender's own client (both of its domains) are internal.
        var internalOnes = Enumerable.Range(0, 50).Select(i => i % 2 == 0 ? $"u{i}@acme.test" : $"u{i}@ACME-mail.test");
        Assert.All(f.Send("ann@acme.test", internalOnes), v => Assert.True(v.IsAccept));
        // Another client's domain is external.
        var mixed = f.Send("ann@acme.test", ["olga@other.test", .. PolicyFixture.External(5)]);
        Assert.Equal(6, mixed.Count(v => v.IsAccept));
        Assert.False(mixed[^1].IsAccept);
    }

    [Fact]
    public void HourWindowSlidesAndFreesCapacity()
    {
        var limits = new PlanLimits();
        limits.Mailbox.ExternalRecipientsPerHour = 100;
        var f = new PolicyFixture(limits);
        f.Send("ann@acme.test", PolicyFixture.External(100));
        Assert.False(f.Send("ann@acme.test", PolicyFixture.External(1))[^1].IsAccept);

        f.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.False(f.Send("ann@acme.test", PolicyFixture.External(1))[^1].IsAccept);

        f.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(f.Send("ann@acme.test", PolicyFixture.External(1))[^1].IsAccept);
    }

    [Fact]
    public void DayWindowHoldsAfterTheHourWindowHasEmptied()
    {
        var limits = new PlanLimits();
        limits.Mailbox.ExternalRecipientsPerDay = 150;
        var f = new PolicyFixture(limits);
        f.Send("ann@acme.test", PolicyFixture.External(150));
        f.Time.Advance(TimeSpan.FromHours(3));
        var v = f.Send("ann@acme.test", PolicyFixture.External(1))[^1];
        Assert.Equal(451, v.Code);
        Assert.Contains("24 hours", v.Text);
        f.Time.Advance(TimeSpan.FromHours(22));
        Assert.True(f.Send("ann@acme.test", PolicyFixture.External(1))[^1].IsAccept);
    }

    [Fact]
    public void MessagesPerHourIsCheckedAtMailFrom()
    {
        var limits = new PlanLimits();
        limits.Mailbox.MessagesPerHour = 3;
        var f = new PolicyFixture(limits);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(f.Send("ann@acme.test", PolicyFixture.External(1))[0].IsAccept);
        }

        var v = f.Send("ann@acme.test", PolicyFixture.External(1))[0];
        Assert.Equal(451, v.Code);
        Assert.Contains("messages", v.Text);
    }

    [Fact]
    public void DomainLimitIsSharedByItsMailboxes()
    {
        var limits = new PlanLimits();
        limits.Domain.ExternalRecipientsPerHour = 150;
        var f = new PolicyFixture(limits);
        f.Send("ann@acme.test", PolicyFixture.External(100));
        var bob = f.Send("bob@acme.test", PolicyFixture.External(100));
        Assert.Equal(51, bob.Count(v => v.IsAccept));
        Assert.Contains("domain acme.test", bob.First(v => !v.IsAccept).Text);
        // Another client is not affected.
        Assert.All(f.Send("olga@other.test", PolicyFixture.External(100)), v => Assert.True(v.IsAccept));
    }

    [Theory]
    [InlineData("ann@acme.test", true, "its own address")]
    [InlineData("ANN@Acme.Test", true, "addresses compare without case")]
    [InlineData("sales@acme.test", true, "a listed alias")]
    [InlineData("anyone@acme-mail.test", true, "a whole domain granted with *@")]
    [InlineData("bob@acme.test", false, "another mailbox of the same domain")]
    [InlineData("ceo@bank.example", false, "a foreign address")]
    [InlineData("", true, "the null sender of a bounce")]
    public void EnvelopeSenderMustBelongToTheMailbox(string sender, bool allowed, string reason)
    {
        var f = new PolicyFixture();
        var v = f.Engine.Open(Door.Gateway).Begin(f.Mailbox("ann@acme.test"), sender, 0);
        Assert.True(allowed == v.IsAccept, reason);
        if (!allowed)
        {
            Assert.Equal(553, v.Code);
            Assert.Equal("5.7.1", v.EnhancedCode);
        }
    }

    [Fact]
    public void SuspendedMailboxIsRefusedWith550AndTheReason()
    {
        var f = new PolicyFixture();
        var ann = f.Mailbox("ann@acme.test");
        ann.SetStatus(AccountStatus.Suspended, "mass mailing");
        var v = f.Engine.Open(Door.Gateway).Begin(ann, "ann@acme.test", 0);
        Assert.Equal(550, v.Code);
        Assert.Equal("5.7.1", v.EnhancedCode);
        Assert.Contains("mass mailing", v.Text);
        Assert.Contains("abuse@provider.test", v.Text);
        Assert.True(f.Engine.Open(Door.Gateway).Begin(f.Mailbox("bob@acme.test"), "bob@acme.test", 0).IsAccept);
    }

    [Fact]
    public void SuspensionMadeDuringATransactionAppliesAtTheNextRecipient()
    {
        var f = new PolicyFixture();
        var ann = f.Mailbox("ann@acme.test");
        var transaction = f.Engine.Open(Door.Gateway);
        Assert.True(transaction.Begin(ann, "ann@acme.test", 0).IsAccept);
        Assert.True(transaction.AddRecipient("x@example.net").IsAccept);
        f.Directory.Apply(Suspend(f.Clients, domainId: 10), new PlanLimits(), 2);
        var v = transaction.AddRecipient("y@example.net");
        Assert.Equal(550, v.Code);
        Assert.Equal(PolicyReasons.DomainSuspended, v.Reason);
    }

    [Fact]
    public void TerminatedClientIsRefusedForEveryDomain()
    {
        var f = new PolicyFixture();
        f.Clients[0].Status = AccountStatus.Terminated;
        f.Directory.Apply(f.Clients, new PlanLimits(), 2);
        var v = f.Engine.Open(Door.Gateway).Begin(f.Mailbox("bob@acme.test"), "bob@acme.test", 0);
        Assert.Equal(PolicyReasons.ClientTerminated, v.Reason);
        Assert.Equal(550, v.Code);
    }

    [Fact]
    public void WindowsRebuiltFromRecordsCountLikeLiveTraffic()
    {
        var limits = new PlanLimits();
        limits.Mailbox.ExternalRecipientsPerHour = 100;
        var f = new PolicyFixture(limits);
        var now = f.Time.GetUtcNow();
        f.Engine.RecordSent(100, 10, 1, external: 100, @internal: 0, now.AddMinutes(-10));
        f.Engine.RecordSent(100, 10, 1, external: 500, @internal: 0, now.AddHours(-2)); // outside the hour
        Assert.False(f.Send("ann@acme.test", PolicyFixture.External(1))[^1].IsAccept);
    }

    private static List<Client> Suspend(List<Client> clients, int domainId)
    {
        foreach (var d in clients.SelectMany(c => c.Domains).Where(d => d.Id == domainId))
        {
            d.Status = AccountStatus.Suspended;
            d.StatusReason = "second offense";
        }

        return clients;
    }
}
