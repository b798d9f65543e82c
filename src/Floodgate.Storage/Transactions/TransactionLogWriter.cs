using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Floodgate.Storage.Transactions;

public sealed class TransactionLogWriterOptions
{
    /// <summary>Records queued in memory; beyond this, <see cref="TransactionLogWriter.TryWrite"/> drops.</summary>
    public int Capacity { get; set; } = 100_000;

    public int MaxBatchSize { get; set; } = 500;

    /// <summary>How long a batch waits to fill once its first record is in.</summary>
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="TransactionLogWriter.DisposeAsync"/> keeps trying to write what is queued.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Writes the transaction log in the background: the gateway hands a record over without waiting
/// for the database, and the loop commits batches (up to 500, or what arrived in 200 ms) in one
/// SaveChanges each. A failing database is retried with backoff; it never stops the gateway.
/// On SQLite a batch is one transaction of one prepared INSERT re-bound per record (see <see cref="SqliteBatchInsert"/>).
/// </summary>
public sealed class TransactionLogWriter : IAsyncDisposable
{
    private static readonly Action<ILogger, int, int, TimeSpan, Exception?> LogWriteFailed = LoggerMessage.Define<int, int, TimeSpan>(
        LogLevel.Error, new EventId(1, "TransactionLogWriteFailed"),
        "Writing {Count} transaction log records failed (attempt {Attempt}); retrying in {Delay}");

    private static readonly Action<ILogger, long, Exception?> LogDroppedAtShutdown = LoggerMessage.Define<long>(
        LogLevel.Error, new EventId(2, "TransactionLogDroppedAtShutdown"),
        "Shutting down with the database failing: {Count} transaction log records were not written");

    private static readonly Action<ILogger, Exception?> LogFirstDrop = LoggerMessage.Define(
        LogLevel.Warning, new EventId(3, "TransactionLogQueueFull"),
        "The transaction log queue is full; records are being dropped (see TransactionLogWriter.Dropped)");

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private readonly IDbContextFactory<FloodgateDbContext> _dbFactory;
    private readonly TransactionLogWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<TransactionRecord> _channel;
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _loop;
    private long _dropped;
    private long _written;
    private long _failures;
    private int _disposed;
    private SqliteBatchInsert? _sqliteInsert;

    public TransactionLogWriter(
        IDbContextFactory<FloodgateDbContext> dbFactory,
        TransactionLogWriterOptions? options = null,
        TimeProvider? time = null,
        ILogger<TransactionLogWriter>? logger = null)
    {
        _dbFactory = dbFactory;
        _options = options ?? new TransactionLogWriterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxBatchSize, 1);
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _channel = Channel.CreateBounded<TransactionRecord>(new BoundedChannelOptions(_options.Capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: full means "false", never a wait
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Records refused because the queue was full or the writer was disposed. Export as a metric.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records committed to the database.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Failed batch attempts (each is retried).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Records waiting in the queue.</summary>
    public int Pending => _channel.Reader.Count;

    /// <summary>Queues the record; false (and counted in <see cref="Dropped"/>) when full. Never blocks.</summary>
    public bool TryWrite(TransactionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_channel.Writer.TryWrite(record))
            return true;
        if (Interlocked.Increment(ref _dropped) == 1)
            LogFirstDrop(_logger, null);
        return false;
    }

    /// <summary>Stops taking records and writes what is queued, for at most <see cref="TransactionLogWriterOptions.ShutdownTimeout"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _channel.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(_options.ShutdownTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }

        _abort.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<TransactionRecord>(_options.MaxBatchSize);
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                await FillAsync(reader, batch).ConfigureAwait(false);
                await SaveWithRetryAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            var lost = batch.Count + reader.Count;
            Interlocked.Add(ref _dropped, lost);
            LogDroppedAtShutdown(_logger, lost, null);
        }
    }

    /// <summary>
    /// Fills the batch with what is queued, then with what arrives until it is full or
    /// <see cref="TransactionLogWriterOptions.MaxBatchDelay"/> has passed since it began. It looks
    /// every <see cref="PollInterval"/> instead of waiting for each record: a wake-up per record was
    /// a thread hop, a timer and a WhenAny per relayed message (bench/RESULTS.md, "Gateway: profile").
    /// </summary>
    private async Task FillAsync(ChannelReader<TransactionRecord> reader, List<TransactionRecord> batch)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var record))
                batch.Add(record);
            if (batch.Count >= _options.MaxBatchSize || reader.Completion.IsCompleted)
                return;
            var remaining = _options.MaxBatchDelay - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
                return;
            await Task.Delay(remaining < PollInterval ? remaining : PollInterval, _time).ConfigureAwait(false);
        }
    }

    private async Task SaveWithRetryAsync(List<TransactionRecord> batch)
    {
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var db = await _dbFactory.CreateDbContextAsync(_abort.Token).ConfigureAwait(false);
                if (db.Database.IsSqlite())
                {
                    _sqliteInsert ??= new SqliteBatchInsert(db.Model);
                    await _sqliteInsert.InsertAsync(db, batch, _abort.Token).ConfigureAwait(false);
                    Interlocked.Add(ref _written, batch.Count);
                    return;
                }

                db.ChangeTracker.AutoDetectChangesEnabled = false;
                foreach (var record in batch)
                    record.Id = 0; // a failed attempt may have assigned ids
                db.Transactions.AddRange(batch);
                await db.SaveChangesAsync(_abort.Token).ConfigureAwait(false);
                Interlocked.Add(ref _written, batch.Count);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_abort.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failures);
                LogWriteFailed(_logger, batch.Count, attempt, delay, ex);
                await Task.Delay(delay, _time, _abort.Token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }
}

/// <summary>
/// The transaction log's insert on SQLite without EF's change tracking: EF's SaveChanges cost 7 % of
/// the gateway's CPU per relayed message (bench/RESULTS.md, "Gateway: profile"), most of it tracking
/// entities and building a command per batch. Columns, value converters and parameter types come
/// from EF's model, so the schema and its migrations stay EF's; ids are left to SQLite and not read
/// back (nothing uses them once written).
/// </summary>
internal sealed class SqliteBatchInsert
{
    private readonly string _sql;
    private readonly Column[] _columns;

    public SqliteBatchInsert(IModel model)
    {
        var entity = model.FindEntityType(typeof(TransactionRecord)) ?? throw new InvalidOperationException("TransactionRecord is not in the model");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = new List<Column>();
        foreach (var property in entity.GetProperties())
        {
            if (property.IsPrimaryKey())
                continue;
            var mapping = property.GetRelationalTypeMapping();
            columns.Add(new Column(property.GetColumnName(table)!, property.GetGetter(), property.GetValueConverter() ?? mapping.Converter, mapping));
        }

        _columns = [.. columns];
        var names = new string[_columns.Length];
        var parameters = new string[_columns.Length];
        for (var i = 0; i < _columns.Length; i++)
        {
            names[i] = "\"" + _columns[i].Name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            parameters[i] = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var tableName = "\"" + table.Name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        _sql = $"INSERT INTO {tableName} ({string.Join(", ", names)}) VALUES ({string.Join(", ", parameters)})";
    }

    public async Task InsertAsync(DbContext db, List<TransactionRecord> batch, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = db.Database.GetDbConnection();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = _sql;
            var parameters = new DbParameter[_columns.Length];
            for (var i = 0; i < _columns.Length; i++)
            {
                parameters[i] = _columns[i].Mapping.CreateParameter(command, "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null, nullable: true);
                command.Parameters.Add(parameters[i]);
            }

            command.Prepare();
            foreach (var record in batch)
            {
                for (var i = 0; i < _columns.Length; i++)
                {
                    var value = _columns[i].Getter.GetClrValue(record);
                    if (value is not null && _columns[i].Converter is { } converter)
                        value = converter.ConvertToProvider(value);
                    parameters[i].Value = value ?? DBNull.Value;
                }

                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    private sealed record Column(string Name, IClrPropertyGetter Getter, ValueConverter? Converter, RelationalTypeMapping Mapping);
}
