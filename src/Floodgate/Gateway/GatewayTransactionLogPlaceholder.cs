using Floodgate.Protocols.Smtp;

namespace Floodgate.Gateway;

// PLACEHOLDER (enforcement branch): main's GatewaySession/GatewayServices name a gateway-side
// TransactionLog that no branch has committed yet, so the host did not compile. This keeps the
// host building; delete this file when the gateway's real TransactionLog lands.
internal sealed class TransactionLog
{
    public SmtpReply Record(GatewayRecord record, string? upstreamText, SmtpReply reply, string reason, string outcome, long started, long relayMicros) => reply;
}
