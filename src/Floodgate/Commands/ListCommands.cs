using System.CommandLine;
using Floodgate.Core.Lists;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Lists;
using Floodgate.Web.Lists;

namespace Floodgate.Commands;

/// <summary>
/// <c>floodgate list ...</c>: hosted mailing lists. The CLI only changes the database: the mail a
/// change calls for (a confirmation, a post's copies) is sent by the running server, which picks up
/// due confirmations and queued posts within seconds.
/// </summary>
internal static class ListCommands
{
    public static Command Create(CliOptions options)
    {
        var command = new Command("list", "Hosted mailing lists: confirmed opt-in members, posts, hygiene");
        var which = new Argument<string>("list") { Description = "List (id or address)" };

        var address = new Argument<string>("address") { Description = "The list's post address, on one of the client's domains (news@lists.example.com)" };
        var client = new Option<string>("--client") { Description = "Client (id or name)", Required = true };
        var name = new Option<string>("--name") { Description = "The list's name, shown in List-Id and in the footer", Required = true };
        var description = new Option<string?>("--description") { Description = "What the list is about" };
        var posters = new Option<string[]>("--poster") { Description = "A mailbox of the client allowed to post (repeat)", AllowMultipleArgumentsPerToken = true };
        var pending = new Option<int?>("--pending-hours") { Description = "Prune requests not confirmed within this many hours (default 168)" };
        var create = new Command("create", "Create a list") { address, client, name, description, posters, pending };
        create.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var clientId = await cli.Store.ResolveClientIdAsync(cli.Get(client)!, ct);
            var list = await cli.Lists.CreateListAsync(clientId, new NewList(cli.Get(address), cli.Get(name)!, cli.Get(description), cli.Get(posters) ?? [], cli.Get(pending)), CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(list);
            else
                cli.Out.WriteLine($"Created list {list.Address} (id {list.Id}).");
        }));

        var clientFilter = new Option<string?>("--client") { Description = "Only this client's lists" };
        var all = new Command("all", "The lists, with their member counts") { clientFilter };
        all.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            int? clientId = cli.Get(clientFilter) is { } c ? await cli.Store.ResolveClientIdAsync(c, ct) : null;
            var lists = await cli.Lists.ListListsAsync(clientId, ct);
            if (cli.Json)
            {
                cli.WriteJson(lists);
                return;
            }

            Table.Write(cli.Out, ["ID", "ADDRESS", "NAME", "STATUS", "CONFIRMED", "PENDING", "DISABLED"],
                lists.Select(l => new[] { AccountCommands.Id(l.Id), l.Address, l.Name, l.Status.ToString(), Format.Number(l.Confirmed), Format.Number(l.Pending), Format.Number(l.Disabled) }));
        }));

        var status = new Option<MemberStatus?>("--status") { Description = "Only members in this state" };
        var limit = new Option<int>("--limit") { Description = "At most this many", DefaultValueFactory = _ => 100 };
        var members = new Command("members", "A list's members and their consent") { which, status, limit };
        members.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var list = await cli.Lists.ResolveListAsync(cli.Get(which)!, ct);
            var page = await cli.Lists.PageMembersAsync(list.Id, cli.Get(status), null, null, cli.Get(limit), ct);
            if (cli.Json)
            {
                cli.WriteJson(page);
                return;
            }

            Table.Write(cli.Out, ["ID", "ADDRESS", "STATUS", "REQUESTED", "HOW", "FROM", "CONFIRMED", "SCORE"],
                page.Items.Select(m => new[]
                {
                    AccountCommands.Id(m.Id), m.Address, m.Status.ToString(), Format.Time(m.RequestedAt), m.RequestMethod, m.RequestFrom,
                    m.ConfirmedAt is { } at ? Format.Time(at) + " (" + m.ConfirmMethod + ")" : null,
                    m.BounceScore.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture),
                }));
        }));

        var member = new Argument<string>("address") { Description = "Member address" };
        var subscribe = new Command("subscribe", "Ask an address to join: it becomes pending and the server sends it a confirmation; it gets no post before it confirms") { which, member };
        subscribe.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var list = await cli.Lists.ResolveListAsync(cli.Get(which)!, ct);
            var result = await cli.Lists.RequestSubscriptionAsync(list.Id, cli.Get(member), new ConsentSource("console", CliContext.Actor, null), ct);
            cli.Out.WriteLine(result.AlreadyConfirmed
                ? $"{result.Member.Address} is a member already."
                : $"{result.Member.Address} is pending; the server sends the confirmation.");
        }));

        var unsubscribe = new Command("unsubscribe", "Unsubscribe a member at once (audited)") { which, member };
        unsubscribe.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var list = await cli.Lists.ResolveListAsync(cli.Get(which)!, ct);
            var removed = await cli.Lists.RemoveMemberAsync(list.Id, cli.Get(member), CliContext.Actor, ct);
            cli.Out.WriteLine($"{removed.Address} is unsubscribed from {list.Address}.");
        }));

        var file = new Argument<string>("file") { Description = "Addresses, one per line (a CSV's first column; '#' starts a comment)" };
        var source = new Option<string>("--source") { Description = "Where the addresses come from, kept in each member's consent record", Required = true };
        var import = new Command("import", "Import addresses as pending members: each is sent a confirmation and gets no post before it confirms") { which, file, source };
        import.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var list = await cli.Lists.ResolveListAsync(cli.Get(which)!, ct);
            string[] lines;
            try
            {
                lines = await File.ReadAllLinesAsync(cli.Get(file), ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"{cli.Get(file)}: {e.Message}");
            }

            var addresses = lines.Select(l => l.Split('#')[0].Split(',')[0].Trim().Trim('"')).Where(l => l.Length > 0 && !l.Equals("address", StringComparison.OrdinalIgnoreCase));
            var result = await cli.Lists.ImportAsync(list.Id, addresses, cli.Get(source)!, CliContext.Actor, ct);
            cli.Out.WriteLine($"{result.Added} added as pending (confirmations to send), {result.AlreadyMembers} already on the list, {result.Invalid.Count} not addresses.");
            foreach (var bad in result.Invalid)
                await cli.Error.WriteLineAsync("  not an address: " + bad);
        }));

        var history = new Command("history", "A member's consent record and history: requests, confirmation, bounces, hygiene") { which, member };
        history.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var list = await cli.Lists.ResolveListAsync(cli.Get(which)!, ct);
            var m = await cli.Lists.FindMemberAsync(list.Id, cli.Get(member), ct) ?? throw new AccountException(AccountError.NotFound, $"{cli.Get(member)} is not a member of {list.Address}.");
            var events = await cli.Lists.MemberHistoryAsync(m.Id, ct);
            if (cli.Json)
            {
                cli.WriteJson(new { member = m, history = events });
                return;
            }

            Table.WriteFields(cli.Out,
            [
                ("Member", m.Address), ("Status", m.Status.ToString()),
                ("Requested", $"{Format.Time(m.RequestedAt)} by {m.RequestMethod} from {m.RequestFrom ?? "?"}{(m.RequestUserAgent is null ? "" : " (" + m.RequestUserAgent + ")")}"),
                ("Confirmed", m.ConfirmedAt is { } c ? $"{Format.Time(c)} by {m.ConfirmMethod} from {m.ConfirmedFrom ?? "?"}" : "no"),
                ("Bounce score", m.BounceScore.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)),
            ]);
            cli.Out.WriteLine();
            Table.Write(cli.Out, ["WHEN", "WHAT", "DETAIL", "BOUNCE"],
                events.Select(e => new[] { Format.Time(e.At), e.Kind, e.Detail, e.BounceMessageId?.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        }));

        var poster = new Option<string>("--from") { Description = "The allowed poster (a mailbox of the client): the copies count in its windows", Required = true };
        var message = new Argument<string>("message") { Description = "The post, an RFC 5322 file (.eml)" };
        var post = new Command("post", "Queue a post for the list's confirmed members; the running server delivers it") { which, poster, message };
        post.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var list = await cli.Lists.ResolveListAsync(cli.Get(which)!, ct);
            var from = cli.Get(poster)!.Trim().ToLowerInvariant();
            if (!list.IsPoster(from))
                throw new AccountException(AccountError.Invalid, $"{from} may not post to {list.Address}.");
            var mailbox = await cli.Store.GetMailboxAsync(await cli.Store.ResolveMailboxIdAsync(from, ct), ct);
            byte[] raw;
            try
            {
                raw = await File.ReadAllBytesAsync(cli.Get(message), ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"{cli.Get(message)}: {e.Message}");
            }

            MimeKit.MimeMessage parsed;
            try
            {
                parsed = MimeKit.MimeMessage.Load(new MemoryStream(raw));
            }
            catch (FormatException e)
            {
                throw new CliException($"{cli.Get(message)}: not a readable message: {e.Message}");
            }

            var queued = await cli.Lists.EnqueuePostAsync(list.Id, mailbox.Id, parsed.Subject ?? "", parsed.MessageId, raw, ct);
            cli.Out.WriteLine($"Post {queued.Id} queued for {list.Address}; the server delivers it to the confirmed members.");
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(all);
        command.Subcommands.Add(members);
        command.Subcommands.Add(subscribe);
        command.Subcommands.Add(unsubscribe);
        command.Subcommands.Add(import);
        command.Subcommands.Add(history);
        command.Subcommands.Add(post);
        return command;
    }

    /// <summary><c>floodgate bounce ingest</c>: records a bounce as the LMTP listener would.</summary>
    public static Command Ingest(CliOptions options)
    {
        var file = new Argument<string?>("file") { Description = "The bounce (RFC 5322); standard input when absent", Arity = ArgumentArity.ZeroOrOne };
        var recipient = new Option<string?>("--recipient") { Description = "The envelope recipient it came to (a list's VERP address names the member)" };
        var ingest = new Command("ingest", "Record a bounce or complaint and apply it to the list member it names") { file, recipient };
        ingest.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            byte[] raw;
            try
            {
                if (cli.Get(file) is { } path)
                {
                    raw = await File.ReadAllBytesAsync(path, ct);
                }
                else
                {
                    using var buffer = new MemoryStream();
                    await using var stdin = options.StdinBytes();
                    await stdin.CopyToAsync(buffer, ct);
                    raw = buffer.ToArray();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(e.Message);
            }

            if (raw.Length == 0)
                throw new CliException("no message: the input is empty");
            var tokens = new ListTokens(await cli.Lists.GetOrCreateSigningKeyAsync("lists", ct));
            var outcome = await new BounceInbox(cli.Lists, tokens, options.Time, cli.Complaints).IngestAsync(raw, "cli", cli.Get(recipient), ct);
            if (outcome.Complaint?.Error is { } error)
                throw new CliException($"{error}; the message is kept as bounce {outcome.BounceMessageId}, no complaint was recorded");
            if (cli.Json)
            {
                cli.WriteJson(outcome);
                return;
            }

            if (outcome.Complaint is { } complaint)
                cli.Out.WriteLine($"Complaint {complaint.ComplaintId} recorded: {(complaint.MailboxAddress is { } m ? "attributed to " + m : "not attributed")} ({complaint.Attribution}: {complaint.Note}).");

            cli.Out.WriteLine($"Bounce {outcome.BounceMessageId} recorded: {outcome.Kind}, {outcome.Recipients} failed recipient(s), {outcome.Changes.Count} member(s) affected.");
            foreach (var c in outcome.Changes)
                cli.Out.WriteLine($"  {c.Address}: {c.Reason}, {(c.Impact?.ToString() ?? "complaint")}, score {c.Score.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}{(c.Action == HygieneAction.None ? "" : ", " + c.Action.ToString().ToLowerInvariant() + "d")}{(c.Unsubscribed ? ", unsubscribed" : "")}");
        }));
        return ingest;
    }
}
