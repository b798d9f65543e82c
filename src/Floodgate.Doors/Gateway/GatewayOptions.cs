namespace Floodgate.Doors.Gateway;

/// <summary>`Smtp`: the submission gateway's listeners, TLS, AUTH and limits.</summary>
public sealed class SmtpOptions
{
    /// <summary>Plain listeners (STARTTLS offered when a certificate is available). Add 0.0.0.0:587 for submission.</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>Implicit-TLS listeners (RFC 8314 submissions, port 465).</summary>
    public List<string> ImplicitTlsListen { get; set; } = [];

    public string Hostname { get; set; } = System.Net.Dns.GetHostName();

    /// <summary>PKCS#12 (.pfx) file. Without one, a self-signed certificate is generated into the data folder.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>AUTH without TLS from loopback clients (local tools, tests). Never from other addresses unless AllowPlaintextAuth.</summary>
    public bool AllowPlaintextAuthOnLoopback { get; set; } = true;

    public bool AllowPlaintextAuth { get; set; }

    /// <summary>Networks that may submit without AUTH, naming the mailbox by the envelope sender (the provider's own MTAs, benchmarks). Empty by default.</summary>
    public List<string> TrustedNetworks { get; set; } = [];

    /// <summary>
    /// Load balancers (CIDR) whose connections start with a PROXY v1 or v2 header naming the client:
    /// the client's address, not the balancer's, then counts for the per-address limit, the trusted
    /// networks and plaintext AUTH on loopback. Empty by default: no header is believed.
    /// </summary>
    public List<string> ProxyFrom { get; set; } = [];

    public int MaxConnections { get; set; } = 2000;

    public int MaxConnectionsPerAddress { get; set; } = 200;

    public long MaxMessageSize { get; set; } = 35 * 1024 * 1024;

    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>NOOP, RSET, HELP and VRFY without a message accepted in between, before 421 and a close (Postfix: smtpd_junk_command_limit).</summary>
    public int MaxJunkCommands { get; set; } = 100;

    /// <summary>A session older than this is closed (421) at its next command outside DATA.</summary>
    public TimeSpan MaxSessionLifetime { get; set; } = TimeSpan.FromHours(1);
}
