using System.Net;
using Floodgate.Core.Accounts;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Web.Api;
using Floodgate.Web.Tests.Infrastructure;
using MailKit;
using MailKit.Net.Smtp;

namespace Floodgate.Web.Tests.Enforcement;

/// <summary>
/// Reinstating a compromised mailbox: a new password in the same request, the old one refused at AUTH,
/// and a session that logged in with it refused at its next MAIL FROM; an operator may override.
/// </summary>
public sealed class ReinstatementTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private const string NewPassword = "a brand new passphrase 42";

    private TestServe Serve => fixture.Serve;

    [Fact]
    public async Task ANewPasswordEndsTheOldPasswordAndTheSessionsLoggedInWithIt()
    {
        var acme = await Serve.SeedAsync("Acme");
        using var oldSession = await Serve.SmtpAsync(acme.Address, TestServe.Password);
        await oldSession.SendAsync(acme.Address, "before");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        var response = await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], null));
        var change = await response.ReadAsync<IncidentChange>();

        Assert.Equal(IncidentState.Reinstated, change.State);
        Assert.Equal([acme.Address], change.NewPasswords);
        var timeline = (await (await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>()).Timeline;
        Assert.Contains(timeline, t => t.What == $"reinstated: new password for {acme.Address}");

        // RFC 4954: 530, the login of this session is no longer in force (MailKit's word for 530 at MAIL).
        var refused = await Assert.ThrowsAsync<ServiceNotAuthenticatedException>(() => oldSession.SendAsync(acme.Address, "after"));
        Assert.Contains("password of this mailbox was changed", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => Serve.SmtpAsync(acme.Address, TestServe.Password));
        using var newSession = await Serve.SmtpAsync(acme.Address, NewPassword);
        await newSession.SendAsync(acme.Address, "with the new password");
    }

    [Fact]
    public async Task TheOldSessionStaysRefusedForTheRestOfItsConnection()
    {
        var acme = await Serve.SeedAsync("Acme");
        using var oldSession = await Serve.SmtpAsync(acme.Address, TestServe.Password);
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();
        (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], null))).EnsureSuccessStatusCode();

        await Assert.ThrowsAsync<ServiceNotAuthenticatedException>(() => oldSession.SendAsync(acme.Address, "first try"));
        var again = await Assert.ThrowsAsync<ServiceNotAuthenticatedException>(() => oldSession.SendAsync(acme.Address, "second try"));

        Assert.Contains("Authentication required", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReinstatingWithoutANewPasswordIsRefusedNamingTheMailboxAndChangesNothing()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        var problems = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate", new ReinstateRequest(null, null))).ProblemsAsync();

        Assert.Contains(acme.Address, Assert.Single(problems["newPasswords"]), StringComparison.Ordinal);
        var detail = await (await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();
        Assert.Equal(IncidentState.ReportAccepted, detail.State);
        Assert.True(Assert.Single(detail.Mailboxes).NeedsNewPassword);
        Assert.Equal(AccountStatus.Suspended, (await Serve.Get<AccountStore>().GetMailboxAsync(acme.MailboxId)).Status);
    }

    [Fact]
    public async Task TheOldPasswordIsNoNewPassword()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        var problems = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, TestServe.Password)], null))).ProblemsAsync();

        Assert.Contains("is its old password", Assert.Single(problems["newPasswords"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APasswordForAMailboxTheOffenseDidNotNameIsRefused()
    {
        var acme = await Serve.SeedAsync("Acme");
        var (bobId, _) = await Serve.AddMailboxAsync(acme, "bob");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        var problems = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword), new NewPasswordItem(bobId, NewPassword)], null))).ProblemsAsync();

        Assert.Contains($"mailbox {bobId} is not one the offense", Assert.Single(problems["newPasswords"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADomainStepNeedsANewPasswordForEveryMailboxTheOffenseNamed()
    {
        var acme = await Serve.SeedAsync("Acme");
        var (bobId, bob) = await Serve.AddMailboxAsync(acme, "bob");
        await Serve.AddMailboxAsync(acme, "carol");
        var offense = await Serve.OffenseAsync(acme, LadderStep.SuspendDomain, others: [new OffenseMailbox(bobId, acme.DomainId, bob)]);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        var onlyAnn = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], null))).ProblemsAsync();
        var both = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword), new NewPasswordItem(bobId, NewPassword + " for bob")], null))).ReadAsync<IncidentChange>();

        // carol@ was not in the detection: her password stays.
        Assert.Contains(bob, Assert.Single(onlyAnn["newPasswords"]), StringComparison.Ordinal);
        Assert.Equal([acme.Address, bob], both.NewPasswords);
        using var carol = await Serve.SmtpAsync("carol@" + acme.Domain, TestServe.Password);
        await carol.SendAsync("carol@" + acme.Domain);
    }

    [Fact]
    public async Task AnOverrideReinstatesWithTheOldPasswordAndIsAuditedAsOne()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        var change = await (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest(null, new ReinstateOverride("the client reset the password in its own directory, verified by phone")))).ReadAsync<IncidentChange>();

        Assert.True(change.Overridden);
        Assert.Equal(IncidentState.Reinstated, change.State);
        var detail = await (await http.GetAsync($"/api/v1/incidents/{offense.IncidentId}")).ReadAsync<IncidentDetailView>();
        Assert.Contains(detail.Timeline, t => t.What.StartsWith("reinstated without new passwords (override): the client reset", StringComparison.Ordinal));
        using var smtp = await Serve.SmtpAsync(acme.Address, TestServe.Password);
        await smtp.SendAsync(acme.Address);
        var audit = await Serve.Get<AuditLog>().QueryAsync("incident", (int)offense.IncidentId);
        var entry = Assert.Single(audit, a => a.Action == "incident.reinstate-override");
        Assert.Contains("verified by phone", entry.Details, StringComparison.Ordinal);
        Assert.Contains(acme.Address, entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOverrideWithoutAReasonOrWithPasswordsIsRefused()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();
        var path = $"/api/v1/incidents/{offense.IncidentId}/reinstate";

        var noReason = await (await http.PostJsonAsync(path, new ReinstateRequest(null, new ReinstateOverride(" ")))).ProblemsAsync();
        var both = await (await http.PostJsonAsync(path, new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], new ReinstateOverride("why not")))).ProblemsAsync();

        Assert.True(noReason.ContainsKey("override.reason"));
        Assert.True(both.ContainsKey("override"));
    }

    [Fact]
    public async Task TheNewPasswordIsAuditedByAddressAndNeverStored()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], null))).EnsureSuccessStatusCode();

        var entry = Assert.Single(await Serve.Get<AuditLog>().QueryAsync("mailbox", acme.MailboxId), a => a.Action == "mailbox.password");
        Assert.Contains(acme.Address, entry.Details, StringComparison.Ordinal);
        var audit = await Serve.Get<AuditLog>().QueryAsync(limit: 10_000);
        Assert.DoesNotContain(audit, a => (a.Details ?? "").Contains(NewPassword, StringComparison.Ordinal) || (a.Details ?? "").Contains("$argon2id$", StringComparison.Ordinal));
        var hash = (await Serve.Get<AccountStore>().GetMailboxAsync(acme.MailboxId)).PasswordHash!;
        Assert.True(Serve.Get<PasswordHasher>().Verify(NewPassword, hash));
    }

    [Fact]
    public async Task TheLoginsThrottleIsClearedSoTheOwnerGetsInAtOnce()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);

        // The owner's mail client kept trying the password it knew: the login is throttled at this address.
        for (var i = 0; i < 5; i++)
            await Assert.ThrowsAnyAsync<Exception>(() => Serve.SmtpAsync(acme.Address, "an old guess " + i));
        await Assert.ThrowsAnyAsync<Exception>(() => Serve.SmtpAsync(acme.Address, TestServe.Password));
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        (await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], null))).EnsureSuccessStatusCode();

        using var smtp = await Serve.SmtpAsync(acme.Address, NewPassword);
        await smtp.SendAsync(acme.Address);
    }

    [Fact]
    public async Task ATerminationIsNotReinstatedButClosed()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme, LadderStep.TerminateClient);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.OperatorAsync();

        var response = await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate", new ReinstateRequest(null, new ReinstateOverride("please")));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("a terminated client cannot be reinstated", await response.DetailAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientAdministratorCannotReinstate()
    {
        var acme = await Serve.SeedAsync("Acme");
        var offense = await Serve.OffenseAsync(acme);
        await Serve.AcceptedAsync(offense.IncidentId);
        using var http = await Serve.ClientAdministratorAsync(acme);

        var response = await http.PostJsonAsync($"/api/v1/incidents/{offense.IncidentId}/reinstate",
            new ReinstateRequest([new NewPasswordItem(acme.MailboxId, NewPassword)], null));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
