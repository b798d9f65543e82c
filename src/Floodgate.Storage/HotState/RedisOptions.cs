namespace Floodgate.Storage.HotState;

/// <summary>What a scope's windows do while Redis cannot be reached.</summary>
public enum UnavailableRule
{
    /// <summary>Node-local windows at 1/N of the limit: mail keeps flowing, N nodes together stay within it.</summary>
    Local,

    /// <summary>451 4.3.0: nothing is decided without the shared count; the client keeps the message and retries.</summary>
    Refuse,
}

/// <summary>
/// Hot state shared by several nodes (section <c>Redis</c>; <c>serve --redis HOST:PORT</c>). Without
/// <see cref="Configuration"/> every window lives in the process, the single-node default.
/// </summary>
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string: <c>host:port</c>, or <c>host:port,password=...,ssl=true</c>.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefixes every key and channel: deployments (or tests) can share one Redis.</summary>
    public string Prefix { get; set; } = "floodgate:";

    /// <summary>How long a decision waits for Redis before the unavailable rule applies.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>
    /// The N of 1/N for the local fallback. 0: the most nodes seen alive through Redis (each node
    /// announces itself every 2 s); a setting higher than that wins.
    /// </summary>
    public int Nodes { get; set; }

    public UnavailableRule MailboxWhenUnavailable { get; set; } = UnavailableRule.Local;

    public UnavailableRule DomainWhenUnavailable { get; set; } = UnavailableRule.Local;

    public UnavailableRule ClientWhenUnavailable { get; set; } = UnavailableRule.Local;

    public bool Enabled => !string.IsNullOrWhiteSpace(Configuration);

    public List<string> Validate()
    {
        var errors = new List<string>();
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromSeconds(30))
        {
            errors.Add("Redis:Timeout: between 1 ms and 30 s");
        }

        if (Nodes < 0)
        {
            errors.Add("Redis:Nodes: 0 (learn it) or more");
        }

        if (string.IsNullOrEmpty(Prefix))
        {
            errors.Add("Redis:Prefix: required");
        }

        if (Enabled)
        {
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(Configuration!);
            }
            catch (ArgumentException e)
            {
                errors.Add($"Redis:Configuration: {e.Message}");
            }
        }

        return errors;
    }
}
