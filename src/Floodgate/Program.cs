using System.CommandLine;
using Floodgate.Commands;

var root = new RootCommand("Floodgate: outbound-mail abuse control");
var cli = CliOptions.AddTo(root);
foreach (var command in AccountCommands.Create(cli))
    root.Subcommands.Add(command);
foreach (var command in EnforcementCommands.Create(cli))
    root.Subcommands.Add(command);
foreach (var command in AccessCommands.Create(cli))
    root.Subcommands.Add(command);
foreach (var command in BounceCommands.Create(cli))
    root.Subcommands.Add(command);
root.Subcommands.Add(ListCommands.Create(cli));
root.Subcommands.Add(MigrateCommand.Create(cli));
root.Subcommands.Add(ServeCommand.Create(cli));
root.Subcommands.Add(ExplainCommand.Create(cli));
root.Subcommands.Add(BlocklistCommands.Create(cli));

return await root.Parse(args).InvokeAsync();
