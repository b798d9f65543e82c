namespace Floodgate.Core.Policy;

/// <summary>Settings of the policy engine that are not per plan.</summary>
public sealed class PolicyOptions
{
    /// <summary>Said in every refusal that a person must act on.</summary>
    public string SupportContact { get; set; } = "your provider's support desk";

    /// <summary>Mailings without a working List-Unsubscribe.</summary>
    public BulkOptOutOptions BulkOptOut { get; set; } = new();

    /// <summary>What is wrong with these settings, one line each, named as in the configuration.</summary>
    public List<string> Validate() => BulkOptOut.Validate();
}
