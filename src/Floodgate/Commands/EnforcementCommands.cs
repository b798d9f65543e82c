using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Floodgate.Core.Accounts;
using Floodgate.Core.Detection;
using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Enforcement;

namespace Floodgate.Commands;

/// <summary>
/// <c>floodgate incident|task|suspend|lift ...</c>: the human side of enforcement over
/// <see cref="EnforcementStore"/>. Every change is audited as <c>cli:&lt;unix user&gt;</c> and a running server is told.
/// </summary>
internal static class EnforcementCommands
{
    public static IReadOnlyList<Command> Create(CliOptions options) =>
    [
        IncidentCommand(options),
        TaskCommand(options),
        SuspensionCommand(options, "suspend", "Suspend a mailbox, domain or client by hand (no incident is opened)", lift: false),
        SuspensionCommand(options, "lift", "Lift a suspension by hand (a client's termination too, audited as such)", lift: true),
    ];

    // ---- incident

    private static Command IncidentCommand(CliOptions options)
    {
        var incident = new Command("incident", "Incidents: one per offense, from the call to the client's report to reinstatement");

        var state = new Option<IncidentState?>("--state") { Description = "Only incidents in this state: Open, Contacted, ReportSubmitted, ReportReturned, ReportAccepted, Reinstated, Closed" };
        var client = new Option<string?>("--client") { Description = "Only this client's incidents (id or name)" };
        var open = new Option<bool>("--open") { Description = "Only incidents still open (not reinstated or closed)" };
        var list = new Command("list", "List incidents, newest first") { state, client, open };
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            int? clientId = cli.Get(client) is { } c ? await cli.Store.ResolveClientIdAsync(c, ct) : null;
            var incidents = await cli.Enforcement.ListIncidentsAsync(new IncidentQuery(cli.Get(state), clientId, cli.Get(open)), ct);
            if (cli.Json)
                cli.WriteJson(incidents);
            else
                Table.Write(cli.Out, ["ID", "OPENED", "CLIENT", "MAILBOX", "STEP", "STATE", "CALL"],
                    incidents.Select(i => new[]
                    {
                        Id(i.Id), Format.Time(i.OpenedAt), i.ClientName, i.MailboxAddress, StepWords(i.Step),
                        IncidentTransitions.Words(i.State), i.ContactOverdue ? "OVERDUE" : "",
                    }));
        }));

        var show = new Command("show", "Show an incident: offense, signals, evidence, suspensions, calls and timeline") { IdArgument() };
        show.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var d = await cli.Enforcement.GetIncidentAsync(IncidentId(cli), ct);
            if (cli.Json)
            {
                cli.WriteJson(d);
                return;
            }

            WriteIncident(cli.Out, d);
        }));

        var mechanism = new Option<string?>("--mechanism") { Description = "What sent the mass mailing: a virus, a program, a person" };
        var steps = new Option<string?>("--steps") { Description = "Steps taken to stop it and prevent more" };
        var policy = new Option<string?>("--policy") { Description = "The client's own mass-mailing policy and how it applies it" };
        var fromFile = new Option<string?>("--from-file") { Description = "JSON file { \"mechanism\": ..., \"stepsTaken\": ..., \"clientPolicy\": ... }" };
        var report = new Command("report", "Submit the client's report (all three parts are required)") { IdArgument(), mechanism, steps, policy, fromFile };
        report.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            IncidentReport parts;
            if (cli.Get(fromFile) is { } path)
            {
                if (cli.Get(mechanism) is not null || cli.Get(steps) is not null || cli.Get(policy) is not null)
                    throw new CliException("Use either --from-file or --mechanism/--steps/--policy, not both.");
                parts = ReadReport(path);
            }
            else
            {
                parts = new IncidentReport(cli.Get(mechanism) ?? "", cli.Get(steps) ?? "", cli.Get(policy) ?? "");
            }

            var i = await cli.Enforcement.SubmitReportAsync(IncidentId(cli), parts, CliContext.Actor, ct);
            Done(cli, i, $"Report submitted for incident {Id(i.Id)}; it awaits review.");
        }));

        var returnNote = new Option<string>("--note") { Description = "What the report is missing (the client sees it)", Required = true };
        var returnCommand = new Command("return", "Send the report back for more") { IdArgument(), returnNote };
        returnCommand.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var i = await cli.Enforcement.ReturnReportAsync(IncidentId(cli), cli.Get(returnNote)!, CliContext.Actor, ct);
            Done(cli, i, $"Report of incident {Id(i.Id)} returned.");
        }));

        var acceptNote = new Option<string?>("--note") { Description = "Review note" };
        var accept = new Command("accept", "Accept the report: the incident may then be reinstated") { IdArgument(), acceptNote };
        accept.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var i = await cli.Enforcement.AcceptReportAsync(IncidentId(cli), cli.Get(acceptNote), CliContext.Actor, ct);
            Done(cli, i, $"Report of incident {Id(i.Id)} accepted; \"floodgate incident reinstate {Id(i.Id)}\" lifts the suspension.");
        }));

        var newPassword = new Option<string[]>("--new-password")
        {
            Description = "A new password for a mailbox the offense named: ADDRESS=PASSWORD, or only PASSWORD when it named one (repeat per mailbox; visible in the process list: prefer --new-password-stdin)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var newPasswordStdin = new Option<bool>("--new-password-stdin") { Description = "Read the new passwords from standard input, one a line, in the same forms as --new-password" };
        var overrideReason = new Option<string?>("--override") { Description = "Reinstate without new passwords; the reason is audited as an override" };
        var reinstate = new Command("reinstate", "Lift the incident's suspension (only after the report was accepted; never a termination); each mailbox the offense named needs a new password")
        {
            IdArgument(), newPassword, newPasswordStdin, overrideReason,
        };
        reinstate.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var id = IncidentId(cli);
            var given = new List<string>(cli.Get(newPassword) ?? []);
            if (cli.Get(newPasswordStdin))
            {
                var stdin = cli.Options.Stdin();
                while (stdin.ReadLine() is { Length: > 0 } line)
                    given.Add(line);
                if (given.Count == 0)
                    throw new CliException("--new-password-stdin: standard input is empty.");
            }

            var passwords = given.Count == 0 ? null : AssignPasswords(given, await cli.Enforcement.ListNamedMailboxesAsync(id, ct));
            var i = await cli.Enforcement.ReinstateAsync(id, new Reinstatement(passwords, cli.Get(overrideReason)), CliContext.Actor, ct);
            Done(cli, i, passwords is null
                ? $"Incident {Id(i.Id)} reinstated: the suspension is lifted."
                : $"Incident {Id(i.Id)} reinstated: the suspension is lifted and {Id(passwords.Count)} mailbox(es) have a new password; sessions logged in with the old one cannot send.");
        }));

        var closeNote = new Option<string>("--note") { Description = "Why it is closed", Required = true };
        var close = new Command("close", "Close the incident; a suspension stays as it is") { IdArgument(), closeNote };
        close.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var i = await cli.Enforcement.CloseAsync(IncidentId(cli), cli.Get(closeNote)!, CliContext.Actor, ct);
            Done(cli, i, $"Incident {Id(i.Id)} closed.");
        }));

        var csv = new Option<bool>("--csv") { Description = "CSV, one line per message and a total line" };
        var text = new Option<bool>("--text") { Description = "A plain-text statement (the default)" };
        var output = new Option<string?>("--output") { Description = "Write to this file instead of standard output" };
        var damages = new Command("damages", "The damages statement: each recipient of a relayed message is one piece") { IdArgument(), csv, text, output };
        damages.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            if (cli.Get(csv) && cli.Get(text))
                throw new CliException("Use either --csv or --text, not both.");
            var statement = await cli.Enforcement.GetDamagesAsync(IncidentId(cli), ct);
            var body = cli.Json ? JsonSerializer.Serialize(statement, CliContext.JsonOptions) + Environment.NewLine
                : cli.Get(csv) ? statement.ToCsv()
                : statement.ToText();
            if (cli.Get(output) is { } path)
            {
                await File.WriteAllTextAsync(path, body, ct);
                if (!cli.Json)
                    cli.Out.WriteLine($"Wrote the statement of incident {Id(statement.IncidentId)} to {path}: {statement.Pieces} pieces, {statement.Total.ToString("0.00", CultureInfo.InvariantCulture)} {statement.Currency}.");
            }
            else
            {
                cli.Out.Write(body);
            }
        }));

        foreach (var command in new[] { list, show, report, returnCommand, accept, reinstate, close, damages })
            incident.Subcommands.Add(command);
        return incident;
    }

    // ---- task

    private static Command TaskCommand(CliOptions options)
    {
        var task = new Command("task", "Contact tasks: calls to the client's primary contact, due within the SLA of the suspension");

        var all = new Option<bool>("--all") { Description = "Done tasks too" };
        var overdue = new Option<bool>("--overdue") { Description = "Only tasks past due and not done" };
        var list = new Command("list", "List contact tasks by due time (open ones unless --all)") { all, overdue };
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var tasks = await cli.Enforcement.ListContactTasksAsync(openOnly: !cli.Get(all), ct);
            if (cli.Get(overdue))
                tasks = tasks.Where(t => t.IsOverdue).ToList();
            if (cli.Json)
                cli.WriteJson(tasks);
            else
                Table.Write(cli.Out, ["ID", "INCIDENT", "DUE", "CLIENT", "CONTACT", "PHONE", "CALLS", "STATUS"],
                    tasks.Select(t => new[]
                    {
                        Id(t.Id), Id(t.IncidentId), Format.Time(t.DueAt), t.ClientName, t.ContactName, t.ContactPhone,
                        Id(t.Attempts.Count), TaskStatus(t),
                    }));
        }));

        var id = new Argument<long>("id") { Description = "Contact task id" };
        var outcome = new Option<string>("--outcome") { Description = "How the call went", Required = true };
        outcome.AcceptOnlyFromAmong("reached", "left-message", "no-answer", "wrong-number");
        var notes = new Option<string?>("--notes") { Description = "What was said or agreed" };
        var call = new Command("call", "Record a call; reached or left-message completes the task") { id, outcome, notes };
        call.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var result = await cli.Enforcement.RecordContactAsync(cli.Get(id), ParseOutcome(cli.Get(outcome)!), cli.Get(notes), CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(result);
            else
                cli.Out.WriteLine(result.DoneAt is null
                    ? $"Call recorded; contact task {Id(result.Id)} stays open{(result.IsOverdue ? " and is OVERDUE" : $" (due {Format.Time(result.DueAt)})")}."
                    : $"Call recorded; contact task {Id(result.Id)} is done.");
        }));

        task.Subcommands.Add(list);
        task.Subcommands.Add(call);
        return task;
    }

    // ---- suspend / lift

    private static Command SuspensionCommand(CliOptions options, string name, string description, bool lift)
    {
        var command = new Command(name, description);
        foreach (var (kind, scope) in new[] { ("mailbox", AccountScope.Mailbox), ("domain", AccountScope.Domain), ("client", AccountScope.Client) })
        {
            var which = new Argument<string>(kind) { Description = $"The {kind} (id or {(kind == "mailbox" ? "address" : "name")})" };
            var reason = new Option<string>("--reason") { Description = lift ? "Why it may send again" : "Why (shown to the sender)", Required = true };
            var sub = new Command(kind, $"{(lift ? "Lift the suspension of" : "Suspend")} a {kind}") { which, reason };
            sub.SetAction(CliContext.RunChange(options, async (cli, ct) =>
            {
                var text = cli.Get(which);
                var id = scope switch
                {
                    AccountScope.Mailbox => await cli.Store.ResolveMailboxIdAsync(text, ct),
                    AccountScope.Domain => await cli.Store.ResolveDomainIdAsync(text, ct),
                    _ => await cli.Store.ResolveClientIdAsync(text, ct),
                };
                var change = lift
                    ? await cli.Enforcement.LiftAsync(scope, id, cli.Get(reason)!, CliContext.Actor, ct)
                    : await cli.Enforcement.SuspendAsync(scope, id, cli.Get(reason)!, CliContext.Actor, ct);
                if (cli.Json)
                    cli.WriteJson(change);
                else if (lift && change.From == AccountStatus.Terminated)
                    cli.Out.WriteLine($"WARNING: the termination of client {change.TargetName} was lifted by hand; this is audited. It is active again.");
                else
                    cli.Out.WriteLine($"The {kind} {change.TargetName} is {change.To.ToString().ToLowerInvariant()} (was {change.From.ToString().ToLowerInvariant()}).");
            }));
            command.Subcommands.Add(sub);
        }

        return command;
    }

    // ---- printing

    private static void WriteIncident(TextWriter output, IncidentDetail d)
    {
        var i = d.Incident;
        var o = d.Offense;
        Table.WriteFields(output,
        [
            ("Incident", Id(i.Id)),
            ("State", IncidentTransitions.Words(i.State)),
            ("Client", $"{d.ClientName} (id {i.ClientId})"),
            ("Step", Ladder.Describe(i.Step)),
            ("Mailbox", $"{o.MailboxAddress} (id {o.MailboxId})"),
            ("Offense", $"{Id(o.Id)} at {Format.Time(o.At)} by the {o.Source}, score {o.Score.ToString("0.##", CultureInfo.InvariantCulture)}"),
            ("Reason", o.Reason),
            ("Opened", Format.Time(i.OpenedAt)),
            ("Closed", i.ClosedAt is { } closed ? $"{Format.Time(closed)} by {i.ClosedBy}: {i.CloseNote}" : null),
            ("Reinstated", i.ReinstatedAt is { } r ? $"{Format.Time(r)} by {i.ReinstatedBy}" : null),
        ]);

        Section(output, "Signals");
        Table.Write(output, ["RULE", "SCORE", "MODE", "EXPLANATION"],
            o.Signals.Select(s => new[] { s.Rule, s.Score.ToString("0.##", CultureInfo.InvariantCulture), s.Mode.ToString(), s.Explanation }));

        Section(output, "Evidence");
        Table.Write(output, ["TIME", "RECIPIENTS", "EXTERNAL", "SIMILARITY", "MATCH", "OUTCOME", "MESSAGE-ID"],
            o.Evidence.OrderBy(e => e.At).Select(e => new[]
            {
                Format.Time(e.At), Id(e.Recipients), Id(e.External), e.Similarity.ToString("0.00", CultureInfo.InvariantCulture),
                e.Match ?? "similar",
                e.Outcome.ToString().ToLowerInvariant(), e.MessageId ?? "(none)",
            }));

        Section(output, "Suspensions");
        Table.Write(output, ["ID", "SCOPE", "TARGET", "STATUS", "STARTED", "LIFTED"],
            d.Suspensions.Select(s => new[]
            {
                Id(s.Id), s.Scope.ToString().ToLowerInvariant(), s.TargetName, s.Status.ToString(), Format.Time(s.StartedAt),
                s.LiftedAt is { } l ? $"{Format.Time(l)} by {s.LiftedBy}: {s.LiftReason}" : "",
            }));

        Section(output, "Contact tasks");
        Table.Write(output, ["ID", "CONTACT", "PHONE", "E-MAIL", "DUE", "CALLS", "STATUS"],
            d.ContactTasks.Select(t => new[] { Id(t.Id), t.ContactName, t.ContactPhone, t.ContactEmail, Format.Time(t.DueAt), Id(t.Attempts.Count), TaskStatus(t) }));

        if (i.Report is { } report)
        {
            Section(output, $"Report (submitted {Format.Time(i.ReportSubmittedAt!.Value)} by {i.ReportSubmittedBy})");
            Table.WriteFields(output, [("Mechanism", report.Mechanism), ("Steps taken", report.StepsTaken), ("Client policy", report.ClientPolicy)]);
            if (i.ReviewedAt is { } reviewed)
                output.WriteLine($"Last review {Format.Time(reviewed)} by {i.ReviewedBy}{(i.ReviewNote is null ? "" : ": " + i.ReviewNote)}");
        }

        Section(output, "Timeline");
        Table.Write(output, ["TIME", "WHO", "WHAT"], d.Timeline.Select(e => new[] { Format.Time(e.At), e.Actor ?? "", e.What }));
    }

    private static void Section(TextWriter output, string title)
    {
        output.WriteLine();
        output.WriteLine(title);
    }

    private static string TaskStatus(ContactTaskView t) =>
        t.DoneAt is { } done ? $"done {Format.Time(done)} ({OutcomeWords(t.Outcome)})"
        : t.IsOverdue ? "OVERDUE"
        : "open";

    private static string OutcomeWords(ContactOutcome? outcome) => outcome switch
    {
        ContactOutcome.Reached => "reached",
        ContactOutcome.LeftMessage => "left a message",
        ContactOutcome.NoAnswer => "no answer",
        ContactOutcome.WrongNumber => "wrong number",
        _ => "",
    };

    private static string StepWords(LadderStep step) => step switch
    {
        LadderStep.SuspendMailbox => "mailbox",
        LadderStep.SuspendDomain => "domain",
        _ => "terminate",
    };

    private static ContactOutcome ParseOutcome(string text) => text switch
    {
        "reached" => ContactOutcome.Reached,
        "left-message" => ContactOutcome.LeftMessage,
        "no-answer" => ContactOutcome.NoAnswer,
        "wrong-number" => ContactOutcome.WrongNumber,
        _ => throw new CliException($"Unknown outcome \"{text}\"."),
    };

    private static IncidentReport ReadReport(string path)
    {
        if (!File.Exists(path))
            throw new CliException($"The file {path} does not exist.");
        try
        {
            return JsonSerializer.Deserialize<IncidentReport>(File.ReadAllText(path), CliContext.JsonOptions)
                ?? throw new CliException($"The file {path} holds no report.");
        }
        catch (JsonException ex)
        {
            throw new CliException($"The file {path} is not a report: {ex.Message}");
        }
    }

    private static void Done(CliContext cli, IncidentRecord incident, string message)
    {
        if (cli.Json)
            cli.WriteJson(new { incident.Id, incident.State });
        else
            cli.Out.WriteLine(message);
    }

    /// <summary>"address=password" for a named mailbox, or a bare password when the offense named one mailbox with a password (or only one).</summary>
    private static Dictionary<int, string> AssignPasswords(List<string> given, IReadOnlyList<NamedMailbox> named)
    {
        var result = new Dictionary<int, string>();
        var sole = named.Count(m => m.HasPassword) == 1 ? named.First(m => m.HasPassword) : named.Count == 1 ? named[0] : null;
        foreach (var value in given)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            var byAddress = equals > 0 ? named.FirstOrDefault(m => string.Equals(m.Address, value[..equals].Trim(), StringComparison.OrdinalIgnoreCase)) : null;

            // An address the offense did not name is a mistake to report, not part of a bare password to set.
            if (byAddress is null && equals > 0 && value[..equals].Contains('@', StringComparison.Ordinal))
                throw new CliException($"{value[..equals].Trim()} is not a mailbox the offense named ({string.Join(", ", named.Select(m => m.Address))}); a password that itself holds '=' after an '@' is given as ADDRESS=PASSWORD.");
            var (mailbox, password) = byAddress is not null ? (byAddress, value[(equals + 1)..])
                : sole is not null ? (sole, value)
                : throw new CliException($"The offense named {named.Count} mailboxes ({string.Join(", ", named.Select(m => m.Address))}): give each new password as ADDRESS=PASSWORD.");
            if (!result.TryAdd(mailbox.Id, password))
                throw new CliException($"Two new passwords for {mailbox.Address}.");
        }

        return result;
    }

    private static Argument<long> IdArgument() => new("id") { Description = "Incident id" };

    private static long IncidentId(CliContext cli) => cli.ParseResult.GetValue<long>("id");

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
