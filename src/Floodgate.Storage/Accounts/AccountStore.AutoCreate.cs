using Floodgate.Core.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage.Accounts;

public enum MailboxAutoCreation
{
    Created,

    /// <summary>It exists already: another login (another door, another process) created it first.</summary>
    Existed,

    /// <summary>Its domain is no domain of ours.</summary>
    UnknownDomain,

    /// <summary>Its domain's <see cref="Domain.AutoCreateMailboxes"/> is off.</summary>
    NotAllowed,
}

public sealed partial class AccountStore
{
    /// <summary>
    /// Creates the mailbox of an authenticated login on first sight, under its domain's client (and so
    /// its plan), without a password (that lives in the provider's Dovecot). Audited as
    /// <c>mailbox.auto_created</c>. The unique address decides a race: the loser sees <see cref="MailboxAutoCreation.Existed"/>.
    /// </summary>
    public async Task<MailboxAutoCreation> AutoCreateMailboxAsync(string address, string actor, CancellationToken cancellationToken = default)
    {
        if (!AccountValidation.TryNormalizeAddress(address, out var normalized, out var domainName, out var error))
            throw new AccountException(AccountError.Invalid, $"The mailbox was not created: {error}.");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domain = await db.Domains.AsNoTracking().FirstOrDefaultAsync(d => d.Name == domainName, cancellationToken);
        if (domain is null)
            return MailboxAutoCreation.UnknownDomain;
        if (!domain.AutoCreateMailboxes)
            return MailboxAutoCreation.NotAllowed;
        if (await db.Mailboxes.AnyAsync(m => m.Address == normalized, cancellationToken))
            return MailboxAutoCreation.Existed;

        var entity = new Mailbox
        {
            DomainId = domain.Id,
            Address = normalized,
            Status = AccountStatus.Active,
            CreatedAt = time.GetUtcNow(),
        };
        db.Mailboxes.Add(entity);
        try
        {
            await CommitAsync(db, actor, "mailbox.auto_created", "mailbox", () => entity.Id, new { address = normalized, domain = domain.Name }, cancellationToken);
        }
        catch (AccountException ex) when (ex.Error == AccountError.Conflict)
        {
            return MailboxAutoCreation.Existed;
        }

        return MailboxAutoCreation.Created;
    }

    /// <summary>Turns a domain's automatic mailboxes on or off (audited as <c>domain.auto_mailboxes</c>).</summary>
    public async Task SetAutoCreateMailboxesAsync(int domainId, bool enabled, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var domain = await db.Domains.FirstOrDefaultAsync(d => d.Id == domainId, cancellationToken)
            ?? throw NotFound("domain", domainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (domain.AutoCreateMailboxes == enabled)
            return;
        domain.AutoCreateMailboxes = enabled;
        await CommitAsync(db, actor, "domain.auto_mailboxes", "domain", () => domain.Id, new { domain = domain.Name, enabled }, cancellationToken);
    }
}
