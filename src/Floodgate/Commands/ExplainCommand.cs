using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Floodgate.Core.Enforcement;

namespace Floodgate.Commands;

/// <summary>`floodgate explain MAILBOX`: its status, windows, detector memory and ladder, from the running server.</summary>
internal static class ExplainCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create(CliOptions cli)
    {
        var mailbox = new Argument<string>("mailbox") { Description = "The mailbox address" };
        var command = new Command("explain", "Why a mailbox stands where it stands: status, windows, recent bulk messages and their similarity, the ladder") { mailbox };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var data = parseResult.GetValue(cli.Data) ?? "./data";
            var address = parseResult.GetValue(mailbox)!.Trim();
            var answer = await ServerNotifier.GetAsync(data, "internal/explain/" + Uri.EscapeDataString(address), cancellationToken);
            if (answer is null)
            {
                await error.WriteLineAsync($"error: no running server found for data folder {data}: the windows and the detector's memory live in `floodgate serve`; start it, or see `floodgate mailbox show` and `floodgate log --mailbox {address}`");
                return 1;
            }

            if (answer.Value.Status == 404)
            {
                await error.WriteLineAsync($"error: no mailbox {address}");
                return 3;
            }

            if (answer.Value.Status != 200)
            {
                await error.WriteLineAsync($"error: the server answered {answer.Value.Status}");
                return 1;
            }

            if (parseResult.GetValue(cli.Json))
            {
                await output.WriteLineAsync(answer.Value.Body);
                return 0;
            }

            var r = JsonSerializer.Deserialize<ExplainReport>(answer.Value.Body, Json)!;
            await output.WriteLineAsync($"{r.Mailbox}: {(r.MaySend ? "may send" : "may NOT send")}");
            foreach (var s in r.Statuses)
            {
                await output.WriteLineAsync($"  {s.Scope,-8} {s.Name,-30} {s.Status}{(s.Reason is null ? string.Empty : " — " + s.Reason)}");
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Windows (cap {r.RecipientCap} recipients per message):"));
            foreach (var w in r.Windows)
            {
                var bar = w.Limit > 0 ? new string('#', Math.Min(20, (int)(20.0 * w.Used / w.Limit))).PadRight(20, '.') : "";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {w.Scope,-8} {w.Measure,-38} {w.Used,8} / {w.Limit,-8} [{bar}]"));
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Usual hour: {r.UsualHourExternal:0.#} external recipients"));
            await output.WriteLineAsync($"Recent bulk messages (newest first; similarity to the newest):");
            foreach (var m in r.RecentBulkMessages)
            {
                var payload = m.PayloadKinds is { Count: > 0 } kinds ? " payload " + string.Join(",", kinds) : "";
                var hidden = m.HiddenWords > 0 ? string.Create(CultureInfo.InvariantCulture, $" hidden {m.HiddenWords} words") : "";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {m.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {m.Recipients,4} rcpt ({m.External} ext)  {m.Outcome,-8} sim {m.SimilarityToNewest:0.00} anchors {m.SharedAnchorsWithNewest,2}{hidden}{payload}  {m.MessageId}"));
            }

            if (r.Recipients is { } rc)
            {
                await output.WriteLineAsync();
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Recipients: {rc.FirstContactsLastHour} first contacts of {rc.ExternalLastHour} external recipients in the last hour; usual {rc.UsualFirstContactsPerHour:0.#} an hour; memory {rc.MemoryBytes} B{(rc.Learning ? $", still learning (since {rc.LearningSince:yyyy-MM-dd HH:mm} UTC): bursts not judged yet" : "")}"));
            }

            if (r.Compromise is { } cw)
            {
                await output.WriteLineAsync();
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Unknown recipients in the last hour: {cw.InvalidRecipientsLastHour} ({cw.AtUpstream} by the upstream, {cw.InBounces} in bounces){(cw.RecentInvalidRecipients.Count > 0 ? "; latest " + string.Join(", ", cw.RecentInvalidRecipients) : "")}"));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Login networks in the last day: {cw.NetworksLastDay.Count} ({string.Join(", ", cw.NetworksLastDay.Select(n => n.Network))}){(cw.NewNetwork is { } fresh ? $"; last new network {fresh} at {cw.NewNetworkAt:yyyy-MM-dd HH:mm} UTC" : "")}"));
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync($"Offenses of the client in the look-back: {r.OffensesInLookBack}; the next one: {r.NextOffenseStep}");
            await output.WriteLineAsync("Rules:");
            foreach (var t in r.Thresholds)
            {
                await output.WriteLineAsync("  " + t);
            }

            return 0;
        });
        return command;
    }
}
