using System.Net;
using Floodgate.Core.Accounts;

namespace Floodgate.Core.Tests.Accounts;

/// <summary>The <see cref="Authenticator"/> with an outside password authority (the provider's Dovecot) and a provisioner.</summary>
public sealed class OutsideAuthorityTests
{
    private static readonly IPAddress Client = IPAddress.Parse("198.51.100.9");

    [Fact]
    public async Task UnavailableAuthorityIsAnsweredUnavailableNeverAPass()
    {
        var (authenticator, _, _) = Build(new ScriptedAuthority(PasswordCheck.Unavailable));

        var result = await authenticator.AuthenticateAsync("ann@acme.test", "anything", Client, CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.Unavailable, result.Outcome);
        Assert.Null(result.Mailbox);
    }

    [Fact]
    public async Task UnavailableAnswersCountAsFailuresSoGuessingDuringAnOutageIsThrottled()
    {
        var (authenticator, _, _) = Build(new ScriptedAuthority(PasswordCheck.Unavailable));
        for (var i = 0; i < new LoginThrottleOptions().MaxFailuresPerLogin; i++)
        {
            await authenticator.AuthenticateAsync("ann@acme.test", $"guess {i}", Client, CancellationToken.None);
        }

        Assert.Equal(AuthenticationOutcome.Throttled, (await authenticator.AuthenticateAsync("ann@acme.test", "guess", Client, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task UnreachableAuthorityRefundsTheAttemptSoAnOutageLocksNobodyOut()
    {
        // Dovecot down: no password was checked, a 454 told the client nothing; once Dovecot is back its owner gets in.
        var authority = new ScriptedAuthority(PasswordCheck.Unreachable);
        var (authenticator, fixture, _) = Build(authority);
        for (var i = 0; i < 3 * new LoginThrottleOptions().MaxFailuresPerLogin; i++)
        {
            Assert.Equal(AuthenticationOutcome.Unavailable, (await authenticator.AuthenticateAsync("ann@acme.test", "retry", Client, CancellationToken.None)).Outcome);
        }

        authority.Answer = new PasswordCheck(PasswordCheckOutcome.Valid, User: "ann@acme.test");
        Assert.Equal(AuthenticationOutcome.Succeeded, (await authenticator.AuthenticateAsync("ann@acme.test", "right", Client, CancellationToken.None)).Outcome);
        Assert.True(fixture.Directory.TryGetMailbox("ann@acme.test", out _));
    }

    [Fact]
    public async Task UserTheAuthorityNamesIsFloodgatesMailboxOfThatName()
    {
        // Dovecot may answer in another case than the client typed, or rewrite the login (auth_username_format).
        var authority = new ScriptedAuthority(new PasswordCheck(PasswordCheckOutcome.Valid, User: "Ann@ACME.test"));
        var (authenticator, fixture, provisioner) = Build(authority);

        var result = await authenticator.AuthenticateAsync("ann", "dovecot's", Client, CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.Succeeded, result.Outcome);
        Assert.True(fixture.Directory.TryGetMailbox("ann@acme.test", out var ann));
        Assert.Same(ann, result.Mailbox);
        Assert.Empty(provisioner.Asked);
        Assert.Equal(Client, authority.Context.ClientAddress);
    }

    [Fact]
    public async Task UnknownUserTheAuthorityVouchesForIsProvisionedByTheGateway()
    {
        var (authenticator, fixture, provisioner) = Build(new ScriptedAuthority(new PasswordCheck(PasswordCheckOutcome.Valid, User: "new@acme.test")));
        fixture.Directory.TryGetMailbox("bob@acme.test", out var stand);
        provisioner.Answer = stand;

        var result = await authenticator.AuthenticateAsync("new@acme.test", "dovecot's", Client, CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.Succeeded, result.Outcome);
        Assert.Equal([("new@acme.test", "gateway")], provisioner.Asked);
    }

    [Fact]
    public async Task UnknownUserThatIsNotProvisionedIsAFailedLogin()
    {
        var (authenticator, _, provisioner) = Build(new ScriptedAuthority(new PasswordCheck(PasswordCheckOutcome.Valid, User: "stranger@elsewhere.test")));

        var result = await authenticator.AuthenticateAsync("stranger@elsewhere.test", "dovecot's", Client, CancellationToken.None);

        Assert.Equal(AuthenticationOutcome.Failed, result.Outcome);
        Assert.Single(provisioner.Asked);
    }

    private static (Authenticator, AccountsFixture, RecordingProvisioner) Build(IPasswordAuthority authority)
    {
        var fixture = new AccountsFixture();
        var provisioner = new RecordingProvisioner();
        return (new Authenticator(fixture.Directory, new LoginThrottle(fixture.Time, new LoginThrottleOptions()), authority, provisioner, fixture.Time), fixture, provisioner);
    }

    private sealed class ScriptedAuthority(PasswordCheck answer) : IPasswordAuthority
    {
        public LoginContext Context { get; private set; }

        public PasswordCheck Answer { get; set; } = answer;

        public ValueTask<PasswordCheck> CheckAsync(string login, string? normalized, string password, LoginContext context, CancellationToken cancellationToken)
        {
            Context = context;
            return ValueTask.FromResult(Answer);
        }
    }

    private sealed class RecordingProvisioner : IMailboxProvisioner
    {
        public List<(string Address, string Actor)> Asked { get; } = [];

        public MailboxState? Answer { get; set; }

        public ValueTask<MailboxState?> ProvisionAsync(string address, string actor, CancellationToken cancellationToken)
        {
            Asked.Add((address, actor));
            return ValueTask.FromResult(Answer);
        }
    }
}
