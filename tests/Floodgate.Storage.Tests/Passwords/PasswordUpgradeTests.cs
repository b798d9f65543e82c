using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Accounts.Passwords;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Storage.Tests.Passwords;

/// <summary>A good login against a weak or imported hash rehashes it with the default scheme, in the background, on a real SQLite database.</summary>
public sealed class PasswordUpgradeTests : IAsyncLifetime
{
    private const string Address = "ann@acme.example";
    private const string Password = "correct horse battery";
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");
    private readonly TestDatabase _db = new();
    private readonly AccountDirectory _directory = new();
    private int _mailboxId;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        var (_, domainId) = await _db.AddClientWithDomainAsync();
        _ = domainId;
        _mailboxId = (await _db.Store.AddMailboxAsync(new NewMailbox(Address), TestDatabase.Actor)).Id;
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task WeakHashIsUpgradedAfterAGoodLoginWithoutEndingTheSession()
    {
        var imported = await ImportAsync("SSHA512");
        await using var upgrader = NewUpgrader();
        var authenticator = NewAuthenticator(upgrader);

        var login = await authenticator.AuthenticateAsync(Address, Password, Client, CancellationToken.None);
        await upgrader.DisposeAsync();

        Assert.Equal(AuthenticationOutcome.Succeeded, login.Outcome);
        var stored = await StoredHashAsync();
        Assert.NotEqual(imported, stored);
        Assert.StartsWith("$argon2id$", stored, StringComparison.Ordinal);
        Assert.False(_db.Hasher.NeedsRehash(stored));
        Assert.True(_db.Hasher.Verify(Password, stored));

        await using (var context = await _db.Factory.CreateDbContextAsync())
        {
            var audit = await context.AuditEntries.SingleAsync(a => a.Action == "mailbox.password_upgraded");
            Assert.Equal("system", audit.Actor);
            Assert.Equal(_mailboxId, audit.TargetId);
            Assert.Contains("SSHA512", audit.Details, StringComparison.Ordinal);
        }

        // The session logged in against the old hash keeps its stamp, so its next MAIL is not refused.
        await LoadDirectoryAsync();
        Assert.True(_directory.TryGetMailbox(_mailboxId, out var mailbox));
        Assert.Equal(stored, mailbox.PasswordHash);
        Assert.Equal(login.CredentialStamp, mailbox.CredentialStamp);
        var again = await NewAuthenticator(NoPasswordUpgrader.Instance).AuthenticateAsync(Address, Password, Client, CancellationToken.None);
        Assert.Equal(AuthenticationOutcome.Succeeded, again.Outcome);
    }

    [Fact]
    public async Task WrongPasswordDoesNotUpgrade()
    {
        var imported = await ImportAsync("SHA512-CRYPT");
        await using var upgrader = NewUpgrader();

        var login = await NewAuthenticator(upgrader).AuthenticateAsync(Address, Password + "x", Client, CancellationToken.None);
        await upgrader.DisposeAsync();

        Assert.Equal(AuthenticationOutcome.Failed, login.Outcome);
        Assert.Equal(imported, await StoredHashAsync());
        await using var context = await _db.Factory.CreateDbContextAsync();
        Assert.False(await context.AuditEntries.AnyAsync(a => a.Action == "mailbox.password_upgraded"));
    }

    [Fact]
    public async Task CurrentHashIsNotUpgraded()
    {
        await _db.Store.SetPasswordAsync(_mailboxId, Password, TestDatabase.Actor);
        var current = await StoredHashAsync();
        await LoadDirectoryAsync();
        await using var upgrader = NewUpgrader();

        var login = await NewAuthenticator(upgrader).AuthenticateAsync(Address, Password, Client, CancellationToken.None);
        await upgrader.DisposeAsync();

        Assert.Equal(AuthenticationOutcome.Succeeded, login.Outcome);
        Assert.Equal(current, await StoredHashAsync());
    }

    [Fact]
    public async Task PasswordChangedSinceTheLoginIsNotOverwritten()
    {
        var imported = await ImportAsync("SSHA512");
        await _db.Store.SetPasswordAsync(_mailboxId, "a new password after a compromise", TestDatabase.Actor);
        var changed = await StoredHashAsync();

        var upgraded = await _db.Store.UpgradePasswordHashAsync(_mailboxId, imported, _db.Hasher.Hash(Password), PasswordUpgrader.Actor);

        Assert.False(upgraded);
        Assert.Equal(changed, await StoredHashAsync());
        Assert.True(_db.Hasher.Verify("a new password after a compromise", await StoredHashAsync()));
    }

    [Fact]
    public async Task RealPasswordChangeAfterAnUpgradeStillEndsTheSession()
    {
        await ImportAsync("SSHA512");
        await using var upgrader = NewUpgrader();
        var login = await NewAuthenticator(upgrader).AuthenticateAsync(Address, Password, Client, CancellationToken.None);
        await upgrader.DisposeAsync();
        await LoadDirectoryAsync();

        await _db.Store.SetPasswordAsync(_mailboxId, "a new password after a compromise", TestDatabase.Actor);
        await LoadDirectoryAsync();

        Assert.True(_directory.TryGetMailbox(_mailboxId, out var mailbox));
        Assert.NotEqual(login.CredentialStamp, mailbox.CredentialStamp);
    }

    /// <summary>Stores a doveadm hash of <see cref="Password"/> as the import code would, and loads the directory.</summary>
    private async Task<string> ImportAsync(string scheme)
    {
        Assert.True(PasswordSchemes.TryRead(Doveadm.Pw(scheme, Password), allowWeak: true, out var stored, out _, out var error), error);
        await using (var context = await _db.Factory.CreateDbContextAsync())
        {
            await context.Mailboxes.Where(m => m.Id == _mailboxId).ExecuteUpdateAsync(m => m.SetProperty(x => x.PasswordHash, stored));
        }

        await LoadDirectoryAsync();
        return stored;
    }

    private async Task LoadDirectoryAsync()
    {
        var snapshot = await _db.Store.LoadDirectoryAsync();
        _directory.Apply(snapshot.Clients, snapshot.DefaultPlan.Limits, snapshot.Version);
    }

    private async Task<string?> StoredHashAsync()
    {
        await using var context = await _db.Factory.CreateDbContextAsync();
        return await context.Mailboxes.Where(m => m.Id == _mailboxId).Select(m => m.PasswordHash).SingleAsync();
    }

    private PasswordUpgrader NewUpgrader() => new(_db.Store, _db.Hasher, NullLogger<PasswordUpgrader>.Instance);

    private Authenticator NewAuthenticator(IPasswordUpgrader upgrader) =>
        new(_directory, new LoginThrottle(_db.Time, new LoginThrottleOptions()), new HasherVerifier(_db.Hasher), _db.Time, upgrader);

    private sealed class HasherVerifier(PasswordHasher hasher) : IPasswordVerifier
    {
        public string DummyHash { get; } = hasher.Hash("nobody knows this one");

        public ValueTask<bool> VerifyAsync(string password, string storedHash, CancellationToken cancellationToken) =>
            ValueTask.FromResult(hasher.Verify(password, storedHash));
    }
}
