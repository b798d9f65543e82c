using Floodgate.Storage.Accounts;
using Floodgate.Storage.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Storage.Tests;

public sealed class StorageServiceCollectionExtensionsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "floodgate-tests", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        TestDatabases.Release(_data);
    }

    [Fact]
    public async Task RegisteredServicesResolveAndWork()
    {
        var services = new ServiceCollection()
            .AddFloodgateStorage(TestDatabases.ConnectionString(_data), TestDatabases.Provider, configurePasswords: o => (o.MemoryKiB, o.Iterations) = (64, 1));
        await using var provider = services.BuildServiceProvider();
        await FloodgateDb.InitializeAsync(provider.GetRequiredService<IDbContextFactory<FloodgateDbContext>>());

        var store = provider.GetRequiredService<AccountStore>();
        var writer = provider.GetRequiredService<TransactionLogWriter>();
        Assert.True(writer.TryWrite(new TransactionRecord { Time = DateTimeOffset.UnixEpoch, FrontDoor = "smtp" }));
        await writer.DisposeAsync();

        Assert.Equal(AccountStore.DefaultPlanName, (await store.LoadDirectoryAsync()).DefaultPlan.Name);
        Assert.Single(await provider.GetRequiredService<TransactionLog>().QueryAsync(new TransactionQuery()));
        Assert.Equal(64, provider.GetRequiredService<PasswordHasher>().Options.MemoryKiB);
    }
}
