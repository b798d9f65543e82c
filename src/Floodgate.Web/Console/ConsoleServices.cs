using Floodgate.Storage.Accounts;
using Floodgate.Storage.Audit;
using Floodgate.Storage.Enforcement;
using Floodgate.Storage.Transactions;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web.Console;

public static class ConsoleServices
{
    /// <summary>The console's read models (bounded, indexed queries); the stores and the engine come from the host.</summary>
    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddSingleton<AccountSearch>();
        services.AddSingleton<EnforcementQueries>();
        services.AddSingleton<TransactionSearch>();
        services.AddSingleton<AuditSearch>();
        services.AddSingleton<CounterMeters>();
        return services;
    }
}
