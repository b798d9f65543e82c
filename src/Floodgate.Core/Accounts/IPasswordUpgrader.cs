namespace Floodgate.Core.Accounts;

/// <summary>
/// Told of every good login, with the stored hash the password matched: an implementation rehashes
/// a weak or imported hash with the default scheme. Called on the reply path, so it may only queue.
/// </summary>
public interface IPasswordUpgrader
{
    void Verified(MailboxState mailbox, string verifiedHash, string password);
}

/// <summary>The default: hashes stay as they are.</summary>
public sealed class NoPasswordUpgrader : IPasswordUpgrader
{
    public static readonly NoPasswordUpgrader Instance = new();

    public void Verified(MailboxState mailbox, string verifiedHash, string password)
    {
    }
}
