namespace Floodgate.Core.Accounts;

/// <summary>
/// Creates a mailbox on first sight: an authenticated login (Dovecot at the gateway, sasl_username at
/// the Postfix doors) that the directory does not know, of a domain Floodgate polices whose setting
/// allows it. Called only on a directory miss, so the per-message path never pays for it.
/// </summary>
public interface IMailboxProvisioner
{
    /// <summary>
    /// The mailbox, in the directory before this returns (the engine sees it for the very transaction),
    /// or null when its domain is not ours or does not allow it. Parallel first logins create it once.
    /// </summary>
    /// <param name="address">A normalised address.</param>
    /// <param name="actor">Who the audit entry names: the door.</param>
    ValueTask<MailboxState?> ProvisionAsync(string address, string actor, CancellationToken cancellationToken);
}

/// <summary>The default: nothing appears on its own; an unknown login keeps each door's answer.</summary>
public sealed class NoMailboxProvisioner : IMailboxProvisioner
{
    public static readonly NoMailboxProvisioner Instance = new();

    public ValueTask<MailboxState?> ProvisionAsync(string address, string actor, CancellationToken cancellationToken) => ValueTask.FromResult<MailboxState?>(null);
}
