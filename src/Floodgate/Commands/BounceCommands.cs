using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Floodgate.Core.Bounces;

namespace Floodgate.Commands;

/// <summary><c>floodgate bounce classify FILE...</c>: one JSON line per failed recipient; nothing for a message that is not a bounce.</summary>
internal static class BounceCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Addresses may be UTF-8 (RFC 6531); the lines are for programs and terminals, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IEnumerable<Command> Create(CliOptions cli)
    {
        var files = new Argument<string[]>("file") { Description = "Messages to classify (RFC 5322 files, e.g. .eml)", Arity = ArgumentArity.OneOrMore };
        var classify = new Command("classify", "Classify bounces: per failed recipient, its status, reason (Sisimai's names) and whether it is hard") { files };
        classify.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var exit = 0;
            foreach (var file in parseResult.GetValue(files) ?? [])
            {
                byte[] bytes;
                try
                {
                    bytes = await File.ReadAllBytesAsync(file, cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    await error.WriteLineAsync($"error: {file}: {e.Message}");
                    exit = 1;
                    continue;
                }

                if (!BounceClassifier.TryClassify(bytes, out var report))
                {
                    await error.WriteLineAsync($"error: {file}: {report.Error}");
                    exit = 1;
                    continue;
                }

                if (report.Recipients.Count == 0 && report.Error is not null)
                    await error.WriteLineAsync($"warning: {file}: {report.Error}");
                foreach (var r in report.Recipients)
                {
                    var line = new BounceLine(file, r.Recipient, r.Status, r.Reason.Name(), r.Hard, r.FeedbackType);
                    await output.WriteLineAsync(JsonSerializer.Serialize(line, Json));
                }
            }

            return exit;
        });

        var bounce = new Command("bounce", "Bounces: classify delivery failure reports and complaints, or record them for the lists") { classify, ListCommands.Ingest(cli) };
        return [bounce];
    }

    private sealed record BounceLine(
        [property: JsonPropertyName("file")] string File,
        [property: JsonPropertyName("recipient")] string Recipient,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("reason")] string Reason,
        [property: JsonPropertyName("hard")] bool Hard,
        [property: JsonPropertyName("feedbacktype")] string? FeedbackType);
}
