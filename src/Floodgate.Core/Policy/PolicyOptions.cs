namespace Floodgate.Core.Policy;

/// <summary>Settings of the policy engine that are not per plan.</summary>
public sealed class PolicyOptions
{
    /// <summary>Said in every refusal that a person must act on.</summary>
    public string SupportContact { get; set; } = "your provider's support desk";
}
