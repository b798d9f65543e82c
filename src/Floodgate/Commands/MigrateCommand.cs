using System.CommandLine;
using Floodgate.Storage;

namespace Floodgate.Commands;

/// <summary>
/// `floodgate migrate`: brings the database's schema up to this version's migrations and seeds the
/// default plan. The step before `serve` on PostgreSQL; SQLite is migrated by serve itself.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create(CliOptions cli)
    {
        var command = new Command("migrate", "Apply the database migrations this version brings (needed before serve on PostgreSQL) and print them");
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            ResolvedDatabaseView? database = null;
            try
            {
                var resolved = cli.Database(parseResult);
                database = new ResolvedDatabaseView(resolved.Provider, resolved.Redacted);
                var factory = FloodgateDb.CreateFactory(resolved.ConnectionString, resolved.Provider);
                var applied = await FloodgateDb.InitializeAsync(factory, cancellationToken);
                var state = await FloodgateDb.GetSchemaStateAsync(factory, cancellationToken);
                if (parseResult.GetValue(cli.Json))
                {
                    await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(
                        new { provider = resolved.Provider, database = resolved.Redacted, applied, total = state.Applied }, CliContext.JsonOptions));
                    return 0;
                }

                foreach (var name in applied)
                {
                    await output.WriteLineAsync("applied " + name);
                }

                await output.WriteLineAsync(applied.Count == 0
                    ? $"{resolved.Provider} database {resolved.Redacted}: up to date, nothing to apply ({state.Applied} migrations)"
                    : $"{resolved.Provider} database {resolved.Redacted}: applied {applied.Count}, up to date ({state.Applied} migrations)");
                return 0;
            }
            catch (CliException ex)
            {
                await error.WriteLineAsync("error: " + ex.Message);
                return 2;
            }
            catch (SchemaMismatchException ex)
            {
                await error.WriteLineAsync($"error: {database?.Provider} database {database?.Redacted}: {ex.Message}");
                return 2;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && database is not null)
            {
                await error.WriteLineAsync($"error: cannot migrate the {database.Provider} database {database.Redacted}: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private sealed record ResolvedDatabaseView(string Provider, string Redacted);
}
