using Floodgate.Core.Accounts;
using Floodgate.Storage.Accounts;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Floodgate.Storage;

/// <summary>Opens, migrates and seeds the durable store.</summary>
public static class FloodgateDb
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgresql";

    /// <summary>Accepted for <see cref="Postgres"/>.</summary>
    public const string PostgresAlias = "postgres";

    /// <summary>The history table, named alike on every provider.</summary>
    public const string MigrationsHistoryTable = "__EFMigrationsHistory";
    public const string DefaultDataDirectory = "./data";
    public const string SqliteFileName = "floodgate.db";

    /// <summary>The SQLite connection string for <c>&lt;dataDirectory&gt;/floodgate.db</c>.</summary>
    public static string SqliteConnectionString(string dataDirectory) =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, SqliteFileName) }.ToString();

    /// <summary>
    /// The provider's canonical name ("sqlite" or "postgresql"; "postgres" is accepted), or null when unknown.
    /// Null or empty is the SQLite default.
    /// </summary>
    public static string? NormalizeProvider(string? provider) =>
        string.IsNullOrWhiteSpace(provider) ? Sqlite : provider.Trim().ToLowerInvariant() switch
        {
            Sqlite => Sqlite,
            Postgres or PostgresAlias => Postgres,
            _ => null,
        };

    /// <summary>A context factory; each context is short-lived (one unit of work).</summary>
    public static IDbContextFactory<FloodgateDbContext> CreateFactory(string connectionString, string provider = Sqlite)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return NormalizeProvider(provider) switch
        {
            Sqlite => new SqliteContextFactory(
                new DbContextOptionsBuilder<SqliteFloodgateDbContext>()
                    .UseSqlite(connectionString, o => o.MigrationsHistoryTable(MigrationsHistoryTable))
                    .Options),
            Postgres => new PostgresContextFactory(
                new DbContextOptionsBuilder<PostgresFloodgateDbContext>()
                    .UseNpgsql(connectionString, o => o.MigrationsHistoryTable(MigrationsHistoryTable))
                    .Options),
            _ => throw new ArgumentException($"Unknown database provider \"{provider}\"; expected \"{Sqlite}\" or \"{Postgres}\".", nameof(provider)),
        };
    }

    /// <summary>
    /// The connection string with its password (if any) masked, for messages and logs.
    /// </summary>
    public static string Redact(string connectionString, string provider)
    {
        if (NormalizeProvider(provider) != Postgres)
            return connectionString;
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            if (!string.IsNullOrEmpty(builder.Password))
                builder.Password = "***";
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }

    /// <summary>
    /// How the database's applied migrations compare with the ones this binary carries.
    /// Pending: known but not applied; Unknown: applied but not known (a newer binary migrated it).
    /// </summary>
    public static async Task<SchemaState> GetSchemaStateAsync(IDbContextFactory<FloodgateDbContext> dbFactory, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var known = db.Database.GetMigrations().ToList();
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
        var knownSet = known.ToHashSet(StringComparer.Ordinal);
        var appliedSet = applied.ToHashSet(StringComparer.Ordinal);
        return new SchemaState(
            [.. known.Where(m => !appliedSet.Contains(m))],
            [.. applied.Where(m => !knownSet.Contains(m))],
            applied.Count);
    }

    /// <summary>
    /// Applies the pending migrations and returns their names, oldest first. Refuses a database
    /// that has migrations this binary does not know (it was migrated by a newer Floodgate).
    /// Does not seed; <see cref="InitializeAsync"/> does.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(IDbContextFactory<FloodgateDbContext> dbFactory, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        EnsureSqliteFolder(db);
        var state = await GetSchemaStateAsync(dbFactory, cancellationToken);
        if (state.Unknown.Count > 0)
            throw new SchemaMismatchException(state.NewerMessage());
        await db.Database.MigrateAsync(cancellationToken);
        return state.Pending;
    }

    /// <summary>One context; the caller disposes it.</summary>
    public static FloodgateDbContext Create(string connectionString, string provider = Sqlite) =>
        CreateFactory(connectionString, provider).CreateDbContext();

    /// <summary>
    /// Applies migrations (never EnsureCreated), switches SQLite to WAL and seeds the default plan.
    /// Creates the SQLite file's folder. Safe to call at every start.
    /// </summary>
    /// <returns>The migrations it applied, oldest first.</returns>
    public static async Task<IReadOnlyList<string>> InitializeAsync(IDbContextFactory<FloodgateDbContext> dbFactory, CancellationToken cancellationToken = default)
    {
        var applied = await MigrateAsync(dbFactory, cancellationToken);
        await SeedAsync(dbFactory, cancellationToken);
        return applied;
    }

    /// <summary>
    /// Opens a database that must already be migrated (serve on PostgreSQL, where migrating is an
    /// operator's step): refuses with <see cref="SchemaMismatchException"/> when migrations are pending
    /// or the schema is newer than this binary, then seeds the default plan.
    /// </summary>
    public static async Task OpenMigratedAsync(IDbContextFactory<FloodgateDbContext> dbFactory, CancellationToken cancellationToken = default)
    {
        var state = await GetSchemaStateAsync(dbFactory, cancellationToken);
        if (state.Unknown.Count > 0)
            throw new SchemaMismatchException(state.NewerMessage());
        if (state.Pending.Count > 0)
        {
            throw new SchemaMismatchException(state.Applied == 0
                ? "the database has no Floodgate schema yet; run `floodgate migrate` (with the same --db-provider and --db) first"
                : $"the database needs {state.Pending.Count} migration(s) this version brings ({string.Join(", ", state.Pending)}); run `floodgate migrate` first");
        }

        await SeedAsync(dbFactory, cancellationToken);
    }

    private static void EnsureSqliteFolder(FloodgateDbContext db)
    {
        if (db.Provider != Sqlite)
            return;
        var dataSource = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:")
            return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (folder is not null)
            Directory.CreateDirectory(folder);
    }

    private static async Task SeedAsync(IDbContextFactory<FloodgateDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

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

    private sealed class PostgresContextFactory(DbContextOptions<PostgresFloodgateDbContext> options) : IDbContextFactory<FloodgateDbContext>
    {
        public FloodgateDbContext CreateDbContext() => new PostgresFloodgateDbContext(options);
    }

    private sealed class SqliteContextFactory(DbContextOptions<SqliteFloodgateDbContext> options) : IDbContextFactory<FloodgateDbContext>
    {
        public FloodgateDbContext CreateDbContext() => new SqliteFloodgateDbContext(options);
    }
}

/// <summary>What <see cref="FloodgateDb.GetSchemaStateAsync"/> found.</summary>
public sealed record SchemaState(IReadOnlyList<string> Pending, IReadOnlyList<string> Unknown, int Applied)
{
    internal string NewerMessage() =>
        $"the database schema is newer than this Floodgate: it has migration(s) this version does not know ({string.Join(", ", Unknown)}); " +
        "run a Floodgate at least as new as the one that ran `floodgate migrate` on it";
}

/// <summary>The database's schema does not match this binary's migrations.</summary>
public sealed class SchemaMismatchException(string message) : Exception(message);
