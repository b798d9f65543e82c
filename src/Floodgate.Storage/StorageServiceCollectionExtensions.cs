using Floodgate.Core.Enforcement;
using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Floodgate.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the context factory, <see cref="PasswordHasher"/>, <see cref="AccountStore"/>,
    /// <see cref="AuditLog"/>, <see cref="TransactionLog"/>, <see cref="EnforcementStore"/> and the singleton <see cref="TransactionLogWriter"/>.
    /// <see cref="ContactTaskOptions"/> and <see cref="DamagesOptions"/> get their defaults unless registered before.
    /// Call <see cref="FloodgateDb.InitializeAsync"/> once at start, before anything else touches the database.
    /// </summary>
    public static IServiceCollection AddFloodgateStorage(
        this IServiceCollection services,
        string connectionString,
        string provider = FloodgateDb.Sqlite,
        Action<PasswordHashOptions>? configurePasswords = null,
        Action<TransactionLogWriterOptions>? configureWriter = null)
    {
        var factory = FloodgateDb.CreateFactory(connectionString, provider);
        var passwordOptions = new PasswordHashOptions();
        configurePasswords?.Invoke(passwordOptions);
        var writerOptions = new TransactionLogWriterOptions();
        configureWriter?.Invoke(writerOptions);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(factory);
        services.AddSingleton(new PasswordHasher(passwordOptions));
        services.AddSingleton(writerOptions);
        services.AddSingleton<AccountStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<TransactionLog>();
        services.AddSingleton<TransactionLogWriter>();
        services.TryAddSingleton(new ContactTaskOptions());
        services.TryAddSingleton(new DamagesOptions());
        services.AddSingleton<EnforcementStore>();
        services.AddSingleton<Access.AccessStore>();
        services.TryAddSingleton(new Core.Lists.HygieneOptions());
        services.AddSingleton<Lists.ListStore>();
        return services;
    }
}
