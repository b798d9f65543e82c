using System.Net;

namespace Floodgate.Core.Accounts;

public enum AuthenticationOutcome
{
    Succeeded,
    Failed,
    Throttled,
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
}

/// <summary>
/// One login check for every door: the login normalised once, the throttle around the password
/// check, and the same work for an unknown login as for a known one with a wrong password (one KDF
/// run, against <see cref="IPasswordVerifier.DummyHash"/>), so the answer's timing does not tell
/// which logins exist.
/// </summary>
/// <remarks>
/// A good login against a weak or imported hash is handed to the <see cref="IPasswordUpgrader"/>,
/// which queues the rehash: the reply does not wait for a KDF run or a database write.
/// </remarks>
public sealed class Authenticator(AccountDirectory directory, LoginThrottle throttle, IPasswordVerifier passwords, TimeProvider time, IPasswordUpgrader? upgrader = null)
{
    private readonly IPasswordUpgrader _upgrader = upgrader ?? NoPasswordUpgrader.Instance;

    private static readonly TimeSpan BusyPoll = TimeSpan.FromMilliseconds(20);

    public async ValueTask<AuthenticationResult> AuthenticateAsync(string login, string password, IPAddress clientAddress, CancellationToken cancellationToken)
    {
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

            await Task.Delay(BusyPoll, time, cancellationToken).ConfigureAwait(false);
            attempt = throttle.Begin(normalized ?? string.Empty, clientAddress);
        }

        if (attempt.Decision == LoginDecision.Refused)
        {
            return AuthenticationResult.Throttled(attempt.Refusal, attempt.RetryAfter);
        }

        // Until End, the attempt counts as a failure: a cancelled wait or check (the client went away) stays one,
        // so dropping the connection mid-check buys a guesser nothing.
        var succeeded = false;
        try
        {
            if (attempt.Decision == LoginDecision.Delayed)
            {
                await Task.Delay(attempt.Delay, time, cancellationToken).ConfigureAwait(false);
            }

            MailboxState? mailbox = null;
            MailboxCredential? credential = null;
            if (normalized is not null && directory.TryGetMailbox(normalized, out var found))
            {
                mailbox = found;
                credential = found.Credential;
            }

            var hash = credential?.Hash;
            var verified = await passwords.VerifyAsync(password, hash ?? passwords.DummyHash, cancellationToken).ConfigureAwait(false);
            if (verified && hash is not null && mailbox is not null)
            {
                succeeded = true;
                _upgrader.Verified(mailbox, hash, password);

                // The stamp of the hash that was checked, not the mailbox's stamp now: a password changed
                // during the check leaves this session with the old stamp, refused at its first MAIL.
                return AuthenticationResult.Succeeded(mailbox, credential!.Stamp);
            }

            return AuthenticationResult.Failed();
        }
        finally
        {
            throttle.End(in attempt, succeeded);
        }
    }
}
