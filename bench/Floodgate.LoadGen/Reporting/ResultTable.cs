using System.Globalization;
using System.Text;
using System.Text.Json;
using Floodgate.LoadGen.Policy;

namespace Floodgate.LoadGen.Reporting;

/// <summary>One measured data point, one JSON line in the run's results file.</summary>
internal sealed record ResultLine(
    string Label,
    string Target,
    int Concurrency,
    int RecipientsPerMessage,
    int Mailboxes,
    DateTimeOffset Finished,
    PolicyLoadResult Result);

internal static class ResultTable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public static void Append(string path, ResultLine line)
    {
        File.AppendAllText(path, JsonSerializer.Serialize(line, Json) + "\n");
    }

    /// <summary>
    /// The Markdown table of a run: every figure beside its ratio to the baseline peer and to
    /// the no-op ceiling at the same concurrency, both measured in the same run.
    /// </summary>
    public static string Markdown(string path, string baseline, string ceiling)
    {
        var lines = File.ReadLines(path)
            .Where(l => !string.IsNullOrWhiteSpace(l))
            .Select(l => JsonSerializer.Deserialize<ResultLine>(l, Json)!)
            .ToList();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| Server | Connections | Requests/s | p50 ms | p99 ms | Peak RSS MiB | Errors | Refused | × {baseline} | × {ceiling} |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var line in lines.OrderBy(l => l.Concurrency).ThenBy(l => Order(l.Label, baseline, ceiling)))
        {
            var r = line.Result;
            var reference = lines.LastOrDefault(l => l.Label == baseline && l.Concurrency == line.Concurrency);
            var top = lines.LastOrDefault(l => l.Label == ceiling && l.Concurrency == line.Concurrency);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {line.Label} | {line.Concurrency} | {r.RequestsPerSecond:N0} | {r.P50Microseconds / 1000:0.000} | {r.P99Microseconds / 1000:0.000} | {(r.PeakRssKilobytes > 0 ? (r.PeakRssKilobytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) : "–")} | {r.Errors} | {r.Refused} | {Ratio(r, reference)} | {Ratio(r, top)} |");
        }

        return text.ToString();
    }

    private static int Order(string label, string baseline, string ceiling) =>
        label == ceiling ? 0 : label == baseline ? 2 : label.StartsWith("floodgate", StringComparison.Ordinal) ? 1 : 3;

    private static string Ratio(PolicyLoadResult result, ResultLine? reference) =>
        reference is null || reference.Result.RequestsPerSecond <= 0
            ? "–"
            : (result.RequestsPerSecond / reference.Result.RequestsPerSecond).ToString("0.00", CultureInfo.InvariantCulture);
}
