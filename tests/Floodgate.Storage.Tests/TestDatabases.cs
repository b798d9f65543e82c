using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Floodgate.Storage.Tests;

/// <summary>
/// Which database the tests run on: SQLite files by default; PostgreSQL with
/// <c>FLOODGATE_TEST_DB=postgresql</c> and <c>FLOODGATE_TEST_PG</c> (a server connection string without a
/// database, default <c>Host=127.0.0.1;Port=15432;Username=postgres</c>). On PostgreSQL each data folder
/// gets its own freshly created database, dropped at <see cref="Release"/>.
/// </summary>
public static class TestDatabases
{
    private static readonly ConcurrentDictionary<string, string> Created = new(StringComparer.Ordinal);

    public static string Provider { get; } =
        FloodgateDb.NormalizeProvider(Environment.GetEnvironmentVariable("FLOODGATE_TEST_DB"))
        ?? throw new InvalidOperationException("FLOODGATE_TEST_DB must be sqlite or postgresql");

    public static bool IsPostgres => Provider == FloodgateDb.Postgres;

    /// <summary>Whether FLOODGATE_TEST_PG names a server (test.sh sets it for both passes).</summary>
    public static bool ServerNamed { get; } = Environment.GetEnvironmentVariable("FLOODGATE_TEST_PG") is { Length: > 0 };

    /// <summary>The server the PostgreSQL databases are created on.</summary>
    public static string Server { get; } =
        Environment.GetEnvironmentVariable("FLOODGATE_TEST_PG") is { Length: > 0 } pg ? pg : "Host=127.0.0.1;Port=15432;Username=postgres";

    /// <summary>The connection string of the data folder's database; on PostgreSQL, creates the folder and the database the first time.</summary>
    public static string ConnectionString(string dataDirectory)
    {
        if (!IsPostgres)
            return FloodgateDb.SqliteConnectionString(dataDirectory);
        // SQLite creates the folder with its file; the tests also keep their other files there.
        Directory.CreateDirectory(dataDirectory);
        return Created.GetOrAdd(dataDirectory, static _ => CreateDatabase());
    }

    private static readonly Lazy<string> Template = new(CreateTemplate);

    /// <summary>
    /// A fresh PostgreSQL database's connection string (unique name), migrated as `floodgate migrate` leaves it
    /// unless <paramref name="migrated"/> is false. Drop it with <see cref="DropDatabase"/>.
    /// </summary>
    public static string CreateDatabase(bool migrated = true)
    {
        var name = "floodgate_test_" + Guid.NewGuid().ToString("n");
        // A copy of a migrated template: a file copy, about ten times faster than migrating each database.
        Execute(migrated ? $"CREATE DATABASE \"{name}\" TEMPLATE \"{Template.Value}\"" : $"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(Server) { Database = name }.ConnectionString;
    }

    private static string CreateTemplate()
    {
        var name = "floodgate_template_" + Guid.NewGuid().ToString("n");
        Execute($"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(Server) { Database = name, Pooling = false }.ConnectionString;
        FloodgateDb.InitializeAsync(FloodgateDb.CreateFactory(connectionString, FloodgateDb.Postgres)).GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DropDatabase(connectionString);
        return name;
    }

    private static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(Server);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static void DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        // FORCE (PostgreSQL 13+): a server under test may still hold a pooled connection.
        Execute($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    /// <summary>The CLI's options for the data folder and its database.</summary>
    public static string[] CliArgs(string dataDirectory) =>
        IsPostgres
            ? ["--data", dataDirectory, "--db-provider", Provider, "--db", ConnectionString(dataDirectory)]
            : ["--data", dataDirectory];

    public static IDbContextFactory<FloodgateDbContext> Factory(string dataDirectory) =>
        FloodgateDb.CreateFactory(ConnectionString(dataDirectory), Provider);

    public static FloodgateDbContext Create(string dataDirectory) => Factory(dataDirectory).CreateDbContext();

    /// <summary>Drops the folder's database (PostgreSQL) and deletes the folder.</summary>
    public static void Release(string dataDirectory)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Created.TryRemove(dataDirectory, out var connectionString))
            DropDatabase(connectionString);
        try
        {
            if (Directory.Exists(dataDirectory))
                Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
