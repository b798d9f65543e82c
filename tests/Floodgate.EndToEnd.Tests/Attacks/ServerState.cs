using System.Text.Json;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>Accounts set up and state read through the CLI, as an operator does.</summary>
internal static class ServerState
{
    /// <summary>
    /// A client with its own plan (<paramref name="limits"/> as `--limit key=value`), its domains and
    /// mailboxes (password <see cref="Submission.Password"/>), in five CLI runs whatever the count.
    /// </summary>
    /// <param name="limits">Null: the default plan.</param>
    public static async Task AddClientAsync(FloodgateProcess fg, string client, string[]? limits, string[] domains, string[] mailboxes)
    {
        var plan = "default";
        if (limits is not null)
        {
            plan = "plan-" + client.ToLowerInvariant();
            await fg.CliOkAsync(["plan", "add", plan, .. limits.SelectMany(l => new[] { "--limit", l })]);
        }

        await fg.CliOkAsync("client", "add", client, "--contact-name", client + " Contact", "--contact-phone", "+1 555 0100", "--contact-email", "contact@" + domains[0], "--plan", plan);
        await fg.CliOkAsync(["domain", "add", .. domains, "--client", client]);
        var csv = Path.Combine(fg.DataDirectory, client + "-mailboxes.csv");
        await File.WriteAllLinesAsync(csv, ["address,password", .. mailboxes.Select(m => $"{m},{Submission.Password}")]);
        await fg.CliOkAsync("mailbox", "import", csv);
    }

    /// <summary>Every window and its limit large: only what a test sets can stop it.</summary>
    public static string[] Wide(params string[] except)
    {
        var limits = new List<string>();
        foreach (var scope in (string[])["mailbox", "domain", "client"])
        {
            foreach (var window in (string[])["messages-per-hour", "external-per-hour", "external-per-day", "internal-per-hour", "internal-per-day"])
            {
                var key = $"{scope}.{window}";
                if (!except.Any(e => e.StartsWith(key + "=", StringComparison.Ordinal)))
                {
                    limits.Add(key + "=100000000");
                }
            }
        }

        return [.. limits, .. except];
    }

    public static async Task<JsonElement> ExplainAsync(FloodgateProcess fg, string mailbox)
    {
        var (code, output) = await fg.CliAsync("explain", mailbox, "--json");
        Assert.True(code == 0, $"explain {mailbox} exited {code}: {output}");
        using var doc = JsonDocument.Parse(output);
        return doc.RootElement.Clone();
    }

    /// <summary>One window of `explain --json`: (used, limit).</summary>
    public static (int Used, int Limit) Window(JsonElement explain, string scope, string measure)
    {
        foreach (var w in explain.GetProperty("windows").EnumerateArray())
        {
            if (w.GetProperty("scope").GetString() == scope && w.GetProperty("measure").GetString() == measure)
            {
                return (w.GetProperty("used").GetInt32(), w.GetProperty("limit").GetInt32());
            }
        }

        throw new Xunit.Sdk.XunitException($"explain has no {scope} window \"{measure}\": {explain}");
    }

    public const string ExternalLastHour = "external recipients in the last hour";

    public static async Task<JsonElement> ListAsync(FloodgateProcess fg, params string[] command)
    {
        var (code, output) = await fg.CliAsync([.. command, "--json"]);
        Assert.True(code == 0, $"{string.Join(' ', command)} exited {code}: {output}");
        using var doc = JsonDocument.Parse(output);
        return doc.RootElement.Clone();
    }
}
