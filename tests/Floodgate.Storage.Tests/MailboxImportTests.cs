using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Tests;

public sealed class MailboxImportTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.AddClientWithDomainAsync();
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task ImportAddsEveryMailboxWithHashedPasswords()
    {
        const string csv = """
            address,password,display_name
            alice@acme.example,alice-password,Alice
            "Bob@Acme.Example","pass,with""quote",

            carol@acme.example,carol-password,"Carol, Sales"
            """;
        var before = await _db.Store.GetStateVersionAsync();

        var result = await _db.Store.ImportMailboxesAsync(new StringReader(csv), TestDatabase.Actor);

        Assert.Equal(3, result.Imported);
        Assert.Equal(before + 1, await _db.Store.GetStateVersionAsync());
        var mailboxes = await _db.Store.ListMailboxesAsync();
        Assert.Equal(["alice@acme.example", "bob@acme.example", "carol@acme.example"], mailboxes.Select(m => m.Address));
        Assert.True(_db.Hasher.Verify("pass,with\"quote", mailboxes[1].PasswordHash));
        Assert.Null(mailboxes[1].DisplayName);
        Assert.Equal("Carol, Sales", mailboxes[2].DisplayName);
        await using var db = await _db.Factory.CreateDbContextAsync();
        Assert.Equal(3, await db.AuditEntries.CountAsync(a => a.Action == "mailbox.import"));
    }

    [Fact]
    public async Task ColumnsMayComeInAnyOrder()
    {
        var result = await _db.Store.ImportMailboxesAsync(new StringReader("password,address\nsecret-password,dan@acme.example\n"), TestDatabase.Actor);

        Assert.Equal(["dan@acme.example"], result.Addresses);
    }

    [Fact]
    public async Task OneBadLineImportsNothingAndNamesEveryBadLine()
    {
        await _db.Store.AddMailboxAsync(new NewMailbox("taken@acme.example"), TestDatabase.Actor);
        const string csv = """
            address,password
            good@acme.example,good-password
            not-an-address,good-password
            x@nowhere.example,good-password
            short@acme.example,short
            taken@acme.example,good-password
            good@acme.example,good-password
            extra@acme.example,good-password,surplus
            """;
        var before = await _db.Store.GetStateVersionAsync();

        var ex = await Assert.ThrowsAsync<AccountException>(() => _db.Store.ImportMailboxesAsync(new StringReader(csv), TestDatabase.Actor));

        Assert.Equal(AccountError.Invalid, ex.Error);
        Assert.Collection(
            ex.Details,
            d => Assert.StartsWith("line 3: \"not-an-address\"", d, StringComparison.Ordinal),
            d => Assert.Equal("line 4: x@nowhere.example: the domain nowhere.example does not exist", d),
            d => Assert.Equal("line 5: short@acme.example: password must be at least 8 characters", d),
            d => Assert.Equal("line 6: taken@acme.example already exists", d),
            d => Assert.Equal("line 7: good@acme.example is already on line 2", d),
            d => Assert.Equal("line 8: expected 2 fields, found 3", d));
        Assert.Equal(["taken@acme.example"], (await _db.Store.ListMailboxesAsync()).Select(m => m.Address));
        Assert.Equal(before, await _db.Store.GetStateVersionAsync());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("email,pass\na@acme.example,secret-password", "wrong header")]
    [InlineData("address,password\n", "header only")]
    [InlineData("address,password\n\"a@acme.example,secret-password\n", "unterminated quote")]
    public async Task MalformedCsvIsRefused(string csv, string reason)
    {
        var ex = await Assert.ThrowsAsync<AccountException>(() => _db.Store.ImportMailboxesAsync(new StringReader(csv), TestDatabase.Actor));

        Assert.True(ex.Error == AccountError.Invalid, reason);
        Assert.Empty(await _db.Store.ListMailboxesAsync());
    }
}
