using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests;

public sealed class AccountStoreTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    private AccountStore Store => _db.Store;

    public Task InitializeAsync() => _db.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task FirstStartSeedsTheDefaultPlanAndVersionZero()
    {
        var plans = await Store.ListPlansAsync();

        var plan = Assert.Single(plans);
        Assert.Equal(AccountStore.DefaultPlanName, plan.Name);
        Assert.Equal(200, plan.Limits.MaxRecipientsPerMessage);
        Assert.Equal(ScopeLimits.MailboxDefaults().ExternalRecipientsPerDay, plan.Limits.Mailbox.ExternalRecipientsPerDay);
        Assert.Equal(0, await Store.GetStateVersionAsync());
    }

    [Fact]
    public async Task MigrationsMatchTheModel()
    {
        await using var db = await _db.Factory.CreateDbContextAsync();

        // Fails when an entity changed without "dotnet ef migrations add" (see src/Floodgate.Storage/README.md).
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Theory]
    [InlineData(FloodgateDb.Sqlite, "Data Source=unused.db")]
    [InlineData(FloodgateDb.Postgres, "Host=127.0.0.1;Database=unused")]
    public void EveryProvidersMigrationsMatchTheModel(string provider, string connectionString)
    {
        // No server needed: the model is compared with the provider's snapshot. Each provider needs its own
        // "dotnet ef migrations add" (src/Floodgate.Storage/README.md, "Changing the model").
        using var db = FloodgateDb.Create(connectionString, provider);

        Assert.False(db.Database.HasPendingModelChanges(), $"{provider}: the model changed without a migration");
    }

    [Fact]
    public async Task InitializeTwiceIsHarmless()
    {
        await FloodgateDb.InitializeAsync(_db.Factory);

        Assert.Single(await Store.ListPlansAsync());
    }

    [Fact]
    public async Task DatabaseIsInWalMode()
    {
        if (TestDatabases.IsPostgres)
            return; // journal_mode is SQLite's; PostgreSQL always logs ahead.
        await using var db = await _db.Factory.CreateDbContextAsync();
        var mode = await db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync();

        Assert.Equal("wal", Assert.Single(mode));
    }

    [Fact]
    public async Task EveryChangeWritesOneAuditEntryAndBumpsTheVersion()
    {
        var client = await Store.AddClientAsync(new NewClient("Acme", "Ann", "+1 555 010 0100", "ann@contact.example"), "cli:root");
        var domain = await Store.AddDomainAsync(client.Id, "acme.example", "cli:root");
        var mailbox = await Store.AddMailboxAsync(new NewMailbox("bob@acme.example", "secret-password"), "cli:root");
        await Store.SetPasswordAsync(mailbox.Id, "another-password", "cli:root");
        var plan = await Store.AddPlanAsync("gold", new PlanLimits { MaxRecipientsPerMessage = 500 }, "operator:alice");
        await Store.AssignPlanAsync(client.Id, plan.Id, "operator:alice");
        await Store.SetStatusAsync(AccountScope.Mailbox, mailbox.Id, AccountStatus.Suspended, "1st offense", "enforcement");
        await Store.SetStatusAsync(AccountScope.Domain, domain.Id, AccountStatus.Suspended, "2nd offense", "enforcement");
        await Store.SetStatusAsync(AccountScope.Client, client.Id, AccountStatus.Terminated, "3rd offense", "enforcement");

        await using var db = await _db.Factory.CreateDbContextAsync();
        var audit = await db.AuditEntries.OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(
            ["client.add", "domain.add", "mailbox.add", "mailbox.password", "plan.add", "plan.assign", "mailbox.status", "domain.status", "client.status"],
            audit.Select(a => a.Action));
        Assert.Equal(9, await Store.GetStateVersionAsync());
        Assert.Equal(mailbox.Id, audit[2].TargetId);
        Assert.Equal("enforcement", audit[6].Actor);
        Assert.Equal(_db.Time.GetUtcNow(), audit[0].Time);
        using var details = JsonDocument.Parse(audit[8].Details!);
        Assert.Equal("Terminated", details.RootElement.GetProperty("to").GetString());
        Assert.Equal("3rd offense", details.RootElement.GetProperty("reason").GetString());
        Assert.All(audit, a => Assert.DoesNotContain("argon2", a.Details, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConcurrentChangesEachBumpTheVersionOnce()
    {
        // Separate stores, as separate processes would have: the increment is done in SQL, not read-modify-write.
        var tasks = Enumerable.Range(0, 8).Select(i => new AccountStore(_db.Factory, _db.Hasher, _db.Time)
            .AddClientAsync(new NewClient($"Client {i}", "Ann", "+1 555 010 0100", "ann@contact.example"), TestDatabase.Actor));

        await Task.WhenAll(tasks);

        Assert.Equal(8, await Store.GetStateVersionAsync());
    }

    [Fact]
    public async Task RefusedChangeWritesNoAuditAndKeepsTheVersion()
    {
        await _db.AddClientWithDomainAsync();
        var version = await Store.GetStateVersionAsync();

        await Assert.ThrowsAsync<AccountException>(() => Store.AddMailboxAsync(new NewMailbox("x@unknown.example"), TestDatabase.Actor));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddDomainAsync(999, "other.example", TestDatabase.Actor));

        Assert.Equal(version, await Store.GetStateVersionAsync());
        await using var db = await _db.Factory.CreateDbContextAsync();
        Assert.Equal(2, await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task SettingTheSameStatusTwiceChangesNothing()
    {
        var (clientId, _) = await _db.AddClientWithDomainAsync();
        await Store.SetStatusAsync(AccountScope.Client, clientId, AccountStatus.Disabled, null, TestDatabase.Actor);
        var version = await Store.GetStateVersionAsync();

        await Store.SetStatusAsync(AccountScope.Client, clientId, AccountStatus.Disabled, null, TestDatabase.Actor);

        Assert.Equal(version, await Store.GetStateVersionAsync());
    }

    [Fact]
    public async Task SuspensionWithoutReasonIsRefused()
    {
        var (clientId, _) = await _db.AddClientWithDomainAsync();

        var ex = await Assert.ThrowsAsync<AccountException>(
            () => Store.SetStatusAsync(AccountScope.Client, clientId, AccountStatus.Suspended, " ", TestDatabase.Actor));

        Assert.Equal(AccountError.Invalid, ex.Error);
    }

    [Fact]
    public async Task StatusOfUnknownMailboxIsNotFound()
    {
        var ex = await Assert.ThrowsAsync<AccountException>(
            () => Store.SetStatusAsync(AccountScope.Mailbox, 42, AccountStatus.Suspended, "spam", TestDatabase.Actor));

        Assert.Equal(AccountError.NotFound, ex.Error);
    }

    [Theory]
    [InlineData("Acme", "Ann", "+1 555 010 0100", "not-an-address", "contact e-mail")]
    [InlineData("Acme", "Ann", "call me", "ann@contact.example", "contact phone")]
    [InlineData("Acme", "Ann", "123", "ann@contact.example", "contact phone")]
    [InlineData("", "Ann", "+1 555 010 0100", "ann@contact.example", "client name")]
    [InlineData("Acme", " ", "+1 555 010 0100", "ann@contact.example", "contact name")]
    public async Task InvalidClientIsRefusedWithTheFieldNamed(string name, string contact, string phone, string email, string field)
    {
        var ex = await Assert.ThrowsAsync<AccountException>(
            () => Store.AddClientAsync(new NewClient(name, contact, phone, email), TestDatabase.Actor));

        Assert.Equal(AccountError.Invalid, ex.Error);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplicateClientNameIsAConflict()
    {
        await _db.AddClientWithDomainAsync();

        var ex = await Assert.ThrowsAsync<AccountException>(
            () => Store.AddClientAsync(new NewClient("Acme", "Bob", "+44 20 7946 0000", "bob@contact.example"), TestDatabase.Actor));

        Assert.Equal(AccountError.Conflict, ex.Error);
    }

    [Fact]
    public async Task DomainIsStoredLowerCaseInAsciiForm()
    {
        var (clientId, _) = await _db.AddClientWithDomainAsync();

        var domain = await Store.AddDomainAsync(clientId, "Bücher.Example.", TestDatabase.Actor);

        Assert.Equal("xn--bcher-kva.example", domain.Name);
        Assert.Equal(domain.Id, await Store.ResolveDomainIdAsync("BÜCHER.example"));
    }

    [Fact]
    public async Task DomainAddedTwiceInAnotherCaseIsAConflict()
    {
        var (clientId, _) = await _db.AddClientWithDomainAsync();

        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.AddDomainAsync(clientId, "ACME.example", TestDatabase.Actor));

        Assert.Equal(AccountError.Conflict, ex.Error);
    }

    [Theory]
    [InlineData("localhost", "no dot")]
    [InlineData("-bad.example", "label starts with a hyphen")]
    [InlineData("bad_name.example", "underscore")]
    [InlineData("192.168.0.1", "an IP address")]
    [InlineData("a..example", "empty label")]
    public async Task InvalidDomainIsRefused(string name, string reason)
    {
        var (clientId, _) = await _db.AddClientWithDomainAsync();

        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.AddDomainAsync(clientId, name, TestDatabase.Actor));

        Assert.True(ex.Error == AccountError.Invalid, reason);
    }

    [Fact]
    public async Task MailboxAddressIsLowerCasedAndUnique()
    {
        await _db.AddClientWithDomainAsync();

        var mailbox = await Store.AddMailboxAsync(new NewMailbox("Bob.Smith@ACME.example", "secret-password", "Bob Smith"), TestDatabase.Actor);
        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.AddMailboxAsync(new NewMailbox("bob.smith@acme.example"), TestDatabase.Actor));

        Assert.Equal("bob.smith@acme.example", mailbox.Address);
        Assert.Equal(AccountError.Conflict, ex.Error);
        Assert.True(_db.Hasher.Verify("secret-password", (await Store.GetMailboxAsync(mailbox.Id)).PasswordHash));
    }

    [Fact]
    public async Task SetPasswordReplacesTheHash()
    {
        await _db.AddClientWithDomainAsync();
        var mailbox = await Store.AddMailboxAsync(new NewMailbox("bob@acme.example", "first-password"), TestDatabase.Actor);

        await Store.SetPasswordAsync(mailbox.Id, "second-password", TestDatabase.Actor);

        var hash = (await Store.GetMailboxAsync(mailbox.Id)).PasswordHash;
        Assert.False(_db.Hasher.Verify("first-password", hash));
        Assert.True(_db.Hasher.Verify("second-password", hash));
    }

    [Fact]
    public async Task ShortPasswordIsRefused()
    {
        await _db.AddClientWithDomainAsync();

        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.AddMailboxAsync(new NewMailbox("bob@acme.example", "short"), TestDatabase.Actor));

        Assert.Contains("at least 8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlanLimitsRoundTrip()
    {
        var limits = new PlanLimits { MaxRecipientsPerMessage = 50 };
        limits.Mailbox.ExternalRecipientsPerDay = 123;
        limits.Client.MessagesPerHour = 7;

        var plan = await Store.AddPlanAsync("small", limits, TestDatabase.Actor);
        var loaded = (await Store.ListPlansAsync()).Single(p => p.Id == plan.Id);

        Assert.Equal(50, loaded.Limits.MaxRecipientsPerMessage);
        Assert.Equal(123, loaded.Limits.Mailbox.ExternalRecipientsPerDay);
        Assert.Equal(7, loaded.Limits.Client.MessagesPerHour);
        Assert.Equal(ScopeLimits.DomainDefaults().MessagesPerHour, loaded.Limits.Domain.MessagesPerHour);
    }

    [Fact]
    public async Task PlanLimitsCanBeChanged()
    {
        var plan = await Store.AddPlanAsync("small", new PlanLimits(), TestDatabase.Actor);
        var limits = (await Store.ListPlansAsync()).Single(p => p.Id == plan.Id).Limits;
        limits.MaxRecipientsPerMessage = 20;
        limits.Domain.InternalRecipientsPerDay = 99;

        await Store.UpdatePlanLimitsAsync(plan.Id, limits, TestDatabase.Actor);

        var loaded = (await Store.ListPlansAsync()).Single(p => p.Id == plan.Id).Limits;
        Assert.Equal((20, 99), (loaded.MaxRecipientsPerMessage, loaded.Domain.InternalRecipientsPerDay));
    }

    [Fact]
    public async Task DirectoryHasEverythingTheServerNeeds()
    {
        var (clientId, domainId) = await _db.AddClientWithDomainAsync();
        await Store.AddMailboxAsync(new NewMailbox("bob@acme.example", "secret-password"), TestDatabase.Actor);
        var gold = await Store.AddPlanAsync("gold", new PlanLimits(), TestDatabase.Actor);
        await Store.AssignPlanAsync(clientId, gold.Id, TestDatabase.Actor);
        await _db.AddClientWithDomainAsync("Other", "other.example");

        var directory = await Store.LoadDirectoryAsync();

        Assert.Equal(await Store.GetStateVersionAsync(), directory.Version);
        Assert.Equal(AccountStore.DefaultPlanName, directory.DefaultPlan.Name);
        Assert.Equal(2, directory.Plans.Count);
        var acme = directory.Clients.Single(c => c.Id == clientId);
        Assert.Equal("gold", acme.Plan!.Name);
        var domain = Assert.Single(acme.Domains);
        Assert.Equal(domainId, domain.Id);
        var mailbox = Assert.Single(domain.Mailboxes);
        Assert.Same(domain, mailbox.Domain);
        Assert.Same(acme, domain.Client);
        Assert.Equal(2, directory.Clients.Count);
    }

    [Fact]
    public async Task ResolveFindsByIdOrName()
    {
        var (clientId, _) = await _db.AddClientWithDomainAsync();
        var mailbox = await Store.AddMailboxAsync(new NewMailbox("bob@acme.example"), TestDatabase.Actor);

        Assert.Equal(clientId, await Store.ResolveClientIdAsync("Acme"));
        Assert.Equal(clientId, await Store.ResolveClientIdAsync(clientId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(mailbox.Id, await Store.ResolveMailboxIdAsync("BOB@acme.example"));
        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.ResolveClientIdAsync("Nobody"));
        Assert.Equal(AccountError.NotFound, ex.Error);
    }
}
