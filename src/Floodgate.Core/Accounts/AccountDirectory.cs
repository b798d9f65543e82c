using System.Collections.Frozen;

namespace Floodgate.Core.Accounts;

/// <summary>
/// The in-memory view of the accounts that the per-message path reads: no database round-trip per
/// message. States are updated in place on refresh, so a session holding a mailbox sees a
/// suspension at its next command.
/// </summary>
public sealed class AccountDirectory
{
    private readonly Lock _writeLock = new();
    private Snapshot _snapshot = Snapshot.Empty;

    public int MailboxCount => _snapshot.Mailboxes.Count;

    /// <summary>The version of the durable state this view reflects (the storage's change counter).</summary>
    public long Version { get; private set; }

    public bool TryGetMailbox(ReadOnlySpan<char> address, out MailboxState mailbox)
    {
        var lookup = _snapshot.Mailboxes.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(address, out mailbox!);
    }

    public bool TryGetMailbox(int id, out MailboxState mailbox) => _snapshot.MailboxesById.TryGetValue(id, out mailbox!);

    public bool TryGetDomain(ReadOnlySpan<char> name, out DomainState domain)
    {
        var lookup = _snapshot.Domains.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(name, out domain!);
    }

    public bool TryGetDomain(int id, out DomainState domain) => _snapshot.DomainsById.TryGetValue(id, out domain!);

    public bool TryGetClient(int id, out ClientState client) => _snapshot.Clients.TryGetValue(id, out client!);

    /// <summary>
    /// Raised by <see cref="Apply"/>, after the new state is in place, for each known mailbox whose
    /// password hash changed: the host clears the login's throttle state with it.
    /// </summary>
    public event Action<MailboxState>? CredentialChanged;

    /// <summary>
    /// Applies the full durable state. Existing state objects are updated in place (sessions keep
    /// their references); new ones are added; ones no longer present are marked disabled.
    /// </summary>
    public void Apply(IEnumerable<Client> clients, PlanLimits defaultLimits, long version)
    {
        List<MailboxState>? changed = null;
        lock (_writeLock)
        {
            var old = _snapshot;
            var clientMap = new Dictionary<int, ClientState>();
            var domainMap = new Dictionary<string, DomainState>(StringComparer.OrdinalIgnoreCase);
            var domainById = new Dictionary<int, DomainState>();
            var mailboxMap = new Dictionary<string, MailboxState>(StringComparer.OrdinalIgnoreCase);
            var mailboxById = new Dictionary<int, MailboxState>();

            foreach (var c in clients)
            {
                if (!old.Clients.TryGetValue(c.Id, out var clientState))
                {
                    clientState = new ClientState(c.Id);
                }

                clientState.Update(c, c.Plan?.Limits ?? defaultLimits);
                clientMap[c.Id] = clientState;

                foreach (var d in c.Domains)
                {
                    if (!old.DomainsById.TryGetValue(d.Id, out var domainState))
                    {
                        domainState = new DomainState(d.Id, clientState);
                    }

                    domainState.Update(d, clientState);
                    domainMap[domainState.Name] = domainState;
                    domainById[d.Id] = domainState;

                    foreach (var m in d.Mailboxes)
                    {
                        var known = old.MailboxesById.TryGetValue(m.Id, out var mailboxState);
                        if (!known)
                        {
                            mailboxState = new MailboxState(m.Id, domainState);
                        }

                        var stamp = mailboxState!.CredentialStamp;
                        mailboxState.Update(m, domainState);
                        if (known && mailboxState.CredentialStamp != stamp)
                        {
                            (changed ??= []).Add(mailboxState);
                        }

                        mailboxMap[mailboxState.Address] = mailboxState;
                        mailboxById[m.Id] = mailboxState;
                    }
                }
            }

            foreach (var (id, gone) in old.MailboxesById)
            {
                if (!mailboxById.ContainsKey(id))
                {
                    gone.MarkRemoved();
                }
            }

            _snapshot = new Snapshot(
                clientMap.ToFrozenDictionary(),
                domainMap.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
                domainById.ToFrozenDictionary(),
                mailboxMap.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
                mailboxById.ToFrozenDictionary());
            Version = version;
        }

        if (changed is not null && CredentialChanged is { } handler)
        {
            foreach (var mailbox in changed)
            {
                handler(mailbox);
            }
        }
    }

    /// <summary>
    /// Memory holds a status the database may not (a step another process's offense decided otherwise):
    /// the next version poll reloads the directory whatever the version.
    /// </summary>
    public void MarkStale()
    {
        lock (_writeLock)
        {
            Version = -1;
        }
    }

    private sealed record Snapshot(
        FrozenDictionary<int, ClientState> Clients,
        FrozenDictionary<string, DomainState> Domains,
        FrozenDictionary<int, DomainState> DomainsById,
        FrozenDictionary<string, MailboxState> Mailboxes,
        FrozenDictionary<int, MailboxState> MailboxesById)
    {
        public static readonly Snapshot Empty = new(
            FrozenDictionary<int, ClientState>.Empty,
            FrozenDictionary<string, DomainState>.Empty.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            FrozenDictionary<int, DomainState>.Empty,
            FrozenDictionary<string, MailboxState>.Empty.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            FrozenDictionary<int, MailboxState>.Empty);
    }
}

/// <summary>Hot view of a client: status and limits.</summary>
public sealed class ClientState(int id)
{
    private volatile StatusInfo _status = StatusInfo.Active;

    public int Id { get; } = id;

    public string Name { get; private set; } = string.Empty;

    public string ContactName { get; private set; } = string.Empty;

    public string ContactPhone { get; private set; } = string.Empty;

    public string ContactEmail { get; private set; } = string.Empty;

    public PlanLimits Limits { get; private set; } = new();

    /// <summary>
    /// Hashes of the registrable domains of the client's domains: the client's own links and addresses
    /// are in every message it sends and are no payload of a run.
    /// </summary>
    public ulong[] OwnDomainHashes { get; private set; } = [];

    public StatusInfo Status => _status;

    internal void Update(Client c, PlanLimits limits)
    {
        OwnDomainHashes = c.Domains.Select(d => Fingerprinting.ContentFingerprint.DomainHash(d.Name)).Distinct().ToArray();
        Name = c.Name;
        ContactName = c.ContactName;
        ContactPhone = c.ContactPhone;
        ContactEmail = c.ContactEmail;
        Limits = limits;
        _status = StatusInfo.Of(c.Status, c.StatusReason);
    }

    /// <summary>Sets the status at once (enforcement in this process), before the durable write is seen.</summary>
    public void SetStatus(AccountStatus status, string? reason) => _status = StatusInfo.Of(status, reason);
}

/// <summary>Hot view of a domain.</summary>
public sealed class DomainState(int id, ClientState client)
{
    private volatile StatusInfo _status = StatusInfo.Active;

    public int Id { get; } = id;

    public string Name { get; private set; } = string.Empty;

    public ClientState Client { get; private set; } = client;

    public StatusInfo Status => _status;

    /// <summary>An unknown, authenticated login of this domain becomes a mailbox on first sight.</summary>
    public bool AutoCreateMailboxes { get; private set; }

    internal void Update(Domain d, ClientState client)
    {
        Name = d.Name.ToLowerInvariant();
        Client = client;
        AutoCreateMailboxes = d.AutoCreateMailboxes;
        _status = StatusInfo.Of(d.Status, d.StatusReason);
    }

    public void SetStatus(AccountStatus status, string? reason) => _status = StatusInfo.Of(status, reason);
}

/// <summary>Hot view of a mailbox: what AUTH and the policy engine need.</summary>
public sealed class MailboxState(int id, DomainState domain)
{
    private volatile StatusInfo _status = StatusInfo.Active;
    private volatile MailboxCredential _credential = MailboxCredential.None;
    private volatile Rehash? _rehash;
    private string[] _allowedSenders = [];

    public int Id { get; } = id;

    public string Address { get; private set; } = string.Empty;

    public DomainState Domain { get; private set; } = domain;

    public ClientState Client => Domain.Client;

    public string? PasswordHash => _credential.Hash;

    /// <summary>
    /// Changes whenever the password hash does. A session keeps the stamp of the hash it
    /// authenticated against (<see cref="AuthenticationResult.CredentialStamp"/>) and may not begin a
    /// transaction once it differs: a new password (a reinstatement after a compromise) ends every
    /// session logged in with the old one, not only new logins.
    /// </summary>
    public int CredentialStamp => _credential.Stamp;

    /// <summary>The hash and its stamp, read together: a login must not pair the old hash with the new stamp.</summary>
    internal MailboxCredential Credential => _credential;

    public StatusInfo Status => _status;

    internal void Update(Mailbox m, DomainState domain)
    {
        Address = m.Address.ToLowerInvariant();
        Domain = domain;
        var credential = _credential;
        if (!string.Equals(credential.Hash, m.PasswordHash, StringComparison.Ordinal))
        {
            // A rehash of the password the session proved (ExpectRehash) is not a new password: the stamp
            // stays, so sessions logged in with the old hash keep sending. Any other change ends them.
            var rehash = _rehash;
            var same = rehash is not null
                && string.Equals(rehash.From, credential.Hash, StringComparison.Ordinal)
                && string.Equals(rehash.To, m.PasswordHash, StringComparison.Ordinal);
            _credential = new MailboxCredential(m.PasswordHash, same ? credential.Stamp : credential.Stamp + 1);
            _rehash = null;
        }

        _allowedSenders = string.IsNullOrWhiteSpace(m.AllowedSenders)
            ? []
            : m.AllowedSenders.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        _status = StatusInfo.Of(m.Status, m.StatusReason);
    }

    /// <summary>
    /// Announces, before it is written, that the stored hash <paramref name="from"/> is being replaced
    /// by <paramref name="to"/>, a new hash of the same password (an upgrade at login). When the next
    /// load sees exactly that change, <see cref="CredentialStamp"/> does not move.
    /// </summary>
    /// <remarks>
    /// Node-local: another node that loads the upgraded row sees a changed hash and, failing closed,
    /// treats it as a new password (its sessions of this mailbox log in again). <paramref name="to"/>
    /// has a fresh random salt, so a stale announcement never matches a later, real change.
    /// </remarks>
    public void ExpectRehash(string from, string to) => _rehash = new Rehash(from, to);

    internal void MarkRemoved() => _status = StatusInfo.Of(AccountStatus.Disabled, "mailbox removed");

    public void SetStatus(AccountStatus status, string? reason) => _status = StatusInfo.Of(status, reason);

    /// <summary>
    /// May this mailbox use envelope sender <paramref name="address"/>? Its own address, a listed
    /// alias, or any address of a domain listed as "*@domain" that belongs to the same client.
    /// </summary>
    public bool MaySendAs(ReadOnlySpan<char> address)
    {
        if (address.Equals(Address, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var allowed in _allowedSenders)
        {
            if (allowed.StartsWith("*@", StringComparison.Ordinal))
            {
                var at = address.LastIndexOf('@');
                if (at >= 0 && address[(at + 1)..].Equals(allowed.AsSpan(2), StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            else if (address.Equals(allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>An announced rehash of the same password: the hash it replaces and the new one.</summary>
internal sealed record Rehash(string From, string To);

/// <summary>A mailbox's password hash and the stamp that changes with it, swapped atomically.</summary>
internal sealed record MailboxCredential(string? Hash, int Stamp)
{
    public static readonly MailboxCredential None = new(null, 0);
}

/// <summary>An immutable status with its reason, swapped atomically.</summary>
public sealed record StatusInfo(AccountStatus Status, string? Reason)
{
    public static readonly StatusInfo Active = new(AccountStatus.Active, null);

    public bool IsActive => Status == AccountStatus.Active;

    public static StatusInfo Of(AccountStatus status, string? reason) =>
        status == AccountStatus.Active && reason is null ? Active : new StatusInfo(status, reason);
}
