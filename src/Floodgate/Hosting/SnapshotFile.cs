using Floodgate.Core.Detection;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// A piece of the detector's memory on disk: the recipient memory (data/recipients.bin), the login
/// networks (data/networks.bin). Read at start, written every <see cref="Interval"/> and at stop,
/// through a temporary file and a rename so a crash leaves the previous snapshot whole. A kill -9 loses
/// at most one interval of learning: those recipients look new once more, which only makes a burst look
/// larger than it is for them, and those networks are new once more to a mailbox.
/// </summary>
/// <param name="what">What the file holds, for the log: "Recipient memory", "Login networks".</param>
internal sealed partial class SnapshotFile(string path, string what, Func<Stream, int> read, Action<Stream> write, ILogger logger) : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private Task? _loop;

    public int Load()
    {
        try
        {
            using var stream = File.OpenRead(path);
            var count = read(stream);
            LogLoaded(logger, what, count, path);
            return count;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or UnauthorizedAccessException or InvalidDataException)
        {
            // A damaged snapshot costs the learning period, never the start.
            LogUnreadable(logger, what, path, e.Message);
            return 0;
        }
    }

    public void Start() => _loop = Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await SaveAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    });

    public async Task SaveAsync()
    {
        await _writing.WaitAsync();
        try
        {
            var temporary = path + ".tmp";
            await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException e)
        {
            LogUnwritable(logger, what, path, e.Message);
        }
        finally
        {
            _writing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        await SaveAsync();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{What} of {Mailboxes} mailboxes read from {Path}")]
    private static partial void LogLoaded(ILogger logger, string what, int mailboxes, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} at {Path} could not be read ({Error}); it learns again")]
    private static partial void LogUnreadable(ILogger logger, string what, string path, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} could not be written to {Path}: {Error}")]
    private static partial void LogUnwritable(ILogger logger, string what, string path, string error);
}
