using System.Collections.Concurrent;
using Floodgate.Core.Accounts;
using Floodgate.Doors;
using Floodgate.Storage.Accounts;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// Creates the mailbox of an authenticated login on first sight (<see cref="IMailboxProvisioner"/>):
/// the domain's setting read from the directory (no database round-trip for a domain that is not ours
/// or does not allow it), the insert audited, then the directory reloaded before the door answers, so
/// the plan's limits apply to the very transaction. Parallel first logins in this process share one
/// creation; other processes meet the unique address and take the mailbox as already created.
/// Cost: one insert and one directory reload per new mailbox.
/// </summary>
internal sealed partial class MailboxAutoCreator(AccountStore store, AccountDirectory directory, StateRefresher refresher, ILogger<MailboxAutoCreator> logger) : IMailboxProvisioner
{
    private readonly ConcurrentDictionary<string, Lazy<Task<MailboxState?>>> _creating = new(StringComparer.Ordinal);

    public async ValueTask<MailboxState?> ProvisionAsync(string address, string actor, CancellationToken cancellationToken)
    {
        if (directory.TryGetMailbox(address, out var known))
        {
            return known;
        }

        var at = address.LastIndexOf('@');
        if (at <= 0 || !directory.TryGetDomain(address.AsSpan(at + 1), out var domain) || !domain.AutoCreateMailboxes)
        {
            return null;
        }

        var creation = _creating.GetOrAdd(address, static (a, state) => new Lazy<Task<MailboxState?>>(() => state.Self.CreateAsync(a, state.Actor)), (Self: this, Actor: actor));
        try
        {
            return await creation.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _creating.TryRemove(new KeyValuePair<string, Lazy<Task<MailboxState?>>>(address, creation));
        }
    }

    private async Task<MailboxState?> CreateAsync(string address, string actor)
    {
        try
        {
            // Not the caller's token: a client gone mid-creation must not leave the mailbox half-seen.
            var outcome = await store.AutoCreateMailboxAsync(address, actor, CancellationToken.None).ConfigureAwait(false);
            if (outcome is not (MailboxAutoCreation.Created or MailboxAutoCreation.Existed))
            {
                return null;
            }

            if (!directory.TryGetMailbox(address, out _))
            {
                await refresher.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            }

            if (outcome == MailboxAutoCreation.Created)
            {
                DoorMetrics.AutoCreatedMailboxes.WithLabels(actor).Inc();
                LogCreated(logger, address, actor);
            }

            return directory.TryGetMailbox(address, out var mailbox) ? mailbox : null;
        }
        catch (Exception ex) when (ex is AccountException or InvalidOperationException or Microsoft.EntityFrameworkCore.DbUpdateException or System.Data.Common.DbException)
        {
            LogFailed(logger, address, ex.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {Address} created on first sight of its login (door {Door})")]
    private static partial void LogCreated(ILogger logger, string address, string door);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create mailbox {Address} on first sight: {Error}")]
    private static partial void LogFailed(ILogger logger, string address, string error);
}
