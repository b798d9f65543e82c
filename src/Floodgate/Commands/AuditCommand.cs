using System.CommandLine;

namespace Floodgate.Commands;

/// <summary><c>floodgate audit</c>: recent changes, newest first.</summary>
internal static class AuditCommand
{
    public static Command Create(CliOptions options)
    {
        var kind = new Option<string?>("--kind") { Description = "Only changes to this kind: client, domain, mailbox, plan" };
        var id = new Option<int?>("--id") { Description = "Only changes to the record with this id (with --kind)" };
        var limit = new Option<int>("--limit") { Description = "At most this many (default 50)", DefaultValueFactory = _ => 50 };
        var audit = new Command("audit", "Recent changes from the audit log") { kind, id, limit };
        audit.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var entries = await cli.Audit.QueryAsync(cli.Get(kind), cli.Get(id), cli.Get(limit), ct);
            if (cli.Json)
                cli.WriteJson(entries);
            else
                Table.Write(cli.Out, ["TIME", "ACTOR", "ACTION", "TARGET", "DETAILS"],
                    entries.Select(e => new[] { Format.Time(e.Time), e.Actor, e.Action, $"{e.TargetKind} {e.TargetId}", e.Details }));
        }));
        return audit;
    }
}
