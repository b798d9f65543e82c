using System.CommandLine;
using Floodgate.Commands;
using Floodgate.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Floodgate.Storage.Tests;

/// <summary>
/// A fact that needs the PostgreSQL server of <see cref="TestDatabases"/>. test.sh starts it before
/// both passes, so these run on the SQLite pass too. Skipped only outside CI when no server is named;
/// in CI (CI=true) it runs and fails if the server is missing, never skips.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!TestDatabases.IsPostgres && !TestDatabases.ServerNamed && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "needs a PostgreSQL server: FLOODGATE_TEST_PG (test.sh starts one)";
    }
}

/// <summary>`floodgate migrate` and serve's refusal of a database whose schema does not match this binary.</summary>
public sealed class DatabaseSchemaTests : IDisposable
{
    private const string FromTheFuture = "29991231000000_FromANewerFloodgate";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));
    private readonly List<string> _databases = [];

    public void Dispose()
    {
        foreach (var database in _databases)
            TestDatabases.DropDatabase(database);
        TestDatabases.Release(_data);
    }

    private string EmptyPostgres(string? password = null)
    {
        var connectionString = TestDatabases.CreateDatabase(migrated: false);
        _databases.Add(connectionString);
        // The test server trusts every local login, so a password is accepted and ignored: enough to see it is never printed.
        return password is null ? connectionString : new NpgsqlConnectionStringBuilder(connectionString) { Password = password }.ConnectionString;
    }

    private static async Task<(int ExitCode, string Output, string Error)> CliAsync(params string[] args)
    {
        var root = new RootCommand("floodgate");
        var cli = CliOptions.AddTo(root);
        root.Subcommands.Add(MigrateCommand.Create(cli));
        foreach (var command in AccountCommands.Create(cli))
            root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private async Task<(RunningServe? Serve, int ExitCode, string Error)> ServeAsync(string provider, string connectionString)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DataDirectory"] = _data,
            ["Database:Provider"] = provider,
            ["Database:ConnectionString"] = connectionString,
            ["Smtp:Listen:0"] = "127.0.0.1:0",
            ["PolicyDelegation:Listen:0"] = "127.0.0.1:0",
            ["Milter:Listen:0"] = "127.0.0.1:0",
            ["Lmtp:Listen:0"] = "127.0.0.1:0",
            ["Web:Url"] = "http://127.0.0.1:0",
        };
        var error = new StringWriter();
        var (serve, exitCode) = await ServeHost.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), null, null, error, CancellationToken.None);
        return (serve, exitCode, error.ToString());
    }

    private static async Task AddUnknownMigrationAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO \"{FloodgateDb.MigrationsHistoryTable}\" (\"MigrationId\", \"ProductVersion\") VALUES ('{FromTheFuture}', '99.0.0')";
        await command.ExecuteNonQueryAsync();
    }

    [PostgresFact]
    public async Task MigrateOnAnEmptyDatabasePrintsEachMigrationThenServeStarts()
    {
        var db = EmptyPostgres(password: "s3cret-pw");

        var first = await CliAsync("migrate", "--db-provider", "postgresql", "--db", db);
        var again = await CliAsync("migrate", "--db-provider", "postgres", "--db", db);
        var (serve, exitCode, error) = await ServeAsync("postgresql", db);
        await using (serve)
        {
            Assert.True(serve is not null, $"serve did not start ({exitCode}): {error}");
        }

        Assert.Equal(0, first.ExitCode);
        await using var context = FloodgateDb.Create(db, FloodgateDb.Postgres);
        var migrations = context.Database.GetMigrations().ToList();
        Assert.Equal(migrations.Select(m => "applied " + m), first.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).SkipLast(1));
        Assert.Contains("up to date", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("nothing to apply", again.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", first.Output + again.Output, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task ServeOnAnUnmigratedDatabaseExitsTwoNamingMigrate()
    {
        var db = EmptyPostgres(password: "s3cret-pw");

        var (serve, exitCode, error) = await ServeAsync("postgresql", db);
        await using (serve)
        {
            Assert.Null(serve);
        }

        Assert.Equal(2, exitCode);
        Assert.Contains("floodgate migrate", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task ACommandOnAnUnmigratedDatabaseExitsTwoAndLeavesItEmpty()
    {
        var db = EmptyPostgres();

        var list = await CliAsync("client", "list", "--db-provider", "postgresql", "--db", db);

        Assert.Equal(2, list.ExitCode);
        Assert.Contains("floodgate migrate", list.Error, StringComparison.Ordinal);
        await using var context = FloodgateDb.Create(db, FloodgateDb.Postgres);
        Assert.Empty(await context.Database.GetAppliedMigrationsAsync());
    }

    [PostgresFact]
    public async Task ADatabaseWithAnUnknownAppliedMigrationIsRefusedAsNewer()
    {
        var db = EmptyPostgres();
        Assert.Equal(0, (await CliAsync("migrate", "--db-provider", "postgresql", "--db", db)).ExitCode);
        await AddUnknownMigrationAsync(db);

        var (serve, exitCode, error) = await ServeAsync("postgresql", db);
        await using (serve)
        {
            Assert.Null(serve);
        }

        var migrate = await CliAsync("migrate", "--db-provider", "postgresql", "--db", db);

        Assert.Equal(2, exitCode);
        Assert.Contains("newer than this Floodgate", error, StringComparison.Ordinal);
        Assert.Contains(FromTheFuture, error, StringComparison.Ordinal);
        Assert.Equal(2, migrate.ExitCode);
        Assert.Contains("newer than this Floodgate", migrate.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateOnAFreshSqliteFileAppliesEveryMigrationAndSeeds()
    {
        var result = await CliAsync("migrate", "--data", _data);

        Assert.Equal(0, result.ExitCode);
        await using var context = FloodgateDb.Create(FloodgateDb.SqliteConnectionString(_data));
        var migrations = context.Database.GetMigrations().ToList();
        Assert.Equal(migrations.Select(m => "applied " + m), result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).SkipLast(1));
        var plans = await new Accounts.AccountStore(
            FloodgateDb.CreateFactory(FloodgateDb.SqliteConnectionString(_data)), new Accounts.PasswordHasher(), TimeProvider.System).ListPlansAsync();
        Assert.Equal(Accounts.AccountStore.DefaultPlanName, Assert.Single(plans).Name);
    }

    [Fact]
    public async Task ServeOnAFreshSqliteDataFolderCreatesItsDatabase()
    {
        var (serve, exitCode, error) = await ServeAsync(FloodgateDb.Sqlite, FloodgateDb.SqliteConnectionString(_data));
        await using (serve)
        {
            Assert.True(serve is not null, $"serve did not start ({exitCode}): {error}");
        }

        Assert.True(File.Exists(Path.Combine(_data, FloodgateDb.SqliteFileName)));
    }
}
