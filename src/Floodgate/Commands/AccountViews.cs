using System.Globalization;
using Floodgate.Core.Accounts;

namespace Floodgate.Commands;

// What the CLI prints: never a password hash, no reference cycles.
internal sealed record ClientView(
    int Id, string Name, AccountStatus Status, string? StatusReason, string ContactName, string ContactPhone,
    string ContactEmail, string? Plan, DateTimeOffset CreatedAt, IReadOnlyList<DomainView>? Domains)
{
    public static ClientView From(Client c, bool withDomains) => new(
        c.Id, c.Name, c.Status, c.StatusReason, c.ContactName, c.ContactPhone, c.ContactEmail, c.Plan?.Name, c.CreatedAt,
        withDomains ? c.Domains.Select(d => DomainView.From(d, withMailboxes: true)).ToList() : null);
}

internal sealed record DomainView(
    int Id, string Name, string? Client, AccountStatus Status, string? StatusReason, DateTimeOffset CreatedAt, IReadOnlyList<MailboxView>? Mailboxes)
{
    public static DomainView From(Domain d, bool withMailboxes) => new(
        d.Id, d.Name, d.Client?.Name, d.Status, d.StatusReason, d.CreatedAt,
        withMailboxes ? d.Mailboxes.Select(MailboxView.From).ToList() : null);
}

internal sealed record MailboxView(
    int Id, string Address, string? DisplayName, string? Domain, string? Client, AccountStatus Status, string? StatusReason,
    bool HasPassword, DateTimeOffset CreatedAt)
{
    public static MailboxView From(Mailbox m) => new(
        m.Id, m.Address, m.DisplayName, m.Domain?.Name, m.Domain?.Client?.Name, m.Status, m.StatusReason, m.PasswordHash is not null, m.CreatedAt);
}

internal sealed record PlanView(int Id, string Name, PlanLimits Limits)
{
    public static PlanView From(Plan p) => new(p.Id, p.Name, p.Limits);
}

internal static class Format
{
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Status(AccountStatus status, string? reason) =>
        reason is null ? status.ToString() : $"{status} ({reason})";

    public static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
