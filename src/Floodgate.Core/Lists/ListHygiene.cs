using Floodgate.Core.Bounces;

namespace Floodgate.Core.Lists;

/// <summary>Whose problem a failed delivery is.</summary>
public enum BounceImpact
{
    /// <summary>The address is dead: counts against the member with the hard weight.</summary>
    MemberHard,

    /// <summary>The address is unwell (full, suspended, timing out): counts with the soft weight.</summary>
    MemberSoft,

    /// <summary>A refusal for policy, reputation or content: the sender's problem, an abuse signal, never the member's.</summary>
    Sender,
}

/// <summary>Settings of list hygiene (Mailman 3's bounce_score_threshold, bounce_info_stale_after and bounce_you_are_disabled_* play these parts).</summary>
public sealed class HygieneOptions
{
    public double HardWeight { get; set; } = 1.0;

    public double SoftWeight { get; set; } = 0.5;

    /// <summary>A score with no bounce for this long starts again from zero.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>At this score the member gets no more posts and is sent a re-enable link.</summary>
    public double DisableScore { get; set; } = 3.0;

    /// <summary>At this score (bounces to the re-enable notices, late bounces) the member is removed.</summary>
    public double RemoveScore { get; set; } = 5.0;

    /// <summary>A member disabled this long without re-enabling is removed.</summary>
    public TimeSpan RemoveAfterDisabled { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long a re-enable link works.</summary>
    public TimeSpan ReenableLinkLifetime { get; set; } = TimeSpan.FromDays(30);

    public IEnumerable<string> Validate()
    {
        if (HardWeight <= 0 || SoftWeight < 0)
            yield return "Lists:Hygiene: HardWeight must be above 0 and SoftWeight at least 0.";
        if (DisableScore <= 0 || RemoveScore < DisableScore)
            yield return "Lists:Hygiene: DisableScore must be above 0 and RemoveScore at least DisableScore.";
        if (StaleAfter <= TimeSpan.Zero || RemoveAfterDisabled <= TimeSpan.Zero || ReenableLinkLifetime <= TimeSpan.Zero)
            yield return "Lists:Hygiene: StaleAfter, RemoveAfterDisabled and ReenableLinkLifetime must be positive.";
    }
}

/// <summary>A member's bounce score, as stored.</summary>
public readonly record struct BounceScore(double Score, DateTimeOffset? LastBounceAt, double CountedToday);

/// <summary>What one bounce does to a member.</summary>
public enum HygieneAction
{
    None,
    Disable,
    Remove,
}

/// <summary>
/// The bounce score: hard and soft weighted differently, counted at most once a UTC day (a run of
/// retries or several posts bouncing on one day is one bad day, not many), starting again after a
/// quiet spell. Pure: the store applies the result.
/// </summary>
public static class ListHygiene
{
    public static BounceImpact ImpactOf(BounceReason reason, bool hard)
    {
        if (hard)
        {
            return BounceImpact.MemberHard;
        }

        return reason switch
        {
            // The recipient's side: its mailbox or its system, or mail that could not get there.
            BounceReason.MailboxFull or BounceReason.Suspend or BounceReason.SystemFull or BounceReason.Expired
                or BounceReason.NetworkError or BounceReason.SystemError or BounceReason.MailerError
                or BounceReason.NotAccept or BounceReason.Filtered or BounceReason.OnHold
                or BounceReason.Undefined or BounceReason.ExceedLimit => BounceImpact.MemberSoft,

            // Policy, reputation, content, rate, authentication: what the sender did (RFC 3463 5.7.x and friends).
            _ => BounceImpact.Sender,
        };
    }

    public static BounceScore Apply(BounceScore current, BounceImpact impact, DateTimeOffset at, HygieneOptions options)
    {
        if (impact == BounceImpact.Sender)
        {
            return current;
        }

        var weight = impact == BounceImpact.MemberHard ? options.HardWeight : options.SoftWeight;
        var score = Current(current, at, options);
        var counted = 0.0;
        if (current.LastBounceAt is { } last && last.UtcDateTime.Date == at.UtcDateTime.Date && score > 0)
        {
            // Already counted today: only a harder bounce raises the day's weight to its own.
            counted = current.CountedToday;
        }

        var added = Math.Max(0, weight - counted);
        return new BounceScore(score + added, Later(current.LastBounceAt, at), Math.Max(counted, weight));
    }

    /// <summary>The score as of now: zero once it has gone stale.</summary>
    public static double Current(BounceScore score, DateTimeOffset now, HygieneOptions options) =>
        score.LastBounceAt is { } last && now - last <= options.StaleAfter ? score.Score : 0;

    public static HygieneAction Decide(double score, bool disabled, DateTimeOffset? disabledAt, DateTimeOffset now, HygieneOptions options)
    {
        if (score >= options.RemoveScore || (disabled && disabledAt is { } d && now - d >= options.RemoveAfterDisabled))
        {
            return HygieneAction.Remove;
        }

        return !disabled && score >= options.DisableScore ? HygieneAction.Disable : HygieneAction.None;
    }

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
