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

    /// <summary>
    /// A detection of a sender that an offense of its client raised at most this long before (or after)
    /// has already stopped (the mailbox suspended, its domain suspended, or the client terminated, and
    /// not lifted since) is that offense again, not a step of its own: two sessions or two nodes that
    /// catch one run at the same moment. One node refuses such a sender at once; another node may not
    /// know for a poll (1 s) or a slow write (5 s), so a few minutes cover it.
    /// </summary>
    public TimeSpan RepeatWindow { get; set; } = TimeSpan.FromMinutes(10);
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
