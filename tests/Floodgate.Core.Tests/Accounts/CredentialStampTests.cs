using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Tests.Accounts;

/// <summary>
/// A new password ends the sessions logged in with the old one: the directory's mailbox carries a
/// stamp that changes with its hash, a login keeps the stamp it was checked against, and a
/// transaction begun with an older stamp is refused.
/// </summary>
public sealed class CredentialStampTests
{
    private static readonly IPAddress Owner = IPAddress.Parse("192.0.2.10");

    [Fact]
    public async Task ALoginCarriesTheStampOfTheHashItWasCheckedAgainst()
    {
        var f = new AccountsFixture();

        var result = await f.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner);

        Assert.Equal(AuthenticationOutcome.Succeeded, result.Outcome);
        Assert.Equal(result.Mailbox!.CredentialStamp, result.CredentialStamp);
    }

    [Fact]
    public async Task AfterANewPasswordASessionOfTheOldOneCannotBeginATransaction()
    {
        var f = new AccountsFixture();
        var engine = Engine(f);
        var login = await f.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner);

        f.Directory.Apply([Acme("hash:a new password")], new PlanLimits(), 2);
        var verdict = engine.Open(Door.Gateway).Begin(login.Mailbox!, "ann@acme.test", 0, login.CredentialStamp);

        Assert.Equal((530, "5.7.0", PolicyReasons.CredentialsRevoked), (verdict.Code, verdict.EnhancedCode, verdict.Reason));
        Assert.Equal(AuthenticationOutcome.Failed, (await f.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner)).Outcome);
    }

    [Fact]
    public async Task ARefreshThatKeepsTheHashKeepsTheSessionsGoing()
    {
        var f = new AccountsFixture();
        var engine = Engine(f);
        var login = await f.AuthenticateAsync("ann@acme.test", AccountsFixture.AnnPassword, Owner);

        // A reload builds new rows with equal hashes: nothing changed for the session.
        f.Directory.Apply([Acme(AccountsFixture.AnnHash)], new PlanLimits(), 2);
        var verdict = engine.Open(Door.Gateway).Begin(login.Mailbox!, "ann@acme.test", 0, login.CredentialStamp);

        Assert.True(verdict.IsAccept, verdict.ToString());
    }

    [Fact]
    public void ADoorThatCheckedNoPasswordGivesNoStampAndIsNotRefusedForOne()
    {
        var f = new AccountsFixture();
        var engine = Engine(f);
        Assert.True(f.Directory.TryGetMailbox("ann@acme.test", out var ann));

        f.Directory.Apply([Acme("hash:a new password")], new PlanLimits(), 2);
        var verdict = engine.Open(Door.Policy).Begin(ann, "ann@acme.test", 0);

        Assert.True(verdict.IsAccept, verdict.ToString());
    }

    [Fact]
    public void TheDirectoryTellsOfEachKnownMailboxWhosePasswordChanged()
    {
        var f = new AccountsFixture();
        var changed = new List<string>();
        f.Directory.CredentialChanged += m => changed.Add(m.Address);

        f.Directory.Apply([Acme(AccountsFixture.AnnHash)], new PlanLimits(), 2);
        f.Directory.Apply([Acme("hash:a new password", withNewcomer: true)], new PlanLimits(), 3);

        // bob's hash is the same, the newcomer was not known before: only ann.
        Assert.Equal(["ann@acme.test"], changed);
    }

    private static PolicyEngine Engine(AccountsFixture f) =>
        new(f.Directory, new InProcessCounterStore(), f.Time, new PolicyOptions { SupportContact = "abuse@provider.test" });

    /// <summary>The fixture's client as the next reload brings it, with ann's hash as given.</summary>
    private static Client Acme(string annHash, bool withNewcomer = false)
    {
        var mailboxes = new List<Mailbox>
        {
            new() { Id = 100, DomainId = 10, Address = "ann@acme.test", PasswordHash = annHash },
            new() { Id = 101, DomainId = 10, Address = "bob@acme.test", PasswordHash = "hash:bob's own" },
        };
        if (withNewcomer)
            mailboxes.Add(new Mailbox { Id = 104, DomainId = 10, Address = "new@acme.test", PasswordHash = "hash:fresh" });
        return new Client
        {
            Id = 1,
            Name = "Acme",
            ContactName = "Ann",
            ContactPhone = "+1 555 0100",
            ContactEmail = "ann@acme.test",
            Domains = [new Domain { Id = 10, ClientId = 1, Name = "acme.test", Mailboxes = mailboxes }],
        };
    }
}
