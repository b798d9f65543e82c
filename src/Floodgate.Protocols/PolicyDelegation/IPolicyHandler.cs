namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// Decides one policy request. Called on the connection's task, once per request, in request order:
/// the next request of a connection waits for this answer. Calls for different connections run
/// concurrently. The request is valid until the returned task completes. A decision that waits on
/// something (a shared store) returns a pending task instead of blocking a thread; one that does not
/// returns a completed one, which costs nothing.
/// An exception is logged and answered with <see cref="PolicyReply.ServiceUnavailable"/>.
/// </summary>
public interface IPolicyHandler
{
    ValueTask<PolicyReply> DecideAsync(PolicyRequest request);
}

/// <summary>The default handler: no opinion on anything, so Postfix applies its own restrictions.</summary>
public sealed class DunnoPolicyHandler : IPolicyHandler
{
    public static DunnoPolicyHandler Instance { get; } = new();

    public ValueTask<PolicyReply> DecideAsync(PolicyRequest request) => ValueTask.FromResult(PolicyReply.Dunno);
}
