using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Floodgate.Core.Enforcement;
using Microsoft.Extensions.Logging;

namespace Floodgate.Storage.Enforcement;

/// <summary>
/// Makes an offense durable before the reply that announces it: written to the database (on the
/// thread pool, within a timeout), or, when the database does not answer in time, appended to a
/// journal file and flushed to disk (fsync), then written in the background until it succeeds.
/// At start <see cref="ReplayAsync"/> writes what the journal holds before any door opens; the
/// offense's key makes a write that happened twice count once. Offenses are rare: each costs a
/// database transaction of a few milliseconds, not a round trip per message.
/// With <see cref="LadderOptions"/> the database decides the step (<see cref="NewOffense.Ladder"/>), so
/// processes sharing it climb one ladder; a journaled offense keeps the step its reply announced, and a
/// repeat decided in memory is not journaled (the offense it repeats is recorded or journaled itself).
/// </summary>
public sealed partial class DurableOffenseRecorder : IOffenseRecorder, IAsyncDisposable
{
    public const string Actor = "detector";

    private readonly EnforcementStore _store;
    private readonly string _journalPath;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _writeTimeout;
    private readonly TimeSpan _shutdownTimeout;
    private readonly LadderOptions? _ladder;
    private readonly SemaphoreSlim _journalLock = new(1, 1);
    private readonly ConcurrentDictionary<Guid, byte> _stored = new();
    private readonly Channel<Offense> _retry = Channel.CreateUnbounded<Offense>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    /// <param name="ladder">Null: the step decided in memory is recorded as it is (one process alone).</param>
    public DurableOffenseRecorder(EnforcementStore store, string journalPath, TimeProvider time, ILogger<DurableOffenseRecorder> logger, TimeSpan? writeTimeout = null, TimeSpan? shutdownTimeout = null, LadderOptions? ladder = null)
    {
        _ladder = ladder;
        _shutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(10);
        _store = store;
        _journalPath = journalPath;
        _time = time;
        _logger = logger;
        _writeTimeout = writeTimeout ?? TimeSpan.FromSeconds(5);
        _loop = Task.Run(RetryLoopAsync);
    }

    /// <summary>Offenses waiting in the journal for the database.</summary>
    public int Pending => _retry.Reader.Count;

    public async Task<RecordedStep> RecordAsync(Offense offense, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite runs its "async" calls synchronously: the write goes to the pool,
        // never onto the socket thread that asked.
        var write = Task.Run(() => _store.RecordOffenseAsync(ToNew(offense, _ladder), Actor, CancellationToken.None), CancellationToken.None);
        try
        {
            var recorded = await write.WaitAsync(_writeTimeout, _time, cancellationToken).ConfigureAwait(false);
            _stored[offense.Key] = 0;
            if (recorded.Repeat)
                LogRepeat(_logger, offense.Mailboxes[0].Address, recorded.OffenseId, recorded.IncidentId);
            else
                LogRecorded(_logger, offense.Mailboxes[0].Address, recorded.IncidentId, recorded.ContactTaskId);
            return _ladder is null ? RecordedStep.AsDecided(offense) : new RecordedStep(recorded.Step, recorded.Repeat, recorded.OffenseTimes);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogJournaled(_logger, offense.Mailboxes[0].Address, ex.Message);
        }

        if (!offense.Repeat)
        {
            await AppendAsync(offense).ConfigureAwait(false);
            _retry.Writer.TryWrite(offense);
        }

        return RecordedStep.AsDecided(offense);
    }

    public bool IsStored(Guid key) => _stored.ContainsKey(key);

    /// <summary>Writes the offenses a previous process journaled but did not get into the database; then empties the journal.</summary>
    public async Task<int> ReplayAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_journalPath))
        {
            return 0;
        }

        var replayed = 0;
        foreach (var line in await File.ReadAllLinesAsync(_journalPath, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            Offense? offense;
            try
            {
                offense = JsonSerializer.Deserialize<Offense>(line, EnforcementStore.EvidenceJson);
            }
            catch (JsonException ex)
            {
                // A line cut short by a crash mid-append: its offense never got a reply.
                LogBadJournalLine(_logger, ex.Message);
                continue;
            }

            if (offense is null)
            {
                continue;
            }

            await _store.RecordOffenseAsync(ToNew(offense), Actor, cancellationToken).ConfigureAwait(false);
            _stored[offense.Key] = 0;
            replayed++;
        }

        await _journalLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            File.Delete(_journalPath);
        }
        finally
        {
            _journalLock.Release();
        }

        return replayed;
    }

    /// <summary>Tries to write what waits in the journal for a little while; what is left stays journaled for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        _retry.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(_shutdownTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <param name="ladder">Null: record the step decided in memory (a journaled offense: its reply announced that step).</param>
    internal static NewOffense ToNew(Offense offense, LadderOptions? ladder = null)
    {
        var first = offense.Mailboxes[0];
        return new NewOffense(offense.At, offense.ClientId, first.DomainId, first.Id, first.Address, offense.Step, offense.Score,
            NewOffense.Detector, offense.Signals, offense.Evidence, offense.Reason, offense.Mailboxes.Skip(1).ToList(), offense.Key)
        {
            Ladder = ladder,
            ReasonFor = ladder is null ? null : offense.ReasonFor,
        };
    }

    private async Task AppendAsync(Offense offense)
    {
        var line = JsonSerializer.Serialize(offense, EnforcementStore.EvidenceJson) + "\n";
        await _journalLock.WaitAsync().ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_journalPath))!);
            await using var file = new FileStream(_journalPath, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous);
            await file.WriteAsync(Encoding.UTF8.GetBytes(line)).ConfigureAwait(false);
            // fsync: the reply that follows must not outlive a power cut.
            file.Flush(flushToDisk: true);
        }
        finally
        {
            _journalLock.Release();
        }
    }

    private async Task RetryLoopAsync()
    {
        try
        {
            await foreach (var offense in _retry.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await _store.RecordOffenseAsync(ToNew(offense), Actor, _stopping.Token).ConfigureAwait(false);
                        _stored[offense.Key] = 0;
                        break;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogWriteFailed(_logger, offense.Mailboxes[0].Address, attempt, ex.Message);
                        await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt)), _time, _stopping.Token).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offense of {Mailbox} recorded: incident {Incident}, contact task {Task}")]
    private static partial void LogRecorded(ILogger logger, string mailbox, long incident, long task);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offense of {Mailbox} is a repeat of offense {Offense} (incident {Incident}): no step of its own")]
    private static partial void LogRepeat(ILogger logger, string mailbox, long offense, long incident);

    [LoggerMessage(Level = LogLevel.Error, Message = "Offense of {Mailbox} not written to the database in time ({Error}); journaled, retrying in the background")]
    private static partial void LogJournaled(ILogger logger, string mailbox, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the offense of {Mailbox} failed (attempt {Attempt}): {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string mailbox, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped an unreadable line of the offense journal: {Error}")]
    private static partial void LogBadJournalLine(ILogger logger, string error);
}
