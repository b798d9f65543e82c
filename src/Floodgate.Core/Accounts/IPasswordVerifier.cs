namespace Floodgate.Core.Accounts;

/// <summary>
/// Checks a password against a stored hash. The implementation lives with the KDF (the storage's
/// Argon2id hasher); Core holds no KDF of its own.
/// </summary>
public interface IPasswordVerifier
{
    /// <summary>Completes synchronously when the answer is cheap; a KDF run happens off the caller's thread.</summary>
    ValueTask<bool> VerifyAsync(string password, string storedHash, CancellationToken cancellationToken);

    /// <summary>A hash of the same cost as real ones, of a password nobody knows: checked for unknown logins so they cost the same.</summary>
    string DummyHash { get; }
}
