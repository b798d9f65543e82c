using System.Net;

namespace Floodgate.Core.Accounts;

/// <summary>What the authority answered about one login.</summary>
public enum PasswordCheckOutcome : byte
{
    Valid,
    Invalid,

    /// <summary>The authority could not answer (Dovecot down, lost, slow): a temporary failure, never a pass.</summary>
    Unavailable,
}

/// <summary>
/// The answer of an <see cref="IPasswordAuthority"/>: Floodgate's own store names the mailbox and the
/// stamp of the hash it checked; an outside authority names only the user it authenticated.
/// </summary>
/// <param name="NotAsked">With <see cref="PasswordCheckOutcome.Unavailable"/>: the password never reached the authority
/// (no connection), so the answer told the client nothing and the throttle refunds the attempt. A login sent and then
/// lost or timed out stays counted: a slow failure must not become a free guess.</param>
public readonly record struct PasswordCheck(PasswordCheckOutcome Outcome, MailboxState? Mailbox = null, int CredentialStamp = 0, string? User = null, bool NotAsked = false)
{
    public static PasswordCheck Invalid => new(PasswordCheckOutcome.Invalid);

    public static PasswordCheck Unavailable => new(PasswordCheckOutcome.Unavailable);

    public static PasswordCheck Unreachable => new(PasswordCheckOutcome.Unavailable, NotAsked: true);
}

/// <summary>The facts of a login an outside authority's own rules use (Dovecot's penalties and allow_nets: the client's address).</summary>
public readonly record struct LoginContext(IPAddress ClientAddress, IPAddress? LocalAddress, bool Secured);

/// <summary>
/// Who checks a password at AUTH. <see cref="StoredPasswordAuthority"/> (the default) checks Floodgate's
/// own hashes; the provider's Dovecot is the other.
/// </summary>
public interface IPasswordAuthority
{
    /// <param name="login">As the client sent it.</param>
    /// <param name="normalized">The login through <see cref="Addresses.Normalize"/>, or null when it is no address.</param>
    ValueTask<PasswordCheck> CheckAsync(string login, string? normalized, string password, LoginContext context, CancellationToken cancellationToken);
}

/// <summary>
/// Floodgate's own store: the mailbox's hash from the directory, and the same work for an unknown login
/// as for a wrong password (one KDF run, against <see cref="IPasswordVerifier.DummyHash"/>), so the
/// answer's timing does not tell which logins exist. A good login against a weak or imported hash is
/// handed to the <see cref="IPasswordUpgrader"/>, which queues the rehash: the reply does not wait for
/// a KDF run or a database write.
/// </summary>
public sealed class StoredPasswordAuthority(AccountDirectory directory, IPasswordVerifier passwords, IPasswordUpgrader? upgrader = null) : IPasswordAuthority
{
    private readonly IPasswordUpgrader _upgrader = upgrader ?? NoPasswordUpgrader.Instance;

    public async ValueTask<PasswordCheck> CheckAsync(string login, string? normalized, string password, LoginContext context, CancellationToken cancellationToken)
    {
        MailboxState? mailbox = null;
        MailboxCredential? credential = null;
        if (normalized is not null && directory.TryGetMailbox(normalized, out var found))
        {
            mailbox = found;
            credential = found.Credential;
        }

        var hash = credential?.Hash;
        var verified = await passwords.VerifyAsync(password, hash ?? passwords.DummyHash, cancellationToken).ConfigureAwait(false);

        if (!verified || hash is null || mailbox is null)
        {
            return PasswordCheck.Invalid;
        }

        _upgrader.Verified(mailbox, hash, password);

        // The stamp of the hash that was checked, not the mailbox's stamp now: a password changed
        // during the check leaves this session with the old stamp, refused at its first MAIL.
        return new PasswordCheck(PasswordCheckOutcome.Valid, mailbox, credential!.Stamp);
    }
}
