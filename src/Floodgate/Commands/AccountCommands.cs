using System.CommandLine;
using System.Globalization;
using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;

namespace Floodgate.Commands;

/// <summary>
/// <c>floodgate client|domain|mailbox|plan|log|audit ...</c>: account management over <see cref="AccountStore"/>.
/// Every change is audited as <c>cli:&lt;unix user&gt;</c>.
/// </summary>
internal static class AccountCommands
{
    public static IReadOnlyList<Command> Create(CliOptions options) =>
    [
        ClientCommand(options),
        DomainCommand(options),
        MailboxCommand(options),
        PlanCommands.Create(options),
        LogCommand.Create(options),
        AuditCommand.Create(options),
    ];

    // ---- client

    private static Command ClientCommand(CliOptions options)
    {
        var client = new Command("client", "Clients: the provider's customer organisations, each with a primary contact");

        var name = new Argument<string>("name") { Description = "Client name (unique)" };
        var contactName = new Option<string>("--contact-name") { Description = "Primary contact's name", Required = true };
        var contactPhone = new Option<string>("--contact-phone") { Description = "Primary contact's phone, with country code (+1 555 010 0123)", Required = true };
        var contactEmail = new Option<string>("--contact-email") { Description = "Primary contact's e-mail address", Required = true };
        var plan = new Option<string?>("--plan") { Description = "Plan name (default: \"default\")" };
        var add = new Command("add", "Add a client") { name, contactName, contactPhone, contactEmail, plan };
        add.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var created = await cli.Store.AddClientAsync(
                new NewClient(cli.Get(name), cli.Get(contactName)!, cli.Get(contactPhone)!, cli.Get(contactEmail)!, cli.Get(plan)),
                CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(ClientView.From(created, withDomains: false));
            else
                cli.Out.WriteLine($"Added client {created.Name} (id {created.Id}, plan {created.Plan?.Name}).");
        }));

        var list = new Command("list", "List clients");
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var clients = await cli.Store.ListClientsAsync(ct);
            if (cli.Json)
            {
                cli.WriteJson(clients.Select(c => ClientView.From(c, withDomains: false)));
                return;
            }

            Table.Write(cli.Out, ["ID", "NAME", "STATUS", "PLAN", "DOMAINS", "CONTACT", "PHONE", "E-MAIL"],
                clients.Select(c => new[]
                {
                    Id(c.Id), c.Name, Format.Status(c.Status, c.StatusReason), c.Plan?.Name, Id(c.Domains.Count),
                    c.ContactName, c.ContactPhone, c.ContactEmail,
                }));
        }));

        var which = new Argument<string>("client") { Description = "Client id or name" };
        var show = new Command("show", "Show a client with its domains and mailboxes") { which };
        show.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var c = await cli.Store.GetClientAsync(await cli.Store.ResolveClientIdAsync(cli.Get(which), ct), ct);
            if (cli.Json)
            {
                cli.WriteJson(ClientView.From(c, withDomains: true));
                return;
            }

            Table.WriteFields(cli.Out,
            [
                ("Client", $"{c.Name} (id {c.Id})"),
                ("Status", Format.Status(c.Status, c.StatusReason)),
                ("Plan", c.Plan?.Name),
                ("Contact", c.ContactName),
                ("Phone", c.ContactPhone),
                ("E-mail", c.ContactEmail),
                ("Created", Format.Time(c.CreatedAt)),
            ]);
            cli.Out.WriteLine();
            Table.Write(cli.Out, ["DOMAIN", "MAILBOX", "STATUS", "PASSWORD"],
                c.Domains.SelectMany(d => new[] { new[] { d.Name, "", Format.Status(d.Status, d.StatusReason), "" } }
                    .Concat(d.Mailboxes.Select(m => new[] { "", m.Address, Format.Status(m.Status, m.StatusReason), m.PasswordHash is null ? "none" : "set" }))));
        }));

        client.Subcommands.Add(add);
        client.Subcommands.Add(list);
        client.Subcommands.Add(show);
        AddStatusCommands(client, "client", AccountScope.Client, options, (store, text, ct) => store.ResolveClientIdAsync(text, ct));
        return client;
    }

    // ---- domain

    private static Command DomainCommand(CliOptions options)
    {
        var domain = new Command("domain", "Mail domains, each owned by one client");

        var names = new Argument<string[]>("domain")
        {
            Description = "Domain names (Unicode or A-label; stored lower-case A-label); several are added all or nothing",
            Arity = ArgumentArity.OneOrMore,
        };
        var owner = new Option<string>("--client") { Description = "Owning client (id or name)", Required = true };
        var add = new Command("add", "Add one or more domains to a client") { names, owner };
        add.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var clientId = await cli.Store.ResolveClientIdAsync(cli.Get(owner)!, ct);
            var created = await cli.Store.AddDomainsAsync(clientId, cli.Get(names)!, CliContext.Actor, ct);
            if (cli.Json)
            {
                if (created.Count == 1)
                    cli.WriteJson(DomainView.From(created[0], withMailboxes: false));
                else
                    cli.WriteJson(created.Select(d => DomainView.From(d, withMailboxes: false)));
            }
            else
            {
                foreach (var domain in created)
                    cli.Out.WriteLine($"Added domain {domain.Name} (id {domain.Id}).");
            }
        }));

        var filter = new Option<string?>("--client") { Description = "Only this client's domains (id or name)" };
        var list = new Command("list", "List domains") { filter };
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            int? clientId = cli.Get(filter) is { } c ? await cli.Store.ResolveClientIdAsync(c, ct) : null;
            var domains = await cli.Store.ListDomainsAsync(clientId, ct);
            if (cli.Json)
                cli.WriteJson(domains.Select(d => DomainView.From(d, withMailboxes: false)));
            else
                Table.Write(cli.Out, ["ID", "DOMAIN", "CLIENT", "STATUS", "CREATED"],
                    domains.Select(d => new[] { Id(d.Id), d.Name, d.Client?.Name, Format.Status(d.Status, d.StatusReason), Format.Time(d.CreatedAt) }));
        }));

        var which = new Argument<string>("domain") { Description = "Domain (id or name)" };
        var state = new Argument<string>("on|off") { Description = "on: an unknown, authenticated login of the domain becomes a mailbox on first sight (the default); off: it gets the door's unknown-login answer" };
        var auto = new Command("auto-mailboxes", "Whether logins the provider's Dovecot vouches for become mailboxes of this domain on first sight") { which, state };
        auto.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var enabled = cli.Get(state) switch
            {
                "on" => true,
                "off" => false,
                var other => throw new AccountException(AccountError.Invalid, $"auto-mailboxes: '{other}' is neither on nor off."),
            };
            var id = await cli.Store.ResolveDomainIdAsync(cli.Get(which)!, ct);
            await cli.Store.SetAutoCreateMailboxesAsync(id, enabled, CliContext.Actor, ct);
            cli.Out.WriteLine($"Automatic mailboxes {(enabled ? "on" : "off")} for domain {cli.Get(which)}.");
        }));

        domain.Subcommands.Add(add);
        domain.Subcommands.Add(list);
        domain.Subcommands.Add(auto);
        AddStatusCommands(domain, "domain", AccountScope.Domain, options, (store, text, ct) => store.ResolveDomainIdAsync(text, ct));
        return domain;
    }

    // ---- mailbox

    private static Command MailboxCommand(CliOptions options)
    {
        var mailbox = new Command("mailbox", "Mailboxes: accounts that send; the address is the SMTP login");

        var address = new Argument<string>("address") { Description = "Mailbox address" };
        var password = new Option<string?>("--password") { Description = "Password (visible to other local users in the process list: prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of standard input" };
        var displayName = new Option<string?>("--display-name") { Description = "Display name" };
        var add = new Command("add", "Add a mailbox to an existing domain") { address, password, passwordStdin, displayName };
        add.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var secret = ReadPassword(cli, password, passwordStdin, required: false);
            var created = await cli.Store.AddMailboxAsync(new NewMailbox(cli.Get(address), secret, cli.Get(displayName)), CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(MailboxView.From(created));
            else
                cli.Out.WriteLine($"Added mailbox {created.Address} (id {created.Id}){(secret is null ? "; it has no password and cannot log in until one is set" : "")}.");
        }));

        var domainFilter = new Option<string?>("--domain") { Description = "Only this domain's mailboxes" };
        var clientFilter = new Option<string?>("--client") { Description = "Only this client's mailboxes (id or name)" };
        var list = new Command("list", "List mailboxes") { domainFilter, clientFilter };
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            int? domainId = cli.Get(domainFilter) is { } d ? await cli.Store.ResolveDomainIdAsync(d, ct) : null;
            int? clientId = cli.Get(clientFilter) is { } c ? await cli.Store.ResolveClientIdAsync(c, ct) : null;
            var mailboxes = await cli.Store.ListMailboxesAsync(domainId, clientId, ct);
            if (cli.Json)
                cli.WriteJson(mailboxes.Select(MailboxView.From));
            else
                Table.Write(cli.Out, ["ID", "ADDRESS", "NAME", "STATUS", "PASSWORD", "CREATED"],
                    mailboxes.Select(m => new[]
                    {
                        Id(m.Id), m.Address, m.DisplayName, Format.Status(m.Status, m.StatusReason),
                        m.PasswordHash is null ? "none" : "set", Format.Time(m.CreatedAt),
                    }));
        }));

        var which = new Argument<string>("mailbox") { Description = "Mailbox id or address" };
        var show = new Command("show", "Show a mailbox") { which };
        show.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var m = await cli.Store.GetMailboxAsync(await cli.Store.ResolveMailboxIdAsync(cli.Get(which), ct), ct);
            if (cli.Json)
            {
                cli.WriteJson(MailboxView.From(m));
                return;
            }

            Table.WriteFields(cli.Out,
            [
                ("Mailbox", $"{m.Address} (id {m.Id})"),
                ("Name", m.DisplayName),
                ("Status", Format.Status(m.Status, m.StatusReason)),
                ("Domain", m.Domain is null ? null : $"{m.Domain.Name} ({Format.Status(m.Domain.Status, m.Domain.StatusReason)})"),
                ("Client", m.Domain?.Client is { } c ? $"{c.Name} ({Format.Status(c.Status, c.StatusReason)})" : null),
                ("Plan", m.Domain?.Client?.Plan?.Name),
                ("Password", m.PasswordHash is null ? "none" : "set"),
                ("Senders", m.AllowedSenders),
                ("Created", Format.Time(m.CreatedAt)),
            ]);
        }));

        var target = new Argument<string>("mailbox") { Description = "Mailbox id or address" };
        var setPassword = new Command("set-password", "Set a mailbox's password") { target, password, passwordStdin };
        setPassword.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            var secret = ReadPassword(cli, password, passwordStdin, required: true)!;
            var id = await cli.Store.ResolveMailboxIdAsync(cli.Get(target), ct);
            await cli.Store.SetPasswordAsync(id, secret, CliContext.Actor, ct);
            if (!cli.Json)
                cli.Out.WriteLine("Password set.");
        }));

        var file = new Argument<string>("file") { Description = "CSV file (header row address,password|password_hash[,display_name]) or Dovecot passwd-file; \"-\" reads standard input" };
        var format = new Option<MailboxFileFormat>("--format") { Description = "csv, passwd, or auto (the default: a header row naming address is CSV)", DefaultValueFactory = _ => MailboxFileFormat.Auto };
        var allowWeak = new Option<bool>("--allow-weak-hashes") { Description = "Accept weak password schemes (SSHA512, SHA256, MD5-CRYPT...): upgraded to Argon2id at each mailbox's next good login" };
        var import = new Command("import", "Add mailboxes from CSV or a Dovecot passwd-file: all or nothing") { file, format, allowWeak };
        import.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            using var reader = OpenMailboxFile(cli, cli.Get(file));
            var result = await cli.Store.ImportMailboxesAsync(reader, cli.Get(format), AllowWeak(cli, allowWeak), CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(result);
            else
                cli.Out.WriteLine($"Imported {result.Imported} mailbox{(result.Imported == 1 ? "" : "es")}.");
        }));

        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would change and change nothing" };
        var syncDomains = new Option<string[]>("--domain") { Description = "Also govern this domain (repeatable): its mailboxes not in the file are disabled, even if the file names none of it", AllowMultipleArgumentsPerToken = false };
        var sync = new Command("sync", "Make the file's domains hold exactly the file's mailboxes: add, update, disable what changed; all or nothing") { file, format, allowWeak, dryRun, syncDomains };
        sync.SetAction(CliContext.RunChange(options, async (cli, ct) =>
        {
            using var reader = OpenMailboxFile(cli, cli.Get(file));
            var result = await cli.Store.SyncMailboxesAsync(reader, cli.Get(format), AllowWeak(cli, allowWeak), cli.Get(syncDomains) ?? [], cli.Get(dryRun), CliContext.Actor, ct);
            if (cli.Json)
            {
                cli.WriteJson(result);
                return;
            }

            foreach (var change in result.Changes)
            {
                var what = change.What.Count > 0 ? ": " + string.Join(", ", change.What) : "";
                var line = change.Line is { } n ? $" (line {n})" : "";
                cli.Out.WriteLine($"{change.Action.ToString().ToLowerInvariant(),-8}{change.Address}{what}{line}");
            }

            var counts = result.Changes.GroupBy(c => c.Action).ToDictionary(g => g.Key, g => g.Count());
            cli.Out.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{(result.DryRun ? "Would change" : "Changed")}: {counts.GetValueOrDefault(MailboxSyncAction.Add)} added, {counts.GetValueOrDefault(MailboxSyncAction.Update)} updated, {counts.GetValueOrDefault(MailboxSyncAction.Enable)} enabled, {counts.GetValueOrDefault(MailboxSyncAction.Disable)} disabled, {result.Unchanged} unchanged ({string.Join(", ", result.Domains)})."));
        }));

        mailbox.Subcommands.Add(add);
        mailbox.Subcommands.Add(list);
        mailbox.Subcommands.Add(show);
        AddStatusCommands(mailbox, "mailbox", AccountScope.Mailbox, options, (store, text, ct) => store.ResolveMailboxIdAsync(text, ct));
        mailbox.Subcommands.Add(setPassword);
        mailbox.Subcommands.Add(import);
        mailbox.Subcommands.Add(sync);
        return mailbox;
    }

    // ---- shared

    /// <summary>disable, enable and status (Active, Disabled, Suspended, Terminated with a reason).</summary>
    private static void AddStatusCommands(
        Command parent, string kind, AccountScope scope, CliOptions options, Func<AccountStore, string, CancellationToken, Task<int>> resolve)
    {
        Command Make(string name, string description, AccountStatus? fixedStatus)
        {
            var which = new Argument<string>(kind) { Description = $"The {kind} (id or name)" };
            var status = new Argument<AccountStatus>("status") { Description = "Active, Disabled, Suspended or Terminated" };
            var reason = new Option<string?>("--reason") { Description = "Why (required for Suspended and Terminated; shown to the sender)" };
            var command = new Command(name, description) { which };
            if (fixedStatus is null)
                command.Arguments.Add(status);
            command.Options.Add(reason);
            command.SetAction(CliContext.RunChange(options, async (cli, ct) =>
            {
                var id = await resolve(cli.Store, cli.Get(which), ct);
                var to = fixedStatus ?? cli.ParseResult.GetValue(status);
                await cli.Store.SetStatusAsync(scope, id, to, cli.Get(reason), CliContext.Actor, ct);
                if (!cli.Json)
                    cli.Out.WriteLine($"The {kind} {cli.Get(which)} is {to}.");
            }));
            return command;
        }

        parent.Subcommands.Add(Make("disable", $"Disable a {kind}: it may not send", AccountStatus.Disabled));
        parent.Subcommands.Add(Make("enable", $"Make a {kind} active again", AccountStatus.Active));
        parent.Subcommands.Add(Make("status", $"Set a {kind}'s status", null));
    }

    /// <summary>Weak schemes by the flag or the <c>Accounts:AllowWeakPasswordSchemes</c> setting, said on standard error when on.</summary>
    private static bool AllowWeak(CliContext cli, Option<bool> flag)
    {
        var allow = cli.Get(flag) || cli.Accounts.AllowWeakPasswordSchemes;
        if (allow)
            cli.Error.WriteLine("warning: weak password schemes (SSHA512, SHA512, MD5-CRYPT, ...) are accepted; each is upgraded to Argon2id at its mailbox's next good login.");
        return allow;
    }

    private static TextReader OpenMailboxFile(CliContext cli, string path)
    {
        if (path == "-")
            return cli.Options.Stdin();
        if (!File.Exists(path))
            throw new CliException($"The file {path} does not exist.");
        return new StreamReader(path);
    }

    private static string? ReadPassword(CliContext cli, Option<string?> password, Option<bool> passwordStdin, bool required)
    {
        var fromOption = cli.Get(password);
        var fromStdin = cli.Get(passwordStdin);
        if (fromOption is not null && fromStdin)
            throw new CliException("Use either --password or --password-stdin, not both.");
        if (fromStdin)
        {
            var line = cli.Options.Stdin().ReadLine();
            return string.IsNullOrEmpty(line) ? throw new CliException("--password-stdin: standard input is empty.") : line;
        }

        if (fromOption is null && required)
            throw new CliException("A password is required: use --password-stdin (or --password).");
        return fromOption;
    }

    internal static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);
}
