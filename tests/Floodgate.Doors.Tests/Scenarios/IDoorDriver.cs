namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// Puts a submission through one door the way its client does: the real server of Floodgate.Protocols
/// on a loopback port 0, the real door, the world's engine. Replies are read off the wire and
/// translated into a <see cref="ScenarioResult"/>; the driver itself decides nothing.
/// </summary>
public interface IDoorDriver : IAsyncDisposable
{
    Task<ScenarioResult> SendAsync(Submission submission, CancellationToken cancellationToken);

    /// <summary>
    /// After the last submission and a quarter of an hour: whatever a door only learns from the passing
    /// of time has happened (the policy door's expired transactions), and every server has let go of
    /// its connections, so the windows read afterwards are final.
    /// </summary>
    Task SettleAsync(CancellationToken cancellationToken);
}

public static class DoorDrivers
{
    public static async Task<IDoorDriver> StartAsync(DoorKind door, ScenarioWorld world, CancellationToken cancellationToken) => door switch
    {
        DoorKind.Gateway => await GatewayDriver.StartAsync(world, cancellationToken),
        DoorKind.Policy => await PostfixDriver.StartAsync(world, policy: true, milter: false, policyReachable: true, cancellationToken),
        DoorKind.Milter => await PostfixDriver.StartAsync(world, policy: false, milter: true, policyReachable: false, cancellationToken),
        DoorKind.PolicyAndMilter => await PostfixDriver.StartAsync(world, policy: true, milter: true, policyReachable: true, cancellationToken),
        _ => await PostfixDriver.StartAsync(world, policy: true, milter: true, policyReachable: false, cancellationToken),
    };

    /// <summary>"550 5.7.1 text" as (reply, text): the code and, when there is one, the enhanced code (RFC 3463).</summary>
    public static (string Reply, string Text) SplitReply(string line)
    {
        var parts = line.Split(' ', 3);
        if (parts.Length >= 2 && parts[1].Length >= 5 && char.IsAsciiDigit(parts[1][0]) && parts[1][1] == '.')
        {
            return (parts[0] + " " + parts[1], parts.Length == 3 ? parts[2] : string.Empty);
        }

        return (parts[0], line.Length > parts[0].Length ? line[(parts[0].Length + 1)..] : string.Empty);
    }

    /// <summary>Polls until <paramref name="done"/>, for what a server does after its last reply (closing a session).</summary>
    public static async Task WaitForAsync(Func<bool> done, string what, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 500; i++)
        {
            if (done())
            {
                return;
            }

            await Task.Delay(10, cancellationToken);
        }

        throw new TimeoutException("waited 5 s for " + what);
    }
}
