using System.CommandLine;
using Floodgate.Storage.Access;

namespace Floodgate.Commands;

/// <summary>
/// <c>floodgate user ...</c> and <c>floodgate apikey ...</c>: console and portal accounts and API keys over
/// <see cref="AccessStore"/>, for the machine's own administrator (first setup, a forgotten password).
/// Every change is audited as <c>cli:&lt;unix user&gt;</c>.
/// </summary>
internal static class AccessCommands
{
    /// <summary>Role names as typed on a command line, kebab-case.</summary>
    private static readonly Dictionary<string, WebRole> RoleNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["administrator"] = WebRole.Administrator,
        ["abuse-desk"] = WebRole.AbuseDesk,
        ["support"] = WebRole.Support,
        ["read-only"] = WebRole.ReadOnly,
        ["client-administrator"] = WebRole.ClientAdministrator,
    };

    public static IReadOnlyList<Command> Create(CliOptions options) => [UserCommand(options), ApiKeyCommand(options)];

    // ---- user

    private static Command UserCommand(CliOptions options)
    {
        var user = new Command("user", "Console (operator) and portal (client administrator) accounts");

        var login = new Argument<string>("login") { Description = "Login (unique, any case; stored lower-case)" };
        var role = RoleOption();
        var client = ClientOption();
        var name = new Option<string?>("--name") { Description = "Display name (default: the login)" };
        var passwordStdin = PasswordStdinOption();
        var add = new Command("add", "Add an account") { login, role, client, name, passwordStdin };
        add.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var parsedRole = ParseRole(cli.Get(role)!);
            int? clientId = cli.Get(client) is { } c ? await cli.Store.ResolveClientIdAsync(c, ct) : null;
            var password = ReadPassword(cli, passwordStdin);
            var created = await cli.Access.AddUserAsync(new NewWebUser(cli.Get(login), cli.Get(name) ?? cli.Get(login), parsedRole, password, clientId), CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(created);
            else
                cli.Out.WriteLine($"Added {RoleName(created.Role)} {created.Login} (id {created.Id}).");
        }));

        var list = new Command("list", "List accounts");
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var users = await cli.Access.ListUsersAsync(cancellationToken: ct);
            if (cli.Json)
            {
                cli.WriteJson(users);
                return;
            }

            Table.Write(cli.Out, ["ID", "LOGIN", "NAME", "ROLE", "CLIENT", "STATE", "TOTP", "LAST LOGIN"],
                users.Select(u => new[]
                {
                    AccountCommands.Id(u.Id), u.Login, u.DisplayName, RoleName(u.Role), u.ClientId is { } c ? AccountCommands.Id(c) : null,
                    u.Disabled ? "disabled" : "enabled", u.HasTotp ? "yes" : "no", u.LastLoginAt is { } t ? Format.Time(t) : "never",
                }));
        }));

        var target = new Argument<string>("login") { Description = "The account's login" };
        var password = new Command("password", "Set an account's password (its sessions end)") { target, passwordStdin };
        password.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var secret = ReadPassword(cli, passwordStdin);
            var found = await FindUserAsync(cli, cli.Get(target), ct);
            await cli.Access.SetPasswordAsync(found.Id, secret, CliContext.Actor, ct);
            if (!cli.Json)
                cli.Out.WriteLine($"Password of {found.Login} set.");
        }));

        user.Subcommands.Add(add);
        user.Subcommands.Add(list);
        user.Subcommands.Add(password);
        user.Subcommands.Add(DisableCommand(options, "disable", "Disable an account: it cannot sign in, its sessions end", disabled: true));
        user.Subcommands.Add(DisableCommand(options, "enable", "Enable an account again", disabled: false));
        return user;
    }

    private static Command DisableCommand(CliOptions options, string verb, string description, bool disabled)
    {
        var target = new Argument<string>("login") { Description = "The account's login" };
        var command = new Command(verb, description) { target };
        command.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var found = await FindUserAsync(cli, cli.Get(target), ct);
            await cli.Access.SetDisabledAsync(found.Id, disabled, CliContext.Actor, ct);
            if (!cli.Json)
                cli.Out.WriteLine($"{found.Login} is {(disabled ? "disabled" : "enabled")}.");
        }));
        return command;
    }

    // ---- apikey

    private static Command ApiKeyCommand(CliOptions options)
    {
        var apikey = new Command("apikey", "API keys for machines: the token is shown once, only its hash is kept");

        var name = new Argument<string>("name") { Description = "What the key is for (\"ticketing\", \"monitoring\")" };
        var role = RoleOption();
        var client = ClientOption();
        var add = new Command("add", "Create an API key and print its token (this once)") { name, role, client };
        add.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var parsedRole = ParseRole(cli.Get(role)!);
            int? clientId = cli.Get(client) is { } c ? await cli.Store.ResolveClientIdAsync(c, ct) : null;
            var created = await cli.Access.CreateApiKeyAsync(cli.Get(name), parsedRole, clientId, CliContext.Actor, ct);
            if (cli.Json)
            {
                cli.WriteJson(created);
                return;
            }

            cli.Out.WriteLine($"Created API key {created.Key.Id} ({created.Key.Name}, {RoleName(created.Key.Role)}). Its token, shown this once:");
            cli.Out.WriteLine(created.Token);
        }));

        var list = new Command("list", "List API keys with their last use");
        list.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var keys = await cli.Access.ListApiKeysAsync(ct);
            if (cli.Json)
            {
                cli.WriteJson(keys);
                return;
            }

            Table.Write(cli.Out, ["ID", "NAME", "ROLE", "CLIENT", "CREATED", "BY", "LAST USE", "FROM", "REVOKED"],
                keys.Select(k => new[]
                {
                    AccountCommands.Id(k.Id), k.Name, RoleName(k.Role), k.ClientId is { } c ? AccountCommands.Id(c) : null, Format.Time(k.CreatedAt), k.CreatedBy,
                    k.LastUsedAt is { } t ? Format.Time(t) : "never", k.LastUsedFrom, k.RevokedAt is { } r ? Format.Time(r) : null,
                }));
        }));

        var id = new Argument<int>("id") { Description = "The key's id (the number in fgk_<id>_...)" };
        var revoke = new Command("revoke", "Revoke an API key: it stops working at once") { id };
        revoke.SetAction(CliContext.Run(options, async (cli, ct) =>
        {
            var revoked = await cli.Access.RevokeApiKeyAsync(cli.Get(id), CliContext.Actor, ct);
            if (cli.Json)
                cli.WriteJson(revoked);
            else
                cli.Out.WriteLine($"API key {revoked.Id} ({revoked.Name}) is revoked.");
        }));

        apikey.Subcommands.Add(add);
        apikey.Subcommands.Add(list);
        apikey.Subcommands.Add(revoke);
        return apikey;
    }

    // ---- shared

    private static Option<string> RoleOption() => new("--role")
    {
        Description = "administrator, abuse-desk, support, read-only or client-administrator",
        Required = true,
    };

    private static Option<string?> ClientOption() => new("--client") { Description = "The client (id or name): required for client-administrator, refused otherwise" };

    private static Option<bool> PasswordStdinOption() => new("--password-stdin") { Description = "Read the password from the first line of standard input (required)" };

    private static WebRole ParseRole(string text) =>
        RoleNames.TryGetValue(text.Trim(), out var role)
            ? role
            : throw new CliException($"--role: \"{text}\" is not a role; use one of {string.Join(", ", RoleNames.Keys)}.");

    private static string RoleName(WebRole role) => RoleNames.First(r => r.Value == role).Key;

    /// <summary>The password from standard input: never from an option, where other local users could read it in the process list.</summary>
    private static string ReadPassword(CliContext cli, Option<bool> passwordStdin)
    {
        if (!cli.Get(passwordStdin))
            throw new CliException("A password is required: pass --password-stdin and write it on standard input.");
        var line = cli.Options.Stdin().ReadLine();
        return string.IsNullOrEmpty(line) ? throw new CliException("--password-stdin: standard input is empty.") : line;
    }

    private static async Task<WebUser> FindUserAsync(CliContext cli, string login, CancellationToken cancellationToken) =>
        await cli.Access.FindUserAsync(login, cancellationToken)
        ?? throw new Floodgate.Storage.Accounts.AccountException(Floodgate.Storage.Accounts.AccountError.NotFound, $"There is no account \"{AccessStore.NormalizeLogin(login)}\".");
}
