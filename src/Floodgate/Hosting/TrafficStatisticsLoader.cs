using Floodgate.Core.Transactions;
using Floodgate.Storage.Transactions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Floodgate.Hosting;

/// <summary>
/// Fills the console's traffic statistics from the last 7 days of the transaction log, in the
/// background: the doors open without waiting for it, and live traffic is counted meanwhile (the
/// load reads only rows older than the statistics' <see cref="TrafficStatistics.LiveSince"/>).
/// </summary>
internal sealed partial class TrafficStatisticsLoader(TrafficStatistics statistics, TrafficHistory history, ILogger<TrafficStatisticsLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var started = TimeProvider.System.GetTimestamp();
            var rows = await history.LoadAsync(statistics, stoppingToken);
            LogLoaded(logger, rows, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex.Message);
        }
        finally
        {
            // The console then shows what it has (live traffic only) rather than waiting forever.
            statistics.MarkLoaded();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Console traffic statistics rebuilt from {Rows} transactions of the last 7 days in {Seconds:0.0} s")]
    private static partial void LogLoaded(ILogger logger, int rows, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not rebuild the console's traffic statistics from the transaction log: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
