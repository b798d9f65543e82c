using System.Net;
using Floodgate.Core.Accounts;

namespace Floodgate.Core.Transactions;

/// <summary>Where a door takes the sender's mailbox from, in the order it tries them.</summary>
public enum SenderSource : byte
{
    /// <summary>The SASL login (gateway: AUTH; policy: sasl_username; milter: {auth_authen}).</summary>
    Login,

    /// <summary>The envelope sender, only for a client in the door's trusted networks (the provider's own MTAs).</summary>
    EnvelopeSender,
}

public enum SenderResolutionKind : byte
{
    /// <summary>A mailbox of ours: the transaction goes through the engine.</summary>
    Mailbox,

    /// <summary>No login and no trusted client: not the provider's outbound mail (inbound, relays). The door has no opinion.</summary>
    NotOurs,

    /// <summary>An authenticated login Floodgate does not know: never a silent pass, never the envelope sender it claims.</summary>
    UnknownLogin,

    /// <summary>A trusted client whose envelope sender is no mailbox of ours.</summary>
    UnknownSender,
}

public readonly record struct SenderResolution(SenderResolutionKind Kind, MailboxState? Mailbox, string? Name)
{
    public static readonly SenderResolution NotOurs = new(SenderResolutionKind.NotOurs, null, null);

    /// <summary>The mailbox was named by an authenticated login (not by a trusted network's envelope sender): a login to count.</summary>
    public bool ByLogin { get; init; }
}

/// <summary>
/// The one rule that names the sending mailbox, for every door: a login decides alone (an unknown one
/// is <see cref="SenderResolutionKind.UnknownLogin"/>, whatever sender it claims); without one, a
/// client in the door's trusted networks names its mailbox by the envelope sender; anyone else is not
/// ours. Logins and addresses go through <see cref="Addresses.Normalize"/> first, so a padded or
/// re-cased login meets the same mailbox.
/// </summary>
public sealed class SenderResolver
{
    private readonly AccountDirectory _directory;
    private readonly IPNetwork[] _trusted;
    private readonly SenderSource[] _order;
    private readonly IMailboxProvisioner? _provisioner;
    private readonly string _actor;

    /// <param name="provisioner">Creates an unknown login's mailbox when its domain is ours and allows it; null: never.</param>
    /// <param name="actor">The door, as the audit entry of a created mailbox names it.</param>
    public SenderResolver(AccountDirectory directory, IEnumerable<IPNetwork> trustedNetworks, IEnumerable<SenderSource>? order = null,
        IMailboxProvisioner? provisioner = null, string actor = "system")
    {
        _directory = directory;
        _trusted = [.. trustedNetworks];
        _order = order is null ? [SenderSource.Login, SenderSource.EnvelopeSender] : [.. order];
        _provisioner = provisioner;
        _actor = actor;
    }

    public bool HasTrustedNetworks => _trusted.Length > 0;

    /// <summary>A login, when present, decides before anything else is looked at.</summary>
    public bool LoginFirst => _order.Length > 0 && _order[0] == SenderSource.Login;

    public bool IsTrusted(IPAddress? address)
    {
        if (address is null || _trusted.Length == 0)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <param name="login">The authenticated login, or empty.</param>
    /// <param name="envelopeSender">MAIL FROM's address, or empty.</param>
    /// <param name="clientAddress">The SMTP client's address (for the trusted networks); parsed only when needed.</param>
    public SenderResolution Resolve(ReadOnlySpan<char> login, ReadOnlySpan<char> envelopeSender, ReadOnlySpan<char> clientAddress)
    {
        var checkedTrust = false;
        var trusted = false;
        var unknownSender = false;
        foreach (var source in _order)
        {
            if (source == SenderSource.Login)
            {
                if (login.Trim().IsEmpty)
                {
                    continue;
                }

                return Lookup(login, out var mailbox) || TryProvision(login, out mailbox)
                    ? new SenderResolution(SenderResolutionKind.Mailbox, mailbox, mailbox.Address) { ByLogin = true }
                    : new SenderResolution(SenderResolutionKind.UnknownLogin, null, Addresses.Normalize(login) ?? login.ToString());
            }

            if (!checkedTrust)
            {
                checkedTrust = true;
                trusted = _trusted.Length > 0 && IPAddress.TryParse(clientAddress, out var address) && IsTrusted(address);
            }

            if (trusted && !envelopeSender.Trim().IsEmpty)
            {
                if (Lookup(envelopeSender, out var mailbox))
                {
                    return new SenderResolution(SenderResolutionKind.Mailbox, mailbox, mailbox.Address);
                }

                unknownSender = true;
            }
        }

        return unknownSender
            ? new SenderResolution(SenderResolutionKind.UnknownSender, null, Addresses.Normalize(envelopeSender) ?? envelopeSender.ToString())
            : SenderResolution.NotOurs;
    }

    /// <summary>
    /// A login the directory missed, of a domain we police that allows it: its mailbox is created now.
    /// The doors' protocol handlers are synchronous, so this blocks the door's thread for the insert and
    /// the directory reload — once per new mailbox; an unknown domain costs one dictionary lookup.
    /// </summary>
    private bool TryProvision(ReadOnlySpan<char> login, out MailboxState mailbox)
    {
        mailbox = null!;
        if (_provisioner is null || Addresses.Normalize(login) is not { } address)
        {
            return false;
        }

        var at = address.LastIndexOf('@');
        if (at < 0 || !_directory.TryGetDomain(address.AsSpan(at + 1), out var domain) || !domain.AutoCreateMailboxes)
        {
            return false;
        }

        var pending = _provisioner.ProvisionAsync(address, _actor, CancellationToken.None);
        var created = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        if (created is null)
        {
            return false;
        }

        mailbox = created;
        return true;
    }

    /// <summary>A mailbox by login or address, in any of the forms <see cref="Addresses.TryNormalize"/> accepts.</summary>
    public bool Lookup(ReadOnlySpan<char> name, out MailboxState mailbox)
    {
        // The common case, an address as the directory keys it, needs no copy.
        if (_directory.TryGetMailbox(name, out mailbox))
        {
            return true;
        }

        Span<char> buffer = stackalloc char[Addresses.MaxLength + 8];
        return Addresses.TryNormalize(name, buffer, out var written) && _directory.TryGetMailbox(buffer[..written], out mailbox);
    }
}
