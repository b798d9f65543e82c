using Floodgate.Storage.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Storage.Tests;

/// <summary>A real database (SQLite file in a fresh temp folder, or a fresh PostgreSQL database: <see cref="TestDatabases"/>), migrated. Deleted on dispose.</summary>
public sealed class TestDatabase : IAsyncLifetime
{
    public const string Actor = "test:alice";

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));

    public IDbContextFactory<FloodgateDbContext> Factory { get; private set; } = null!;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    // Cheap Argon2id parameters: the tests check behaviour, not cost.
    public PasswordHasher Hasher { get; } = new(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 });

    public AccountStore Store { get; private set; } = null!;

    public string ConnectionString => TestDatabases.ConnectionString(Directory);

    public string Provider => TestDatabases.Provider;

    public async Task InitializeAsync()
    {
        Factory = TestDatabases.Factory(Directory);
        await FloodgateDb.InitializeAsync(Factory);
        Store = new AccountStore(Factory, Hasher, Time);
    }

    public Task DisposeAsync()
    {
        TestDatabases.Release(Directory);
        return Task.CompletedTask;
    }

    public async Task<(int ClientId, int DomainId)> AddClientWithDomainAsync(string client = "Acme", string domain = "acme.example")
    {
        var c = await Store.AddClientAsync(new NewClient(client, "Ann Contact", "+1 555 010 0100", "ann@contact.example"), Actor);
        var d = await Store.AddDomainAsync(c.Id, domain, Actor);
        return (c.Id, d.Id);
    }
}
