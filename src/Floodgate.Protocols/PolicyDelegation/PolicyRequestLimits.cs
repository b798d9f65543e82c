namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>
/// Bounds on one policy request. Postfix sends about 30 short lines (well under 4 KB); the defaults leave
/// room for long certificate subjects while keeping a hostile client's cost per connection small.
/// </summary>
public sealed class PolicyRequestLimits
{
    /// <summary>The longest line, name=value without the newline.</summary>
    public int MaxLineLength { get; set; } = 8 * 1024;

    /// <summary>The most attribute lines, known or not, in one request.</summary>
    public int MaxAttributes { get; set; } = 128;

    /// <summary>The most bytes of one request including the terminating empty line.</summary>
    public int MaxRequestSize { get; set; } = 64 * 1024;

    public void Validate()
    {
        if (MaxLineLength < 64 || MaxAttributes < 1 || MaxRequestSize < MaxLineLength)
        {
            throw new ArgumentException(
                $"Policy request limits are inconsistent: MaxLineLength={MaxLineLength} (>= 64), MaxAttributes={MaxAttributes} (>= 1), MaxRequestSize={MaxRequestSize} (>= MaxLineLength).");
        }
    }
}
