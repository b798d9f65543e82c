using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Floodgate.Storage;

/// <summary>For <c>dotnet ef migrations add X --context SqliteFloodgateDbContext --output-dir Migrations/Sqlite</c>.</summary>
internal sealed class SqliteDesignTimeDbContextFactory : IDesignTimeDbContextFactory<SqliteFloodgateDbContext>
{
    public SqliteFloodgateDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteFloodgateDbContext>()
            .UseSqlite(FloodgateDb.SqliteConnectionString(FloodgateDb.DefaultDataDirectory))
            .Options);
}

/// <summary>
/// For <c>dotnet ef migrations add X --context PostgresFloodgateDbContext --output-dir Migrations/Postgres</c>.
/// Adding a migration needs no server; the connection string only matters for <c>dotnet ef database update</c>
/// (pass one after <c>--</c>, or set FLOODGATE_DESIGN_PG).
/// </summary>
internal sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgresFloodgateDbContext>
{
    public PostgresFloodgateDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresFloodgateDbContext>()
            .UseNpgsql(
                args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("FLOODGATE_DESIGN_PG") ?? "Host=127.0.0.1;Port=15432;Username=postgres;Database=floodgate",
                o => o.MigrationsHistoryTable(FloodgateDb.MigrationsHistoryTable))
            .Options);
}
