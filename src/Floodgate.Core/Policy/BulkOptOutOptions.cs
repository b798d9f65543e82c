namespace Floodgate.Core.Policy;

/// <summary>What the bulk opt-out rule does with a message that looks bulk and carries no working List-Unsubscribe.</summary>
public enum BulkOptOutMode
{
    /// <summary>Refuse it (550 5.7.1).</summary>
    Refuse,

    /// <summary>Accept it; log and count what Refuse would have done (the roll-out).</summary>
    Observe,

    /// <summary>The rule does not run.</summary>
    Off,
}

/// <summary>
/// The bulk opt-out rule (configuration section <c>Policy:BulkOptOut</c>): a message that looks like
/// a mailing must let its recipients leave it (RFC 2369 List-Unsubscribe), or go through the
/// provider's mailing-list service.
/// </summary>
public sealed class BulkOptOutOptions
{
    public BulkOptOutMode Mode { get; set; } = BulkOptOutMode.Refuse;

    /// <summary>
    /// From this many external recipients a message looks bulk. 100: a business's mail to a few dozen
    /// partners or colleagues abroad is ordinary correspondence, a hundred strangers at once is not.
    /// </summary>
    public int ExternalRecipients { get; set; } = 100;

    /// <summary>A Precedence of bulk, list or junk, or list header fields (List-Id, List-Post, …), make a message look bulk whatever its recipients.</summary>
    public bool HeadersMakeBulk { get; set; } = true;

    /// <summary>What is wrong with these settings, one line each, named as in the configuration.</summary>
    public List<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Mode))
        {
            errors.Add($"Policy:BulkOptOut:Mode: '{Mode}' is not one of Refuse, Observe, Off");
        }

        if (ExternalRecipients < 1)
        {
            errors.Add("Policy:BulkOptOut:ExternalRecipients: must be at least 1 (Mode=Off turns the rule off)");
        }

        return errors;
    }
}
