using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;

namespace Floodgate.Web.Api;

// What the account endpoints answer: never a password hash, no reference cycles. The same shape in a
// list and by id, so a script that reads one reads the other.

/// <summary>The client's primary contact: whom support calls after a suspension.</summary>
public sealed record ContactView(string Name, string Phone, string Email);

public sealed record PlanView(int Id, string Name, bool IsDefault, PlanLimits Limits)
{
    internal static PlanView? Of(Plan? p) => p is null ? null : new(p.Id, p.Name, p.Name == AccountStore.DefaultPlanName, p.Limits);
}

public sealed record ClientRef(int Id, string Name, AccountStatus Status, string? StatusReason)
{
    internal static ClientRef Of(Client c) => new(c.Id, c.Name, c.Status, c.StatusReason);
}

public sealed record DomainRef(int Id, string Name, AccountStatus Status, string? StatusReason)
{
    internal static DomainRef Of(Domain d) => new(d.Id, d.Name, d.Status, d.StatusReason);
}

public sealed record ClientView(
    int Id, string Name, AccountStatus Status, string? StatusReason, ContactView Contact, PlanView? Plan,
    int Domains, int Mailboxes, DateTimeOffset CreatedAt)
{
    internal static ClientView Of(ClientListing l) => new(
        l.Client.Id, l.Client.Name, l.Client.Status, l.Client.StatusReason, ContactOf(l.Client), PlanView.Of(l.Client.Plan),
        l.Domains, l.Mailboxes, l.Client.CreatedAt);

    internal static ContactView ContactOf(Client c) => new(c.ContactName, c.ContactPhone, c.ContactEmail);
}

/// <param name="AutoCreateMailboxes">An authenticated login of this domain that Floodgate does not know (Dovecot at the gateway, sasl_username at the Postfix doors) becomes a mailbox on first sight.</param>
public sealed record DomainView(
    int Id, string Name, AccountStatus Status, string? StatusReason, ClientRef Client, ContactView Contact, PlanView? Plan,
    int Mailboxes, bool AutoCreateMailboxes, DateTimeOffset CreatedAt)
{
    internal static DomainView Of(DomainListing l)
    {
        var client = l.Domain.Client ?? throw new InvalidOperationException("A domain was loaded without its client.");
        return new(l.Domain.Id, l.Domain.Name, l.Domain.Status, l.Domain.StatusReason, ClientRef.Of(client), ClientView.ContactOf(client),
            PlanView.Of(client.Plan), l.Mailboxes, l.Domain.AutoCreateMailboxes, l.Domain.CreatedAt);
    }
}

public sealed record MailboxView(
    int Id, string Address, string? DisplayName, AccountStatus Status, string? StatusReason, DomainRef Domain, ClientRef Client,
    ContactView Contact, PlanView? Plan, bool HasPassword, IReadOnlyList<string> AllowedSenders, DateTimeOffset CreatedAt)
{
    internal static MailboxView Of(Mailbox m)
    {
        var domain = m.Domain ?? throw new InvalidOperationException("A mailbox was loaded without its domain.");
        var client = domain.Client ?? throw new InvalidOperationException("A mailbox was loaded without its client.");
        return new(m.Id, m.Address, m.DisplayName, m.Status, m.StatusReason, DomainRef.Of(domain), ClientRef.Of(client),
            ClientView.ContactOf(client), PlanView.Of(client.Plan), m.PasswordHash is not null,
            string.IsNullOrEmpty(m.AllowedSenders) ? [] : m.AllowedSenders.Split(','), m.CreatedAt);
    }
}

/// <summary>A new client; the plan is the default plan unless given.</summary>
public sealed record ClientCreate(string? Name, string? ContactName, string? ContactPhone, string? ContactEmail, int? PlanId);

/// <summary>What to change of a client; a field left out or null stays as it is.</summary>
public sealed record ClientUpdate(string? Name, string? ContactName, string? ContactPhone, string? ContactEmail, int? PlanId);

public sealed record DomainCreate(int? ClientId, string? Name);

/// <summary>What to change of a domain; a field left out or null stays as it is.</summary>
public sealed record DomainUpdate(bool? AutoCreateMailboxes);

/// <summary>
/// A new mailbox in an existing domain (the address names it). A password, or a passwordHash from the
/// provider's systems in Dovecot's {SCHEME}hash form (ARGON2ID, ARGON2I, SHA512-CRYPT, SHA256-CRYPT,
/// BLF-CRYPT); without either it cannot log in until one is set.
/// </summary>
public sealed record MailboxCreate(string? Address, string? Password, string? DisplayName, string? PasswordHash = null);

/// <summary>
/// What to change of a mailbox; a field left out or null stays as it is. An empty display name clears it;
/// allowed senders (addresses or "*@domain" of the client's own domains) replace the list, an empty list clears it.
/// </summary>
public sealed record MailboxUpdate(string? DisplayName, IReadOnlyList<string>? AllowedSenders);

/// <summary>A password, or a passwordHash in Dovecot's {SCHEME}hash form, to set; it is never answered back.</summary>
public sealed record PasswordSet(string? Password, string? PasswordHash = null);

/// <summary>Limits to change: a field left out or null keeps its value (for a new plan: the built-in default).</summary>
public sealed record ScopeLimitsChange(int? MessagesPerHour, int? ExternalRecipientsPerHour, int? ExternalRecipientsPerDay, int? InternalRecipientsPerHour, int? InternalRecipientsPerDay)
{
    internal ScopeLimits Over(ScopeLimits l) => new()
    {
        MessagesPerHour = MessagesPerHour ?? l.MessagesPerHour,
        ExternalRecipientsPerHour = ExternalRecipientsPerHour ?? l.ExternalRecipientsPerHour,
        ExternalRecipientsPerDay = ExternalRecipientsPerDay ?? l.ExternalRecipientsPerDay,
        InternalRecipientsPerHour = InternalRecipientsPerHour ?? l.InternalRecipientsPerHour,
        InternalRecipientsPerDay = InternalRecipientsPerDay ?? l.InternalRecipientsPerDay,
    };
}

/// <summary>Plan limits to change: a field left out or null keeps its value.</summary>
public sealed record PlanLimitsChange(int? MaxRecipientsPerMessage, int? MaxMessageSizeBytes, ScopeLimitsChange? Mailbox, ScopeLimitsChange? Domain, ScopeLimitsChange? Client)
{
    /// <summary>These changes over <paramref name="l"/>, as a new object (the stored one is not touched).</summary>
    internal PlanLimits Over(PlanLimits l) => new()
    {
        MaxRecipientsPerMessage = MaxRecipientsPerMessage ?? l.MaxRecipientsPerMessage,
        MaxMessageSizeBytes = MaxMessageSizeBytes ?? l.MaxMessageSizeBytes,
        Mailbox = Mailbox?.Over(l.Mailbox) ?? Copy(l.Mailbox),
        Domain = Domain?.Over(l.Domain) ?? Copy(l.Domain),
        Client = Client?.Over(l.Client) ?? Copy(l.Client),
    };

    private static ScopeLimits Copy(ScopeLimits l) => new ScopeLimitsChange(null, null, null, null, null).Over(l);
}

public sealed record PlanCreate(string? Name, PlanLimitsChange? Limits);

public sealed record PlanUpdate(PlanLimitsChange? Limits);
