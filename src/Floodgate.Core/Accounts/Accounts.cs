namespace Floodgate.Core.Accounts;

/// <summary>Whether an account may send. Suspended and terminated carry a reason.</summary>
public enum AccountStatus
{
    Active = 0,
    Disabled = 1,
    Suspended = 2,
    Terminated = 3,
}

/// <summary>The provider's customer organisation.</summary>
public sealed class Client
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public required string ContactName { get; set; }

    public required string ContactPhone { get; set; }

    public required string ContactEmail { get; set; }

    public AccountStatus Status { get; set; }

    public string? StatusReason { get; set; }

    public int? PlanId { get; set; }

    public Plan? Plan { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<Domain> Domains { get; set; } = [];
}

/// <summary>A mail domain owned by one client.</summary>
public sealed class Domain
{
    public int Id { get; set; }

    public int ClientId { get; set; }

    public Client? Client { get; set; }

    /// <summary>Lower-case, IDNA (A-label) form.</summary>
    public required string Name { get; set; }

    public AccountStatus Status { get; set; }

    public string? StatusReason { get; set; }

    /// <summary>
    /// Whether an authenticated login of this domain that Floodgate does not know (its password lives in
    /// the provider's Dovecot) becomes a mailbox on first sight, under the domain's client and plan.
    /// </summary>
    public bool AutoCreateMailboxes { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public List<Mailbox> Mailboxes { get; set; } = [];
}

/// <summary>An account that sends: login is the address.</summary>
public sealed class Mailbox
{
    public int Id { get; set; }

    public int DomainId { get; set; }

    public Domain? Domain { get; set; }

    /// <summary>Lower-case address; also the SMTP AUTH login.</summary>
    public required string Address { get; set; }

    public string? DisplayName { get; set; }

    /// <summary>Floodgate's own: a PHC string, $argon2id$v=19$m=...,t=...,p=...$salt$hash; imported: Dovecot's {SCHEME}hash (Storage's PasswordSchemes). Null: cannot log in.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>
    /// SHA-256 (hex) of the hash last brought from the provider's systems (import, sync, API), kept when
    /// a good login upgrades that hash to Argon2id: the next sync of the same file must see the same
    /// password, not put the weak hash back. Null once a password is set here.
    /// </summary>
    public string? ImportedHashDigest { get; set; }

    /// <summary>Other envelope senders this mailbox may use (aliases), lower-case, comma-separated; "*@domain" allows a whole domain of the same client.</summary>
    public string? AllowedSenders { get; set; }

    public AccountStatus Status { get; set; }

    public string? StatusReason { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A named set of limits, assigned to a client (the default plan applies otherwise).</summary>
public sealed class Plan
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public PlanLimits Limits { get; set; } = new();
}

/// <summary>Limits of a plan. Defaults suit a business mailbox; every value is a setting.</summary>
public sealed class PlanLimits
{
    /// <summary>The policy's cap: recipients in one message.</summary>
    public int MaxRecipientsPerMessage { get; set; } = 200;

    public int MaxMessageSizeBytes { get; set; } = 35 * 1024 * 1024;

    public ScopeLimits Mailbox { get; set; } = ScopeLimits.MailboxDefaults();

    public ScopeLimits Domain { get; set; } = ScopeLimits.DomainDefaults();

    public ScopeLimits Client { get; set; } = ScopeLimits.ClientDefaults();
}

/// <summary>
/// Rate windows of one scope (mailbox, domain or client). External recipients (outside the
/// sender's own client) are counted apart from internal ones: external ones are what blocklists see.
/// </summary>
public sealed class ScopeLimits
{
    public int MessagesPerHour { get; set; }

    public int ExternalRecipientsPerHour { get; set; }

    public int ExternalRecipientsPerDay { get; set; }

    public int InternalRecipientsPerHour { get; set; }

    public int InternalRecipientsPerDay { get; set; }

    // Exchange Online allows 10,000 recipients a day per mailbox; a hosted SMB provider is stricter.
    public static ScopeLimits MailboxDefaults() => new()
    {
        MessagesPerHour = 600,
        ExternalRecipientsPerHour = 1_000,
        ExternalRecipientsPerDay = 3_000,
        InternalRecipientsPerHour = 5_000,
        InternalRecipientsPerDay = 20_000,
    };

    public static ScopeLimits DomainDefaults() => new()
    {
        MessagesPerHour = 6_000,
        ExternalRecipientsPerHour = 10_000,
        ExternalRecipientsPerDay = 50_000,
        InternalRecipientsPerHour = 50_000,
        InternalRecipientsPerDay = 200_000,
    };

    public static ScopeLimits ClientDefaults() => new()
    {
        MessagesPerHour = 20_000,
        ExternalRecipientsPerHour = 30_000,
        ExternalRecipientsPerDay = 150_000,
        InternalRecipientsPerHour = 150_000,
        InternalRecipientsPerDay = 600_000,
    };
}
