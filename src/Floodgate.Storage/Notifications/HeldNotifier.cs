using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Floodgate.Core.Policy;
using Floodgate.Core.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Floodgate.Storage.Notifications;

/// <summary>
/// Turns held transactions into <c>mailbox.held</c> events: at most one per mailbox per hour, not one
/// per message (a run that is being held sends hundreds). Called in the door's reply path, so it only
/// checks a dictionary and queues; a background loop writes the events. Across a restart or a second
/// node, the dedupe key (mailbox and clock hour) keeps it to one per mailbox per clock hour.
/// A held message is not a change of durable state, so there is no transaction to join; an event
/// queued when the process dies is lost, as the held message itself is retried by its sender and
/// held (and announced) again.
/// </summary>
public sealed partial class HeldNotifier : ITransactionObserver, IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    private readonly IDbContextFactory<FloodgateDbContext> _dbFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, DateTimeOffset> _last = new();
    private readonly Channel<CompletedTransaction> _queue = Channel.CreateBounded<CompletedTransaction>(
        new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Task _loop;

    public HeldNotifier(IDbContextFactory<FloodgateDbContext> dbFactory, ILogger<HeldNotifier> logger)
    {
        _dbFactory = dbFactory;
        _logger = logger;
        _loop = Task.Run(WriteLoopAsync);
    }

    public void Completed(CompletedTransaction transaction)
    {
        if (transaction.Outcome != Outcome.Held)
        {
            return;
        }

        var id = transaction.Mailbox.Id;
        var at = transaction.At;
        if (_last.TryGetValue(id, out var last) && at - last < Interval)
        {
            return;
        }

        _last[id] = at;
        _queue.Writer.TryWrite(transaction);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    internal static string DedupeKey(int mailboxId, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"{NotificationTypes.MailboxHeld}:{mailboxId}:{at.ToUnixTimeSeconds() / 3600}");

    private async Task WriteLoopAsync()
    {
        await foreach (var t in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await WriteAsync(t).ConfigureAwait(false);
            }
            catch (DbUpdateException)
            {
                // Written already this hour (another node, or before a restart): the dedupe key held.
            }
            catch (Exception ex)
            {
                // The loop outlives a database that did not answer: the next held message tries again.
                _last.TryRemove(t.Mailbox.Id, out _);
                LogWriteFailed(_logger, t.Mailbox.Address, ex.Message);
            }
        }
    }

    private async Task WriteAsync(CompletedTransaction t)
    {
        await using var db = await _dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var m = t.Mailbox;
        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == m.Client.Id).ConfigureAwait(false);
        if (client is null)
        {
            return;
        }

        NotificationOutbox.Add(db, NotificationTypes.MailboxHeld, t.At, client.Id, new NotificationData
        {
            Client = NotificationOutbox.Info(client),
            Targets = [new TargetInfo("mailbox", m.Id, m.Address, "held")],
            Source = Enforcement.NewOffense.Detector,
            Reason = "a message was held as a likely mass mailing; nothing was sent",
            Held = new HeldInfo(t.At, m.Address, t.MessageId, t.Recipients, t.External, DoorNames.Name(t.Door), t.ReplyCode),
        }, DedupeKey(m.Id, t.At));
        await db.SaveChangesAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The mailbox.held event of {Mailbox} was not written: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string mailbox, string error);
}
