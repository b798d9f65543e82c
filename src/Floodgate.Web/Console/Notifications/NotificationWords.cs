using Floodgate.Storage.Notifications;

namespace Floodgate.Web.Console.Notifications;

/// <summary>How an attempt ended, in a person's words: a failed attempt that will be tried again is not a failure yet.</summary>
public static class NotificationWords
{
    public static string Attempt(DeliveryState result) => result switch
    {
        DeliveryState.Delivered => "delivered",
        DeliveryState.Pending => "failed, will try again",
        _ => "failed for good",
    };
}
