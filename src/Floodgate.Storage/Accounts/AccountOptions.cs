namespace Floodgate.Storage.Accounts;

/// <summary>The <c>Accounts</c> settings, read by serve and the CLI alike.</summary>
public sealed class AccountOptions
{
    /// <summary>
    /// Accept the weak schemes of <see cref="PasswordSchemes"/> (SSHA512, SHA512, MD5-CRYPT, ...) when
    /// importing hashes. Off by default: a leaked store of them falls to a GPU in hours. Each is
    /// rehashed with the default scheme at the mailbox's next good login.
    /// </summary>
    public bool AllowWeakPasswordSchemes { get; set; }
}
