using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests;

public sealed class MailboxAutoCreationTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    private AccountStore Store => _db.Store;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        var client = await Store.AddClientAsync(new NewClient("Acme", "Ann Smith", "+1 555 0100", "ann@acme.test"), "test");
        await Store.AddDomainsAsync(client.Id, ["acme.test", "closed.test"], "test");
        await Store.SetAutoCreateMailboxesAsync(await Store.ResolveDomainIdAsync("closed.test"), false, "test");
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task NewDomainAllowsAutomaticMailboxesByDefault()
    {
        var domain = (await Store.ListDomainsAsync()).Single(d => d.Name == "acme.test");

        Assert.True(domain.AutoCreateMailboxes);
    }

    [Fact]
    public async Task CreatedMailboxHasNoPasswordAndIsAuditedAndBumpsTheVersion()
    {
        var before = await Store.GetStateVersionAsync();

        Assert.Equal(MailboxAutoCreation.Created, await Store.AutoCreateMailboxAsync("New@Acme.test", "policy"));

        var mailbox = (await Store.ListMailboxesAsync()).Single();
        Assert.Equal("new@acme.test", mailbox.Address);
        Assert.Null(mailbox.PasswordHash);
        Assert.Equal(AccountStatus.Active, mailbox.Status);
        Assert.True(await Store.GetStateVersionAsync() > before);
        await using var db = await _db.Factory.CreateDbContextAsync();
        var audit = await db.AuditEntries.SingleAsync(a => a.Action == "mailbox.auto_created");
        Assert.Equal("policy", audit.Actor);
        Assert.Equal(mailbox.Id, audit.TargetId);
    }

    [Fact]
    public async Task ParallelCreationsMakeOneMailboxAndTheRestSeeItExisting()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.AutoCreateMailboxAsync("race@acme.test", "milter"))));

        Assert.Equal(1, outcomes.Count(o => o == MailboxAutoCreation.Created));
        Assert.All(outcomes, o => Assert.True(o is MailboxAutoCreation.Created or MailboxAutoCreation.Existed, o.ToString()));
        Assert.Single(await Store.ListMailboxesAsync());
        await using var db = await _db.Factory.CreateDbContextAsync();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "mailbox.auto_created"));
    }

    [Fact]
    public async Task DomainWithTheSettingOffOrNoDomainCreatesNothing()
    {
        Assert.Equal(MailboxAutoCreation.NotAllowed, await Store.AutoCreateMailboxAsync("shut@closed.test", "policy"));
        Assert.Equal(MailboxAutoCreation.UnknownDomain, await Store.AutoCreateMailboxAsync("someone@elsewhere.test", "policy"));
        Assert.Empty(await Store.ListMailboxesAsync());
    }
}
