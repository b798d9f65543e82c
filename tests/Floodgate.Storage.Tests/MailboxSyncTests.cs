using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests;

/// <summary><c>mailbox sync</c> and imports of existing hashes: what the provisioning file says, exactly, all or nothing.</summary>
public sealed class MailboxSyncTests : IAsyncLifetime
{
    // Made by Dovecot's `doveadm pw` (password "sync-password-1", the second SHA512-CRYPT "sync-password-2").
    private const string Sha512Crypt = "{SHA512-CRYPT}$6$rLfJdPfk2v4DcP3Y$4CqOO05.NkvyrQUbVLSYp02.XKeoPraCXGRUd2D9DZBtf5gjM3W31kMcFSVbYViSitNLsRi3ZnqSsBnUqP9ec.";
    private const string Sha512Crypt2 = "{SHA512-CRYPT}$6$VbcT/jvutiHnXjl9$ohEGmZXD60GuV75RwywQih2f.3RWO9fwwgTFInCxGxOmW92fnGcIjE39etPjJeNuZA2I3wcZyzjCb2PvOlex1/";
    private const string BlfCrypt = "{BLF-CRYPT}$2y$05$wb1svd1cNLl6rHbcoEf1i.7PnGwuevgIWo0QVI4JmM5BCPPfCaaIa";
    private const string Argon2id = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$uj6qXJcADVeLFx6eiTTv0w$wEHE0kXe3MXyTCqki7BbEws3aK8tr47/4v3/m3P3eOs";
    private const string Ssha512 = "{SSHA512}VDYV1ETY/SvFQjsuVRLEpt8pjgu9nEMiVt63DIcldTrp5BA6HqIdutU+QmdteEd5I27V19RA9qu7p+HPM0slz2l2uqw=";

    private readonly TestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.AddClientWithDomainAsync();
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task ImportTakesDovecotHashesAsTheyAreAndNamesTheirScheme()
    {
        var csv = $"address,password_hash,display_name\nann@acme.example,{Sha512Crypt},Ann\nbea@acme.example,{BlfCrypt},\ncy@acme.example,\"{Argon2id}\",\n";

        var result = await _db.Store.ImportMailboxesAsync(new StringReader(csv), MailboxFileFormat.Auto, allowWeakHashes: false, TestDatabase.Actor);

        Assert.Equal(3, result.Imported);
        var hashes = (await _db.Store.ListMailboxesAsync()).ToDictionary(m => m.Address, m => m.PasswordHash);
        Assert.Equal(Sha512Crypt, hashes["ann@acme.example"]);
        Assert.Equal(BlfCrypt, hashes["bea@acme.example"]);
        Assert.Equal(Argon2id, hashes["cy@acme.example"]);
        await using var db = await _db.Factory.CreateDbContextAsync();
        var audit = await db.AuditEntries.Where(a => a.Action == "mailbox.import").Select(a => a.Details).ToListAsync();
        Assert.Contains(audit, d => d!.Contains("\"scheme\":\"SHA512-CRYPT\"", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, d => d!.Contains("$6$", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APasswdFileImportsWithGecosAsDisplayNameAndPlainPasswordsHashed()
    {
        var passwd = $"""
            # Dovecot passwd-file
            ann@acme.example:{Sha512Crypt}:1000:1000:Ann Archer:/home/ann::userdb_quota_rule=*:storage=1G
            bea@acme.example:{"{PLAIN}"}plain-password-1::::::
            cy@acme.example:{BlfCrypt}
            """;

        var result = await _db.Store.ImportMailboxesAsync(new StringReader(passwd), MailboxFileFormat.Auto, allowWeakHashes: false, TestDatabase.Actor);

        Assert.Equal(3, result.Imported);
        var mailboxes = (await _db.Store.ListMailboxesAsync()).ToDictionary(m => m.Address);
        Assert.Equal("Ann Archer", mailboxes["ann@acme.example"].DisplayName);
        Assert.StartsWith("$argon2id$", mailboxes["bea@acme.example"].PasswordHash, StringComparison.Ordinal);
        Assert.True(_db.Hasher.Verify("plain-password-1", mailboxes["bea@acme.example"].PasswordHash));
        Assert.Equal(BlfCrypt, mailboxes["cy@acme.example"].PasswordHash);
    }

    [Fact]
    public async Task WeakSchemesNeedTheSettingAndUnknownOnesAreNamed()
    {
        var weak = $"address,password_hash\nann@acme.example,{Ssha512}\n";
        var refused = await Assert.ThrowsAsync<AccountException>(() =>
            _db.Store.ImportMailboxesAsync(new StringReader(weak), MailboxFileFormat.Csv, allowWeakHashes: false, TestDatabase.Actor));
        var unknown = await Assert.ThrowsAsync<AccountException>(() =>
            _db.Store.ImportMailboxesAsync(new StringReader("address,password_hash\nbea@acme.example,{NTLM}abcdef\n"), MailboxFileFormat.Csv, false, TestDatabase.Actor));

        Assert.Contains("line 2: ann@acme.example: the password scheme SSHA512 is weak", Assert.Single(refused.Details), StringComparison.Ordinal);
        Assert.Contains("NTLM is not supported", Assert.Single(unknown.Details), StringComparison.Ordinal);
        Assert.Empty(await _db.Store.ListMailboxesAsync());

        var allowed = await _db.Store.ImportMailboxesAsync(new StringReader(weak), MailboxFileFormat.Csv, allowWeakHashes: true, TestDatabase.Actor);
        Assert.Equal(1, allowed.Imported);
    }

    [Fact]
    public async Task SyncAddsChangesAndDisablesExactlyWhatTheFileSaysAndTwiceChangesNothing()
    {
        await _db.Store.AddMailboxAsync(new NewMailbox("keep@acme.example", DisplayName: "Keep", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        await _db.Store.AddMailboxAsync(new NewMailbox("rename@acme.example", DisplayName: "Old name", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        await _db.Store.AddMailboxAsync(new NewMailbox("newpass@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        await _db.Store.AddMailboxAsync(new NewMailbox("gone@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        var held = await _db.Store.AddMailboxAsync(new NewMailbox("suspended@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        await _db.Store.SetStatusAsync(AccountScope.Mailbox, held.Id, AccountStatus.Suspended, "mass mailing", TestDatabase.Actor);
        var file = Lines($"""
            address,password_hash,display_name
            keep@acme.example,{Sha512Crypt},Keep
            rename@acme.example,{Sha512Crypt},New name
            newpass@acme.example,{Sha512Crypt2},
            added@acme.example,{BlfCrypt},Added
            suspended@acme.example,{Sha512Crypt},
            """);

        var first = await _db.Store.SyncMailboxesAsync(file, [], dryRun: false, TestDatabase.Actor);
        var version = await _db.Store.GetStateVersionAsync();
        var second = await _db.Store.SyncMailboxesAsync(file, [], dryRun: false, TestDatabase.Actor);

        Assert.Equal(
            ["Update rename@acme.example: display name", "Update newpass@acme.example: password", "Add added@acme.example", "Disable gone@acme.example"],
            first.Changes.Select(Describe));
        Assert.Equal(2, first.Unchanged);
        Assert.Empty(second.Changes);
        Assert.Equal(5, second.Unchanged);
        Assert.Equal(version, await _db.Store.GetStateVersionAsync());
        var mailboxes = (await _db.Store.ListMailboxesAsync()).ToDictionary(m => m.Address);
        Assert.Equal("New name", mailboxes["rename@acme.example"].DisplayName);
        Assert.Equal(Sha512Crypt2, mailboxes["newpass@acme.example"].PasswordHash);
        Assert.Equal((AccountStatus.Disabled, AccountStore.SyncDisabledReason), (mailboxes["gone@acme.example"].Status, mailboxes["gone@acme.example"].StatusReason));
        Assert.Equal(AccountStatus.Suspended, mailboxes["suspended@acme.example"].Status);
        Assert.Null(mailboxes["newpass@acme.example"].DisplayName);
        await using var db = await _db.Factory.CreateDbContextAsync();
        Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == "mailbox.sync"));
    }

    [Fact]
    public async Task AMailboxBackInTheFileIsEnabledButOneAnOperatorDisabledIsNot()
    {
        await _db.Store.AddMailboxAsync(new NewMailbox("back@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        var byHand = await _db.Store.AddMailboxAsync(new NewMailbox("byhand@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        await _db.Store.SetStatusAsync(AccountScope.Mailbox, byHand.Id, AccountStatus.Disabled, "left the company", TestDatabase.Actor);
        await _db.Store.SyncMailboxesAsync(Lines($"address,password_hash\nbyhand@acme.example,{Sha512Crypt}\n"), [], false, TestDatabase.Actor);

        var result = await _db.Store.SyncMailboxesAsync(Lines($"address,password_hash\nback@acme.example,{Sha512Crypt}\nbyhand@acme.example,{Sha512Crypt}\n"), [], false, TestDatabase.Actor);

        Assert.Equal(["Enable back@acme.example"], result.Changes.Select(Describe));
        var mailboxes = (await _db.Store.ListMailboxesAsync()).ToDictionary(m => m.Address);
        Assert.Equal(AccountStatus.Active, mailboxes["back@acme.example"].Status);
        Assert.Equal((AccountStatus.Disabled, "left the company"), (mailboxes["byhand@acme.example"].Status, mailboxes["byhand@acme.example"].StatusReason));
    }

    [Fact]
    public async Task AHashUpgradedAtLoginIsStillTheFilesPasswordAndIsNotPutBack()
    {
        var file = $"address,password_hash\nann@acme.example,{Ssha512}\n";
        await _db.Store.ImportMailboxesAsync(new StringReader(file), MailboxFileFormat.Csv, allowWeakHashes: true, TestDatabase.Actor);
        var ann = (await _db.Store.ListMailboxesAsync()).Single();
        Assert.True(await _db.Store.UpgradePasswordHashAsync(ann.Id, Ssha512, _db.Hasher.Hash("sync-password-1"), "system"));
        Assert.True(MailboxFile.TryRead(file, MailboxFileFormat.Csv, allowWeakHashes: true, out var lines, out _));

        var same = await _db.Store.SyncMailboxesAsync(lines, [], dryRun: false, TestDatabase.Actor);
        var other = await _db.Store.SyncMailboxesAsync(Lines($"address,password_hash\nann@acme.example,{Sha512Crypt2}\n"), [], dryRun: false, TestDatabase.Actor);

        Assert.Empty(same.Changes);
        Assert.Equal(["Update ann@acme.example: password"], other.Changes.Select(Describe));
        Assert.Equal(Sha512Crypt2, (await _db.Store.ListMailboxesAsync()).Single().PasswordHash);
    }

    [Fact]
    public async Task ADryRunShowsThePlanAndChangesNothing()
    {
        await _db.Store.AddMailboxAsync(new NewMailbox("gone@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        var version = await _db.Store.GetStateVersionAsync();

        var plan = await _db.Store.SyncMailboxesAsync(Lines($"address,password_hash\nnew@acme.example,{BlfCrypt}\n"), [], dryRun: true, TestDatabase.Actor);

        Assert.True(plan.DryRun);
        Assert.Equal(["Add new@acme.example", "Disable gone@acme.example"], plan.Changes.Select(Describe));
        Assert.Equal(["gone@acme.example"], (await _db.Store.ListMailboxesAsync()).Select(m => m.Address));
        Assert.Equal(AccountStatus.Active, (await _db.Store.ListMailboxesAsync())[0].Status);
        Assert.Equal(version, await _db.Store.GetStateVersionAsync());
    }

    [Fact]
    public async Task APlaintextPasswordCountsAsChangedOnlyWhenItNoLongerVerifies()
    {
        await _db.Store.AddMailboxAsync(new NewMailbox("ann@acme.example", Password: "first-password"), TestDatabase.Actor);

        var same = await _db.Store.SyncMailboxesAsync(Lines("address,password\nann@acme.example,first-password\n"), [], false, TestDatabase.Actor);
        var changed = await _db.Store.SyncMailboxesAsync(Lines("address,password\nann@acme.example,second-password\n"), [], false, TestDatabase.Actor);

        Assert.Empty(same.Changes);
        Assert.Equal(["Update ann@acme.example: password"], changed.Changes.Select(Describe));
        Assert.True(_db.Hasher.Verify("second-password", (await _db.Store.ListMailboxesAsync())[0].PasswordHash));
    }

    [Fact]
    public async Task ADomainNamedBesideTheFileIsEmptiedOfWhatTheFileDoesNotList()
    {
        await _db.Store.AddMailboxAsync(new NewMailbox("left@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        var other = await _db.Store.AddClientAsync(new NewClient("Other", "Olga", "+1 555 0101", "olga@other.example"), TestDatabase.Actor);
        await _db.Store.AddDomainAsync(other.Id, "other.example", TestDatabase.Actor);

        var result = await _db.Store.SyncMailboxesAsync(Lines($"address,password_hash\nolga@other.example,{BlfCrypt}\n"), ["ACME.example"], false, TestDatabase.Actor);

        Assert.Equal(["acme.example", "other.example"], result.Domains);
        Assert.Equal(["Add olga@other.example", "Disable left@acme.example"], result.Changes.Select(Describe));
    }

    [Fact]
    public async Task ABadLineChangesNothingAtAllAndTheErrorNamesIt()
    {
        await _db.Store.AddMailboxAsync(new NewMailbox("gone@acme.example", PasswordHash: Sha512Crypt), TestDatabase.Actor);
        var version = await _db.Store.GetStateVersionAsync();
        var text = $"address,password_hash\nnew@acme.example,{BlfCrypt}\nx@nowhere.example,{BlfCrypt}\n";
        Assert.True(MailboxFile.TryRead(text, MailboxFileFormat.Csv, false, out var lines, out _));

        var ex = await Assert.ThrowsAsync<AccountException>(() => _db.Store.SyncMailboxesAsync(lines, [], false, TestDatabase.Actor));

        Assert.Equal("line 3: x@nowhere.example: the domain nowhere.example does not exist", Assert.Single(ex.Details));
        Assert.StartsWith("Nothing was changed", ex.Message, StringComparison.Ordinal);
        var mailboxes = await _db.Store.ListMailboxesAsync();
        Assert.Equal(["gone@acme.example"], mailboxes.Select(m => m.Address));
        Assert.Equal(AccountStatus.Active, mailboxes[0].Status);
        Assert.Equal(version, await _db.Store.GetStateVersionAsync());
    }

    [Theory]
    [InlineData("address,password_hash\nann@acme.example,$6$notdovecotform\n", "line 2: ann@acme.example: a password hash must be in Dovecot's {SCHEME}hash form")]
    [InlineData("address,password,password_hash\nann@acme.example,a-password-1,{BLF-CRYPT}$2y$05$x\n", "line 2: ann@acme.example: give a password or a password_hash, not both")]
    [InlineData("address,password_hash\nann@acme.example,\n", "line 2: ann@acme.example: give a password or a password_hash")]
    [InlineData("ann@acme.example\n", "line 1: expected user:{SCHEME}hash")]
    [InlineData("# only a comment\n", "the file holds no mailboxes")]
    public void BadFilesAreRefusedWithTheLine(string text, string error)
    {
        Assert.False(MailboxFile.TryRead(text, MailboxFileFormat.Auto, false, out _, out var errors));

        Assert.StartsWith(error, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameAddressTwiceIsRefusedEvenSpelledDifferently()
    {
        Assert.False(MailboxFile.TryRead($"ann@acme.example:{BlfCrypt}\nANN@Acme.Example:{BlfCrypt}\n", MailboxFileFormat.Passwd, false, out _, out var errors));

        Assert.Equal("line 2: ann@acme.example is already on line 1", Assert.Single(errors));
    }

    private static List<MailboxLine> Lines(string text)
    {
        Assert.True(MailboxFile.TryRead(text, MailboxFileFormat.Auto, allowWeakHashes: false, out var lines, out var errors), string.Join("; ", errors));
        return lines;
    }

    private static string Describe(MailboxSyncChange change) =>
        $"{change.Action} {change.Address}" + (change.What.Count > 0 ? ": " + string.Join(", ", change.What) : "");
}
