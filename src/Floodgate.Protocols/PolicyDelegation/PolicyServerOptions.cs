using Floodgate.Protocols.Listening;

namespace Floodgate.Protocols.PolicyDelegation;

/// <summary>Where and how the policy server listens. Bind from configuration and call <see cref="Validate"/> at start.</summary>
public sealed class PolicyServerOptions
{
    /// <summary>TCP endpoints such as <c>127.0.0.1:10040</c>; Postfix: <c>check_policy_service inet:127.0.0.1:10040</c>.</summary>
    public List<string> TcpEndPoints { get; set; } = ["127.0.0.1:10040"];

    /// <summary>
    /// An optional unix-domain socket path; Postfix: <c>check_policy_service unix:/path</c> (relative to the
    /// queue directory unless absolute). A stale socket file is removed before binding.
    /// </summary>
    public string? UnixSocketPath { get; set; }

    /// <summary>Mode of the socket file: 0660, so that Postfix (in the socket's group) may connect.</summary>
    public UnixFileMode UnixSocketMode { get; set; } =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Concurrent connections; Postfix opens one per smtpd process that uses the service.</summary>
    public int MaxConnections { get; set; } = 1000;

    /// <summary>
    /// Time a connection may sit between requests. Postfix closes idle policy connections after
    /// smtpd_policy_service_max_idle (300s); waiting slightly longer lets Postfix close first.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(310);

    /// <summary>Time to receive the rest of a started request (Postfix's own smtpd_policy_service_timeout is 100s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public PolicyRequestLimits Limits { get; set; } = new();

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        var tcp = ListenerOptions.ParseEndPoints(TcpEndPoints, "Policy:TcpEndPoints");
        if (tcp.Count == 0 && string.IsNullOrEmpty(UnixSocketPath))
        {
            throw new ArgumentException("Policy: configure at least one TcpEndPoints entry or a UnixSocketPath.");
        }

        ListenerOptions.ValidatePositive(MaxConnections, "Policy:MaxConnections");
        ListenerOptions.ValidatePositive(IdleTimeout, "Policy:IdleTimeout");
        ListenerOptions.ValidatePositive(RequestTimeout, "Policy:RequestTimeout");
        Limits.Validate();
    }
}
