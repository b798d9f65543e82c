using System.Net;

namespace Floodgate.Core.Accounts;

public enum AuthenticationOutcome
{
    Succeeded,
    Failed,
    Throttled,

    /// <summary>The password authority could not answer (Dovecot down, lost or slow): try again later, never a pass.</summary>
    Unavailable,
}

/// <summary>The answer to one login attempt, for every door that authenticates.</summary>
public readonly struct AuthenticationResult
{
    private AuthenticationResult(AuthenticationOutcome outcome, MailboxState? mailbox, int credentialStamp, LoginRefusal refusal, DateTimeOffset? retryAfter)
    {
        Outcome = outcome;
        Mailbox = mailbox;
        CredentialStamp = credentialStamp;
        Refusal = refusal;
        RetryAfter = retryAfter;
    }

    public AuthenticationOutcome Outcome { get; }

    /// <summary>The authenticated mailbox, whatever its status: a suspended one is refused at MAIL, with its reason.</summary>
    public MailboxState? Mailbox { get; }

    /// <summary>The <see cref="MailboxState.CredentialStamp"/> of the hash the password was checked against: the session gives it to each transaction it begins.</summary>
    public int CredentialStamp { get; }

    /// <summary>Which throttle rule refused, when <see cref="AuthenticationOutcome.Throttled"/>.</summary>
    public LoginRefusal Refusal { get; }

    /// <summary>When a throttled login may be tried again, if known.</summary>
    public DateTimeOffset? RetryAfter { get; }

    public static AuthenticationResult Succeeded(MailboxState mailbox, int credentialStamp) => new(AuthenticationOutcome.Succeeded, mailbox, credentialStamp, LoginRefusal.None, null);

    public static AuthenticationResult Failed() => new(AuthenticationOutcome.Failed, null, 0, LoginRefusal.None, null);

    public static AuthenticationResult Throttled(LoginRefusal refusal, DateTimeOffset? retryAfter) => new(AuthenticationOutcome.Throttled, null, 0, refusal, retryAfter);

    public static AuthenticationResult Unavailable() => new(AuthenticationOutcome.Unavailable, null, 0, LoginRefusal.None, null);
}

/// <summary>
/// One login check for every door: the login normalised once, the throttle around the password
/// authority's check (Floodgate's own store, or the provider's Dovecot), and the mailbox the login
/// names — created on first sight when an outside authority vouches for a login of a domain we police.
/// </summary>
public sealed class Authenticator
{
    private static readonly TimeSpan BusyPoll = TimeSpan.FromMilliseconds(20);

    private readonly AccountDirectory _directory;
    private readonly LoginThrottle _throttle;
    private readonly IPasswordAuthority _authority;
    private readonly IMailboxProvisioner _provisioner;
    private readonly TimeProvider _time;

    /// <summary>Floodgate's own store checks the passwords; a good login against a weak or imported hash goes to <paramref name="upgrader"/>.</summary>
    public Authenticator(AccountDirectory directory, LoginThrottle throttle, IPasswordVerifier passwords, TimeProvider time, IPasswordUpgrader? upgrader = null)
        : this(directory, throttle, new StoredPasswordAuthority(directory, passwords, upgrader), NoMailboxProvisioner.Instance, time)
    {
    }

    public Authenticator(AccountDirectory directory, LoginThrottle throttle, IPasswordAuthority authority, IMailboxProvisioner provisioner, TimeProvider time)
    {
        _directory = directory;
        _throttle = throttle;
        _authority = authority;
        _provisioner = provisioner;
        _time = time;
    }

    public ValueTask<AuthenticationResult> AuthenticateAsync(string login, string password, IPAddress clientAddress, CancellationToken cancellationToken) =>
        AuthenticateAsync(login, password, new LoginContext(clientAddress, null, false), cancellationToken);

    public async ValueTask<AuthenticationResult> AuthenticateAsync(string login, string password, LoginContext context, CancellationToken cancellationToken)
    {
        var clientAddress = context.ClientAddress;
        var throttle = _throttle;

        // Unusable logins share one throttle key (the empty string, which no normalised login is): they never succeed, and
        // garbage must not buy a fresh budget per spelling.
        var normalized = Addresses.Normalize(login);
        var attempt = throttle.Begin(normalized ?? string.Empty, clientAddress);
        for (var waited = TimeSpan.Zero; attempt.Decision == LoginDecision.Busy; waited += BusyPoll)
        {
            // Attempts still running may free their places (a correct password is refunded): wait for them, boundedly.
            if (waited >= throttle.MaxWait)
            {
                return AuthenticationResult.Throttled(attempt.Refusal, null);
            }

            await Task.Delay(BusyPoll, _time, cancellationToken).ConfigureAwait(false);
            attempt = throttle.Begin(normalized ?? string.Empty, clientAddress);
        }

        if (attempt.Decision == LoginDecision.Refused)
        {
            return AuthenticationResult.Throttled(attempt.Refusal, attempt.RetryAfter);
        }

        // Until End, the attempt counts as a failure: a cancelled wait or check (the client went away) stays one,
        // so dropping the connection mid-check buys a guesser nothing. An authority that took the password and gave
        // no answer counts too (a failure slower than the timeout must not be a free guess); one never reached is refunded.
        var succeeded = false;
        var refund = false;
        try
        {
            if (attempt.Decision == LoginDecision.Delayed)
            {
                await Task.Delay(attempt.Delay, _time, cancellationToken).ConfigureAwait(false);
            }

            var check = await _authority.CheckAsync(login, normalized, password, context, cancellationToken).ConfigureAwait(false);
            switch (check.Outcome)
            {
                case PasswordCheckOutcome.Unavailable:
                    refund = check.NotAsked;
                    return AuthenticationResult.Unavailable();
                case PasswordCheckOutcome.Invalid:
                    return AuthenticationResult.Failed();
            }

            if (check.Mailbox is { } own)
            {
                succeeded = true;
                return AuthenticationResult.Succeeded(own, check.CredentialStamp);
            }

            // An outside authority names the user; Floodgate's mailbox of that name carries the limits.
            var mailbox = await FindOrProvisionAsync(check.User, cancellationToken).ConfigureAwait(false);
            if (mailbox is null)
            {
                return AuthenticationResult.Failed();
            }

            succeeded = true;
            return AuthenticationResult.Succeeded(mailbox, mailbox.CredentialStamp);
        }
        finally
        {
            if (refund)
            {
                throttle.Refund(in attempt);
            }
            else
            {
                throttle.End(in attempt, succeeded);
            }
        }
    }

    private async ValueTask<MailboxState?> FindOrProvisionAsync(string? user, CancellationToken cancellationToken)
    {
        var address = user is null ? null : Addresses.Normalize(user);
        if (address is null)
        {
            return null;
        }

        if (_directory.TryGetMailbox(address, out var mailbox))
        {
            return mailbox;
        }

        return await _provisioner.ProvisionAsync(address, "gateway", cancellationToken).ConfigureAwait(false);
    }
}
