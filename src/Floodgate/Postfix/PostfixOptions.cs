using System.Net;
using Floodgate.Hosting;

namespace Floodgate.Postfix;

/// <summary>Where a mailbox name is taken from when Postfix asks about a transaction.</summary>
public static class MailboxSources
{
    /// <summary>The SASL login (policy: sasl_username; milter: {auth_authen}).</summary>
    public const string SaslUsername = "sasl_username";

    /// <summary>The envelope sender; only for clients in TrustedNetworks (the provider's own MTAs).</summary>
    public const string Sender = "sender";
}

/// <summary>`PolicyDelegation`: the check_policy_service front door.</summary>
public sealed class PolicyDelegationOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>TCP listeners; default 127.0.0.1:10040 (filled in by ApplyDefaults).</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>Optional unix socket; Postfix: check_policy_service unix:/path.</summary>
    public string? UnixSocket { get; set; }

    /// <summary>Order of the mailbox sources; default sasl_username, then sender (trusted clients only).</summary>
    public List<string> MailboxFrom { get; set; } = [];

    /// <summary>Client addresses (CIDR) whose envelope sender may name the mailbox. Empty by default.</summary>
    public List<string> TrustedNetworks { get; set; } = [];

    /// <summary>
    /// How long the state of one message (keyed by Postfix's instance attribute) is kept without a
    /// request; an abandoned transaction (RSET, lost client) never sends END-OF-MESSAGE.
    /// </summary>
    public TimeSpan TransactionTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Open transactions kept at most; beyond it new transactions are deferred (4.3.2) rather than let through uncapped.</summary>
    public int MaxTransactions { get; set; } = 100_000;
}

/// <summary>`Milter`: the smtpd_milters front door.</summary>
public sealed class MilterOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>TCP listeners; default 127.0.0.1:10041 (filled in by ApplyDefaults).</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>Optional unix socket; Postfix: smtpd_milters = unix:/path.</summary>
    public string? UnixSocket { get; set; }

    /// <summary>Order of the mailbox sources: {auth_authen}, then {mail_addr} for trusted clients.</summary>
    public List<string> MailboxFrom { get; set; } = [];

    public List<string> TrustedNetworks { get; set; } = [];

    /// <summary>Adds <c>X-Floodgate-Verdict: pass</c> to accepted messages.</summary>
    public bool AddVerdictHeader { get; set; } = true;

    /// <summary>What a hold verdict becomes: quarantine (Postfix hold queue) or tempfail (451, the client retries).</summary>
    public string HoldAction { get; set; } = "quarantine";

    /// <summary>
    /// Whether the milter enforces RCPT (cap, rates) and counts accepted messages in the windows and the
    /// transaction log. Null: only when the policy door is disabled, so one message is never counted twice.
    /// </summary>
    public bool? CountInWindows { get; set; }

    /// <summary>Largest message kept for fingerprinting; a bigger one is inspected on its first bytes only.</summary>
    public int MaxBodySize { get; set; } = 32 * 1024 * 1024;
}

internal static class PostfixOptionsValidation
{
    public static void ApplyDefaults(FloodgateOptions options)
    {
        var policy = options.PolicyDelegation;
        if (policy.Listen.Count == 0 && policy.UnixSocket is null)
        {
            policy.Listen.Add("127.0.0.1:10040");
        }

        if (policy.MailboxFrom.Count == 0)
        {
            policy.MailboxFrom.AddRange([MailboxSources.SaslUsername, MailboxSources.Sender]);
        }

        var milter = options.Milter;
        if (milter.Listen.Count == 0 && milter.UnixSocket is null)
        {
            milter.Listen.Add("127.0.0.1:10041");
        }

        if (milter.MailboxFrom.Count == 0)
        {
            milter.MailboxFrom.AddRange([MailboxSources.SaslUsername, MailboxSources.Sender]);
        }

        milter.CountInWindows ??= !policy.Enabled;
    }

    public static void Validate(FloodgateOptions options, List<string> errors)
    {
        var policy = options.PolicyDelegation;
        ValidateListeners("PolicyDelegation", policy.Enabled, policy.Listen, policy.UnixSocket, errors);
        ValidateSources("PolicyDelegation", policy.MailboxFrom, policy.TrustedNetworks, errors);
        if (policy.TransactionTimeout <= TimeSpan.Zero)
        {
            errors.Add("PolicyDelegation:TransactionTimeout: must be positive");
        }

        if (policy.MaxTransactions < 1)
        {
            errors.Add("PolicyDelegation:MaxTransactions: must be at least 1");
        }

        var milter = options.Milter;
        ValidateListeners("Milter", milter.Enabled, milter.Listen, milter.UnixSocket, errors);
        ValidateSources("Milter", milter.MailboxFrom, milter.TrustedNetworks, errors);
        if (milter.HoldAction is not ("quarantine" or "tempfail"))
        {
            errors.Add($"Milter:HoldAction: '{milter.HoldAction}' is not one of quarantine, tempfail");
        }

        if (milter.MaxBodySize < 64 * 1024)
        {
            errors.Add("Milter:MaxBodySize: must be at least 65536 bytes");
        }
    }

    public static IPNetwork[] Networks(List<string> networks)
    {
        var result = new IPNetwork[networks.Count];
        for (var i = 0; i < networks.Count; i++)
        {
            result[i] = IPNetwork.Parse(networks[i]);
        }

        return result;
    }

    private static void ValidateListeners(string section, bool enabled, List<string> listen, string? unixSocket, List<string> errors)
    {
        for (var i = 0; i < listen.Count; i++)
        {
            if (!Endpoints.TryParse(listen[i], out _))
            {
                errors.Add($"{section}:Listen:{i}: '{listen[i]}' is not an address:port (for example 127.0.0.1:10040)");
            }
        }

        if (enabled && listen.Count == 0 && string.IsNullOrWhiteSpace(unixSocket))
        {
            errors.Add($"{section}:Listen: at least one listening address or a UnixSocket is needed (or set {section}:Enabled to false)");
        }
    }

    private static void ValidateSources(string section, List<string> sources, List<string> trusted, List<string> errors)
    {
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not (MailboxSources.SaslUsername or MailboxSources.Sender))
            {
                errors.Add($"{section}:MailboxFrom:{i}: '{sources[i]}' is not one of sasl_username, sender");
            }
        }

        for (var i = 0; i < trusted.Count; i++)
        {
            if (!IPNetwork.TryParse(trusted[i], out _))
            {
                errors.Add($"{section}:TrustedNetworks:{i}: '{trusted[i]}' is not a network in CIDR form (for example 10.0.0.0/8)");
            }
        }
    }
}
