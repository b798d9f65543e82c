using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage;

/// <summary>Opens, migrates and seeds the durable store.</summary>
public static class FloodgateDb
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string DefaultDataDirectory = "./data";
    public const string SqliteFileName = "floodgate.db";

    /// <summary>The SQLite connection string for <c>&lt;dataDirectory&gt;/floodgate.db</c>.</summary>
    public static string SqliteConnectionString(string dataDirectory) =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, SqliteFileName) }.ToString();

    /// <summary>A context factory; each context is short-lived (one unit of work).</summary>
    public static IDbContextFactory<FloodgateDbContext> CreateFactory(string connectionString, string provider = Sqlite)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return (provider ?? Sqlite).ToLowerInvariant() switch
        {
            Sqlite => new SqliteContextFactory(
                new DbContextOptionsBuilder<SqliteFloodgateDbContext>()
                    .UseSqlite(connectionString, o => o.MigrationsHistoryTable("__EFMigrationsHistory"))
                    .Options),
            Postgres => throw new NotSupportedException(
                "The PostgreSQL provider is not built yet: its migrations have not been generated. Use provider \"sqlite\"."),
            _ => throw new ArgumentException($"Unknown database provider \"{provider}\"; expected \"{Sqlite}\" or \"{Postgres}\".", nameof(provider)),
        };
    }

    /// <summary>One context; the caller disposes it.</summary>
    public static FloodgateDbContext Create(string connectionString, string provider = Sqlite) =>
        CreateFactory(connectionString, provider).CreateDbContext();

    /// <summary>
    /// Applies migrations (never EnsureCreated), switches SQLite to WAL and seeds the default plan.
    /// Creates the SQLite file's folder. Safe to call at every start.
    /// </summary>
    public static async Task InitializeAsync(IDbContextFactory<FloodgateDbContext> dbFactory, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (db.Provider == Sqlite)
        {
            var dataSource = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            var folder = Path.GetDirectoryName(Path.GetFullPath(dataSource));
            if (!string.IsNullOrEmpty(dataSource) && dataSource != ":memory:" && folder is not null)
                Directory.CreateDirectory(folder);
        }

        await db.Database.MigrateAsync(cancellationToken);

        if (db.Provider == Sqlite)
        {
            // WAL lets the server read the directory while the transaction log writer commits;
            // the mode is stored in the file, so setting it once per start is enough.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        if (!await db.Plans.AnyAsync(p => p.Name == AccountStore.DefaultPlanName, cancellationToken))
        {
            db.Plans.Add(new Plan { Name = AccountStore.DefaultPlanName, Limits = new PlanLimits() });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another process seeded it first: the unique index on Plan.Name held.
            }
        }
    }

    private sealed class SqliteContextFactory(DbContextOptions<SqliteFloodgateDbContext> options) : IDbContextFactory<FloodgateDbContext>
    {
        public FloodgateDbContext CreateDbContext() => new SqliteFloodgateDbContext(options);
    }
}
