using System.Text.Json;
using Floodgate.Storage.Audit;

namespace Floodgate.Storage.Enforcement;

/// <summary>Audit rows as the words an incident's timeline shows.</summary>
internal static class Timeline
{
    public static string Describe(AuditEntry entry)
    {
        using var details = JsonDocument.Parse(entry.Details ?? "{}");
        var d = details.RootElement;
        string Get(string name) => d.ValueKind == JsonValueKind.Object && d.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ToString()
            : "";
        string Inner(string name) => d.ValueKind == JsonValueKind.Object && d.TryGetProperty("details", out var inner)
            && inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ToString()
            : "";
        static string With(string text, string note) => note.Length == 0 ? text : $"{text}: {note}";

        return entry.Action switch
        {
            "offense.record" => $"offense recorded: {Get("step")}",
            "suspension.start" => $"{Get("scope").ToLowerInvariant()} {Get("name")} {Get("status").ToLowerInvariant()}" + (Get("statusChanged") == "False" ? " (it already was)" : ""),
            "suspension.lift" => With($"suspension of {Get("scope").ToLowerInvariant()} {Get("name")} lifted", Get("reason")),
            "incident.open" => "incident opened",
            "contact-task.open" => $"contact task {entry.TargetId} opened: call {Get("contact")} at {Get("phone")}",
            "contact-task.call" => With($"call: {Get("outcome")}", Get("notes")),
            "incident.contact" => "contact made",
            "incident.report-submit" => "report submitted",
            "incident.report-return" => With("report returned", Inner("note")),
            "incident.report-accept" => With("report accepted", Inner("note")),
            "incident.reinstate" => With("reinstated", Addresses(d, "newPasswords") is { Length: > 0 } reset ? "new password for " + reset : ""),
            "incident.reinstate-override" => With("reinstated without new passwords (override)", Get("reason")),
            "incident.close" => With("incident closed", Inner("note")),
            _ => $"{entry.Action} ({entry.TargetKind} {entry.TargetId})",
        };
    }

    /// <summary>The strings of an array under details.<paramref name="name"/>, comma-separated.</summary>
    private static string Addresses(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("details", out var inner) && inner.ValueKind == JsonValueKind.Object
        && inner.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? string.Join(", ", list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()))
            : "";
}
