using System.Net;
using Floodgate.Protocols.Milter;

namespace Floodgate.LoadGen.Milter;

/// <summary>
/// The milter floor: Floodgate's milter library with a session that does no work. It asks Postfix for
/// the same steps Floodgate's milter does (headers and body, no HELO, DATA or unknown commands, no
/// reply at end of headers) and adds one header at the end, so what it costs beside "no milter" is
/// what any milter that reads the message pays: Postfix's milter client and the protocol.
/// With <paramref name="endOfMessageOnly"/> it asks Postfix to leave out every step it can (and not to
/// wait for a reply where a step is still sent): the floor of any milter, even one that reads nothing.
/// </summary>
internal sealed class NoopMilter(IPEndPoint endpoint, bool endOfMessageOnly)
{
    private const MilterProtocolFlags SameStepsAsFloodgate =
        MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoData | MilterProtocolFlags.NoUnknown | MilterProtocolFlags.NoReplyEndOfHeaders;

    // Every No* and NoReply* flag (bench/load/libmilter-noop.c -s eom-only asks the same); only end of
    // message has no such flag, so it is the one step Postfix still sends and waits for.
    private const MilterProtocolFlags EveryStepButEndOfMessage =
        MilterProtocolFlags.NoConnect | MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoMail | MilterProtocolFlags.NoRcpt
        | MilterProtocolFlags.NoBody | MilterProtocolFlags.NoHeaders | MilterProtocolFlags.NoEndOfHeaders | MilterProtocolFlags.NoUnknown
        | MilterProtocolFlags.NoData | MilterProtocolFlags.NoReplyConnect | MilterProtocolFlags.NoReplyHelo | MilterProtocolFlags.NoReplyMail
        | MilterProtocolFlags.NoReplyRcpt | MilterProtocolFlags.NoReplyData | MilterProtocolFlags.NoReplyUnknown
        | MilterProtocolFlags.NoReplyEndOfHeaders | MilterProtocolFlags.NoReplyHeader | MilterProtocolFlags.NoReplyBody;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var skipped = endOfMessageOnly ? EveryStepButEndOfMessage : SameStepsAsFloodgate;
        var options = new MilterServerOptions { TcpEndPoints = [endpoint.ToString()], SkippedSteps = skipped };
        options.Validate();
        await using var server = new MilterServer(options, new Sessions());
        await server.StartAsync(cancellationToken);
        Console.WriteLine($"noop milter ({(endOfMessageOnly ? "eom-only" : "same")}) listening on {string.Join(", ", server.LocalEndPoints)}");
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
