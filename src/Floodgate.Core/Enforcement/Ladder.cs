namespace Floodgate.Core.Enforcement;

/// <summary>What an offense does, by its rank among the client's offenses in the look-back.</summary>
public enum LadderStep
{
    SuspendMailbox = 1,
    SuspendDomain = 2,
    TerminateClient = 3,
}

public sealed class LadderOptions
{
    /// <summary>Offenses older than this no longer count towards the client's step.</summary>
    public TimeSpan LookBack { get; set; } = TimeSpan.FromDays(365);
}

/// <summary>
/// The policy's escalation: 1st offense the mailbox is suspended, 2nd the whole domain, 3rd the
/// client is terminated from the network. Counted per client over the look-back.
/// </summary>
public static class Ladder
{
    /// <param name="priorOffenseTimes">When the client's earlier offenses were raised.</param>
    public static LadderStep StepFor(IEnumerable<DateTimeOffset> priorOffenseTimes, DateTimeOffset now, LadderOptions options)
    {
        var counted = 0;
        foreach (var at in priorOffenseTimes)
        {
            if (now - at < options.LookBack)
            {
                counted++;
            }
        }

        return counted switch
        {
            0 => LadderStep.SuspendMailbox,
            1 => LadderStep.SuspendDomain,
            _ => LadderStep.TerminateClient,
        };
    }

    public static string Describe(LadderStep step) => step switch
    {
        LadderStep.SuspendMailbox => "1st offense: mailbox suspended",
        LadderStep.SuspendDomain => "2nd offense: domain suspended",
        _ => "3rd offense: client terminated from the network",
    };
}
