using System.Net;
using Floodgate.Protocols.Milter;

namespace Floodgate.LoadGen.Milter;

/// <summary>
/// The milter floor: Floodgate's milter library with a session that does no work. It asks Postfix for
/// the same steps Floodgate's milter does (headers and body, no HELO, DATA or unknown commands, no
/// reply at end of headers) and adds one header at the end, so what it costs beside "no milter" is
/// what any milter that reads the message pays: Postfix's milter client and the protocol.
/// </summary>
internal sealed class NoopMilter(IPEndPoint endpoint)
{
    private const MilterProtocolFlags SameStepsAsFloodgate =
        MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoData | MilterProtocolFlags.NoUnknown | MilterProtocolFlags.NoReplyEndOfHeaders;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var options = new MilterServerOptions { TcpEndPoints = [endpoint.ToString()], SkippedSteps = SameStepsAsFloodgate };
        await using var server = new MilterServer(options, new Sessions());
        await server.StartAsync(cancellationToken);
        Console.WriteLine($"noop milter listening on {string.Join(", ", server.LocalEndPoints)}");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await server.StopAsync(CancellationToken.None);
    }

    private sealed class Sessions : IMilterSessionFactory
    {
        public IMilterSession Open(MilterConnectionInfo connection) => new Session();
    }

    private sealed class Session : MilterSession
    {
        public override ValueTask<MilterDecision> OnEndOfMessageAsync(MilterEndOfMessage message, CancellationToken cancellationToken)
        {
            message.AddHeader("X-Noop-Milter", "pass");
            return ValueTask.FromResult(MilterDecision.Continue);
        }
    }
}
