using System.CommandLine;
using System.Globalization;
using Floodgate.Core.Accounts;

namespace Floodgate.Commands;

/// <summary><c>floodgate plan add|list|set|assign</c>.</summary>
internal static class PlanCommands
{
    private static readonly Dictionary<string, Action<PlanLimits, int>> PlanKeys = new(StringComparer.Ordinal)
    {
        ["maxrecipients"] = (l, v) => l.MaxRecipientsPerMessage = v,
        ["maxrecipientspermessage"] = (l, v) => l.MaxRecipientsPerMessage = v,
        ["maxsize"] = (l, v) => l.MaxMessageSizeBytes = v,
        ["maxmessagesizebytes"] = (l, v) => l.MaxMessageSizeBytes = v,
    };

    private static readonly Dictionary<string, Action<ScopeLimits, int>> ScopeKeys = new(StringComparer.Ordinal)
    {
        ["messagesperhour"] = (s, v) => s.MessagesPerHour = v,
        ["externalperhour"] = (s, v) => s.ExternalRecipientsPerHour = v,
        ["externalrecipientsperhour"] = (s, v) => s.ExternalRecipientsPerHour = v,
        ["externalperday"] = (s, v) => s.ExternalRecipientsPerDay = v,
        ["externalrecipientsperday"] = (s, v) => s.ExternalRecipientsPerDay = v,
        ["internalperhour"] = (s, v) => s.InternalRecipientsPerHour = v,
        ["internalrecipientsperhour"] = (s, v) => s.InternalRecipientsPerHour = v,
        ["internalperday"] = (s, v) => s.InternalRecipientsPerDay = v,
        ["internalrecipientsperday"] = (s, v) => s.InternalRecipientsPerDay = v,
    };

    public static Command Create(CliOptions options)
    {
        var plan = new Command("plan", "Plans: named sets of limits, assigned to clients");

        Option<string[]> LimitOption() => new("--limit")
        {
            Description = "A limit as key=value, repeatable: max-recipients, max-size (bytes), or <mailbox|domain|client>."
                + "<messages-per-hour|external-per-hour|external-per-day|internal-per-hour|internal-per-day>",
            AllowMultipleArgumentsPerToken = false,
        };

        var name = new Argument<string>("name") { Description = "Plan name (unique)" };
        var maxRecipients = new Option<int?>("--max-recipients") { Description = "Recipients per message (default 200)" };
        var addLimits = LimitOption();
        var add = new Command("add", "Add a plan; unset limits take the built-in defaults") { name, maxRecipients, addLimits };
        add.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var limits = new PlanLimits();
            if (cli.Get(maxRecipients) is { } max)
                limits.MaxRecipientsPerMessage = max;
            Apply(limits, cli.Get(addLimits) ?? []);
            var created = await cli.Store.AddPlanAsync(cli.Get(name), limits, CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(PlanView.From(created));
            else
                cli.Out.WriteLine($"Added plan {created.Name} (id {created.Id}).");
        }));

        var which = new Argument<string>("plan") { Description = "Plan id or name" };
        var setLimits = LimitOption();
        var set = new Command("set", "Change limits of a plan") { which, setLimits };
        set.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var id = await cli.Store.ResolvePlanIdAsync(cli.Get(which), ct);
            var limits = (await cli.Store.ListPlansAsync(ct)).Single(p => p.Id == id).Limits;
            var changes = cli.Get(setLimits) ?? [];
            if (changes.Length == 0)
                throw new CliException("Nothing to change: give one or more --limit key=value.");
            Apply(limits, changes);
            await cli.Store.UpdatePlanLimitsAsync(id, limits, CliContext.Actor, ct);
            if (!cli.Json)
                cli.Out.WriteLine($"Plan {cli.Get(which)} changed.");
        }));

        var list = new Command("list", "List plans and their limits");
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var plans = await cli.Store.ListPlansAsync(ct);
            if (cli.Json)
            {
                cli.WriteJson(plans.Select(PlanView.From));
                return;
            }

            Table.Write(cli.Out, ["ID", "NAME", "RCPT/MSG", "MAX SIZE", "SCOPE", "MSG/H", "EXT/H", "EXT/D", "INT/H", "INT/D"],
                plans.SelectMany(p => new[] { ("mailbox", p.Limits.Mailbox), ("domain", p.Limits.Domain), ("client", p.Limits.Client) }
                    .Select((s, i) => new[]
                    {
                        i == 0 ? AccountCommands.Id(p.Id) : "",
                        i == 0 ? p.Name : "",
                        i == 0 ? Format.Number(p.Limits.MaxRecipientsPerMessage) : "",
                        i == 0 ? Format.Number(p.Limits.MaxMessageSizeBytes) : "",
                        s.Item1,
                        Format.Number(s.Item2.MessagesPerHour),
                        Format.Number(s.Item2.ExternalRecipientsPerHour),
                        Format.Number(s.Item2.ExternalRecipientsPerDay),
                        Format.Number(s.Item2.InternalRecipientsPerHour),
                        Format.Number(s.Item2.InternalRecipientsPerDay),
                    })));
        }));

        var client = new Argument<string>("client") { Description = "Client id or name" };
        var planName = new Argument<string>("plan") { Description = "Plan id or name" };
        var assign = new Command("assign", "Assign a plan to a client") { client, planName };
        assign.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var clientId = await cli.Store.ResolveClientIdAsync(cli.Get(client), ct);
            var planId = await cli.Store.ResolvePlanIdAsync(cli.Get(planName), ct);
            await cli.Store.AssignPlanAsync(clientId, planId, CliContext.Actor, ct);
            if (!cli.Json)
                cli.Out.WriteLine($"Client {cli.Get(client)} now has plan {cli.Get(planName)}.");
        }));

        plan.Subcommands.Add(add);
        plan.Subcommands.Add(list);
        plan.Subcommands.Add(set);
        plan.Subcommands.Add(assign);
        return plan;
    }

    /// <summary>Applies "key=value" settings; keys ignore case, '-' and '_'.</summary>
    internal static void Apply(PlanLimits limits, IEnumerable<string> settings)
    {
        foreach (var setting in settings)
        {
            var eq = setting.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(setting.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                throw new CliException($"--limit {setting}: expected key=value with a whole number, e.g. mailbox.external-per-day=3000.");
            var key = setting[..eq].Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
            var dot = key.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 && PlanKeys.TryGetValue(key, out var setPlan))
            {
                setPlan(limits, value);
                continue;
            }

            ScopeLimits? scope = dot < 0 ? null : key[..dot] switch
            {
                "mailbox" => limits.Mailbox,
                "domain" => limits.Domain,
                "client" => limits.Client,
                _ => null,
            };
            if (scope is null || !ScopeKeys.TryGetValue(key[(dot + 1)..], out var setScope))
                throw new CliException($"--limit {setting}: unknown limit \"{setting[..eq]}\". Known: max-recipients, max-size, "
                    + "<mailbox|domain|client>.<messages-per-hour|external-per-hour|external-per-day|internal-per-hour|internal-per-day>.");
            setScope(scope, value);
        }
    }
}
