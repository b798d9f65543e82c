using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Floodgate.Protocols.Content;

/// <summary>
/// Where message content lives while a door holds it: pooled memory up to a threshold per message
/// and a budget for all messages together, then files in one folder up to a budget of their own.
/// One per process, shared by every connection of every door; thread-safe (the budgets are
/// interlocked counters, one compare-exchange per reservation).
/// </summary>
public sealed class MessageSpool
{
    /// <summary>What a message always keeps in memory, whatever the budgets: enough to read its header block.</summary>
    public const int HeadSize = 64 * 1024;

    private const string FileExtension = ".msg";

    private readonly ILogger _logger;
    private long _memoryBytes;
    private long _spoolBytes;
    private long _peakMemoryBytes;
    private long _peakSpoolBytes;
    private long _writtenBytes;
    private long _refusedMessages;

    /// <summary>Creates the folder if needed and deletes the spool files a previous process left in it.</summary>
    public MessageSpool(MessageSpoolOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _logger = logger ?? NullLogger.Instance;
        Directory = Path.GetFullPath(options.Directory);
        MemoryThreshold = options.MemoryThreshold;
        MaxMemoryBytes = options.MaxMemoryBytes;
        MaxSpoolBytes = options.MaxSpoolBytes;
        System.IO.Directory.CreateDirectory(Directory);
        DeleteLeftovers();
    }

    public string Directory { get; }

    public int MemoryThreshold { get; }

    public long MaxMemoryBytes { get; }

    public long MaxSpoolBytes { get; }

    /// <summary>In-memory octets all messages hold now (the capacity of their buffers).</summary>
    public long MemoryBytes => Volatile.Read(ref _memoryBytes);

    /// <summary>Octets in spool files now.</summary>
    public long SpoolBytes => Volatile.Read(ref _spoolBytes);

    public long PeakMemoryBytes => Volatile.Read(ref _peakMemoryBytes);

    public long PeakSpoolBytes => Volatile.Read(ref _peakSpoolBytes);

    /// <summary>Octets written to spool files since the spool was created.</summary>
    public long WrittenBytes => Volatile.Read(ref _writtenBytes);

    /// <summary>Messages the spool could not hold (over its budget, or a file that failed) since it was created.</summary>
    public long RefusedMessages => Volatile.Read(ref _refusedMessages);

    /// <summary>Starts one message. The writer is not thread-safe: one owner appends, then completes or disposes it.</summary>
    public MessageWriter Begin() => new(this);

    internal bool TryReserveMemory(long bytes) => TryReserve(ref _memoryBytes, ref _peakMemoryBytes, bytes, MaxMemoryBytes);

    /// <summary>For the head only: it must be in memory whatever the budget says.</summary>
    internal void ReserveMemory(long bytes) => Raise(ref _peakMemoryBytes, Interlocked.Add(ref _memoryBytes, bytes));

    internal void ReleaseMemory(long bytes) => Interlocked.Add(ref _memoryBytes, -bytes);

    internal bool TryReserveSpool(long bytes) => TryReserve(ref _spoolBytes, ref _peakSpoolBytes, bytes, MaxSpoolBytes);

    internal void ReleaseSpool(long bytes) => Interlocked.Add(ref _spoolBytes, -bytes);

    internal void Written(long bytes) => Interlocked.Add(ref _writtenBytes, bytes);

    internal void Refused() => Interlocked.Increment(ref _refusedMessages);

    /// <summary>
    /// A new file with a random name, readable by others while it is written (FileShare.Read), and
    /// deleted when its handle closes, so a message that is done with leaves nothing behind.
    /// </summary>
    internal SafeFileHandle CreateFile()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        var path = Path.Join(Directory, Convert.ToHexStringLower(random) + FileExtension);
        return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.DeleteOnClose);
    }

    internal void FileFailed(Exception exception) => MessageSpoolLog.FileFailed(_logger, Directory, exception);

    private static bool TryReserve(ref long counter, ref long peak, long bytes, long max)
    {
        var current = Volatile.Read(ref counter);
        while (true)
        {
            if (bytes > max - current)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref counter, current + bytes, current);
            if (seen == current)
            {
                Raise(ref peak, current + bytes);
                return true;
            }

            current = seen;
        }
    }

    private static void Raise(ref long peak, long value)
    {
        var current = Volatile.Read(ref peak);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref peak, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void DeleteLeftovers()
    {
        var deleted = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*" + FileExtension))
        {
            try
            {
                File.Delete(file);
                deleted++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                MessageSpoolLog.FileFailed(_logger, Directory, e);
            }
        }

        if (deleted > 0)
        {
            MessageSpoolLog.LeftoversDeleted(_logger, deleted, Directory);
        }
    }
}

internal static partial class MessageSpoolLog
{
    [LoggerMessage(1, LogLevel.Warning, "Message spool {Directory}: a spool file could not be written; the message is refused as if the spool were full")]
    public static partial void FileFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "Message spool {Directory}: deleted {Count} files left by a previous process")]
    public static partial void LeftoversDeleted(ILogger logger, int count, string directory);
}
