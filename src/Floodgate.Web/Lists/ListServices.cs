using Floodgate.Core.Lists;
using Floodgate.Storage.Lists;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Floodgate.Web.Lists;

public static class ListServices
{
    /// <summary>
    /// The list service: tokens (signed with the key kept in the database), links, the mailer, the
    /// service, the bounce reputation and the delivery and maintenance loops. Needs the relay, the
    /// spool, <see cref="WebOptions"/>, the storage and, for delivery, the policy engine registered.
    /// </summary>
    public static IServiceCollection AddFloodgateLists(this IServiceCollection services, ListOptions options)
    {
        services.AddSingleton(options);
        services.RemoveAll<HygieneOptions>();
        services.AddSingleton(options.Hygiene);
        services.TryAddSingleton<ListStore>();
        // Resolved after the database is initialised: the key is made on first use and kept.
        services.AddSingleton(sp => new ListTokens(sp.GetRequiredService<ListStore>().GetOrCreateSigningKeyAsync("lists").GetAwaiter().GetResult()));
        services.AddSingleton<ListLinks>();
        services.AddSingleton<ListMailer>();
        services.AddSingleton<BounceReputation>();
        services.AddSingleton<BounceInbox>();
        services.AddSingleton<ListService>();
        services.AddSingleton<ListDirectory>();
        services.AddSingleton<IListPosts>(sp => sp.GetRequiredService<ListDirectory>());
        services.AddSingleton<ListDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<ListDelivery>());
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "3600";
                return new ValueTask(context.HttpContext.Response.WriteAsync("Too many subscription requests: try again in an hour.\n", cancellationToken));
            };

            // Two budgets for the public subscribe form, an hour each: per client address, and per list from everyone.
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http => ListPages.IsSubscription(http, out _)
                    ? RateLimitPartition.GetFixedWindowLimiter("address:" + http.Connection.RemoteIpAddress, _ => Hourly(options.SubscriptionsPerClientAddressPerHour))
                    : RateLimitPartition.GetNoLimiter(string.Empty)),
                PartitionedRateLimiter.Create<HttpContext, string>(http => ListPages.IsSubscription(http, out var listId)
                    ? RateLimitPartition.GetFixedWindowLimiter("list:" + listId, _ => Hourly(options.SubscriptionsPerListPerHour))
                    : RateLimitPartition.GetNoLimiter(string.Empty)));
        });
        services.AddSingleton<ListInbox>();
        services.AddSingleton<Protocols.Lmtp.ILmtpSessionFactory>(sp => sp.GetRequiredService<ListInbox>());
        return services;
    }

    private static FixedWindowRateLimiterOptions Hourly(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromHours(1), QueueLimit = 0, AutoReplenishment = true };
}
