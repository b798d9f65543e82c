using Floodgate.Storage.Notifications;
using Microsoft.Extensions.DependencyInjection;

namespace Floodgate.Web.Notifications;

public static class NotificationServices
{
    /// <summary>
    /// The outbox store, the <see cref="HeldNotifier"/> (add it to the engine's observers), and the
    /// dispatcher that sends e-mail through the registered <c>IMessageRelay</c> and <c>MessageSpool</c>
    /// and webhooks over HTTP. Needs <c>PolicyOptions</c> and <see cref="WebOptions"/> registered.
    /// </summary>
    public static IServiceCollection AddFloodgateNotifications(this IServiceCollection services, NotificationOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<NotificationStore>();
        services.AddSingleton<HeldNotifier>();
        services.AddSingleton<NotificationContent>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<EmailSender>();
        services.AddHostedService<NotificationDispatcher>();
        return services;
    }
}
