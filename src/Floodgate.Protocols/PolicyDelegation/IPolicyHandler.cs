namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// Decides one policy request. Called on the connection's task, once per request, in request order;
/// calls for different connections run concurrently. The request is only valid during the call.
/// An exception is logged and answered with <see cref="PolicyReply.ServiceUnavailable"/>.
/// </summary>
public interface IPolicyHandler
{
    PolicyReply Decide(PolicyRequest request);
}

/// <summary>The default handler: no opinion on anything, so Postfix applies its own restrictions.</summary>
public sealed class DunnoPolicyHandler : IPolicyHandler
{
    public static DunnoPolicyHandler Instance { get; } = new();

    public PolicyReply Decide(PolicyRequest request) => PolicyReply.Dunno;
}
