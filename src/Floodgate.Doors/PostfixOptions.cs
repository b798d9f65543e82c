using System.Net;
using Floodgate.Core.Transactions;

namespace Floodgate.Doors;

/// <summary>Where a mailbox name is taken from when Postfix asks about a transaction (the setting's words).</summary>
public static class MailboxSources
{
    /// <summary>The SASL login (policy: sasl_username; milter: {auth_authen}).</summary>
    public const string SaslUsername = "sasl_username";

    /// <summary>The envelope sender; only for clients in TrustedNetworks (the provider's own MTAs).</summary>
    public const string Sender = "sender";
}

/// <summary>What the policy door does with an authenticated login Floodgate does not know.</summary>
public enum UnknownLoginAction
{
    /// <summary>451 4.7.1: the client retries, the abuse desk sees it (log, metric) and provisions the mailbox.</summary>
    Defer,

    /// <summary>550 5.7.1.</summary>
    Reject,

    /// <summary>No opinion: Postfix's own restrictions decide (unlimited: no cap, no windows).</summary>
    Dunno,
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
    /// How long the state of one message (keyed by Postfix's instance attribute) waits for its next
    /// request; then it is completed as relayed (counted), since Postfix never says a message was not sent.
    /// </summary>
    public TimeSpan TransactionTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Open transactions kept at most; beyond it new transactions are deferred (4.3.2) rather than let through uncapped.</summary>
    public int MaxTransactions { get; set; } = 100_000;

    /// <summary>An authenticated login that names no mailbox of Floodgate's: defer (default), reject or dunno.</summary>
    public UnknownLoginAction UnknownLogin { get; set; } = UnknownLoginAction.Defer;
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

    /// <summary>
    /// Content kept in memory per message before the rest goes to the spool; the fingerprint reads the
    /// first bytes up to this size (a message's text comes before its attachments).
    /// </summary>
    public int MaxBodySize { get; set; } = 32 * 1024 * 1024;
}

/// <summary>Defaults and checks of the Postfix doors' settings.</summary>
public static class PostfixOptions
{
    public static void ApplyDefaults(PolicyDelegationOptions policy, MilterOptions milter)
    {
        if (policy.Listen.Count == 0 && policy.UnixSocket is null)
        {
            policy.Listen.Add("127.0.0.1:10040");
        }

        if (policy.MailboxFrom.Count == 0)
        {
            policy.MailboxFrom.AddRange([MailboxSources.SaslUsername, MailboxSources.Sender]);
        }

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

    public static void Validate(PolicyDelegationOptions policy, MilterOptions milter, Func<string, bool> isEndPoint, List<string> errors)
    {
        ValidateListeners("PolicyDelegation", policy.Enabled, policy.Listen, policy.UnixSocket, isEndPoint, errors);
        ValidateSources("PolicyDelegation", policy.MailboxFrom, policy.TrustedNetworks, errors);
        if (policy.TransactionTimeout <= TimeSpan.Zero)
        {
            errors.Add("PolicyDelegation:TransactionTimeout: must be positive");
        }

        if (policy.MaxTransactions < 1)
        {
            errors.Add("PolicyDelegation:MaxTransactions: must be at least 1");
        }

        if (!Enum.IsDefined(policy.UnknownLogin))
        {
            errors.Add("PolicyDelegation:UnknownLogin: must be one of Defer, Reject, Dunno");
        }

        ValidateListeners("Milter", milter.Enabled, milter.Listen, milter.UnixSocket, isEndPoint, errors);
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

    /// <summary>The setting's words as the resolver's sources; unbound options (no ApplyDefaults) take the login only, the safe choice.</summary>
    public static SenderSource[] Sources(List<string> mailboxFrom)
    {
        if (mailboxFrom.Count == 0)
        {
            return [SenderSource.Login];
        }

        var result = new SenderSource[mailboxFrom.Count];
        for (var i = 0; i < mailboxFrom.Count; i++)
        {
            result[i] = mailboxFrom[i] == MailboxSources.Sender ? SenderSource.EnvelopeSender : SenderSource.Login;
        }

        return result;
    }

    private static void ValidateListeners(string section, bool enabled, List<string> listen, string? unixSocket, Func<string, bool> isEndPoint, List<string> errors)
    {
        for (var i = 0; i < listen.Count; i++)
        {
            if (!isEndPoint(listen[i]))
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
