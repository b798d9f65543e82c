using Microsoft.Extensions.Logging;

namespace Floodgate.Protocols.Lmtp;

internal static partial class LmtpServerLog
{
    [LoggerMessage(201, LogLevel.Error, "LMTP delivery failed; {Recipients} recipients deferred with 451 4.3.0")]
    public static partial void DeliveryFailed(ILogger logger, int recipients, Exception exception);
}
