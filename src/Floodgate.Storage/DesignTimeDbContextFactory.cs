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
