using System.Net;
using System.Security.Cryptography.X509Certificates;
using Floodgate.Protocols.Content;

namespace Floodgate.Protocols.Smtp;

public enum SmtpListenerMode
{
    /// <summary>Plain text with STARTTLS offered when a certificate is configured (RFC 3207; submission on 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (RFC 8314 3.3; submissions on 465). Needs a certificate.</summary>
    ImplicitTls,
}

public sealed class SmtpListenerOptions
{
    /// <summary>Address and port to bind; port 0 picks a free port (see <see cref="SmtpServer.EndPoints"/>).</summary>
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Loopback, 587);

    /// <summary>Given to the session in <see cref="SmtpConnectionInfo.ListenerName"/> and used in logs.</summary>
    public string Name { get; set; } = "submission";

    public SmtpListenerMode Mode { get; set; } = SmtpListenerMode.StartTls;

    /// <summary>
    /// Load balancers whose connections start with a PROXY header (v1 or v2) naming the real client.
    /// Only these are believed: a connection from anywhere else is its own client, and a PROXY line
    /// it sends is an unknown command. A connection from one of these without a valid header is closed.
    /// </summary>
    public List<IPNetwork> ProxyFrom { get; } = [];
}

public sealed class SmtpServerOptions
{
    public List<SmtpListenerOptions> Listeners { get; } = [];

    /// <summary>The name in the 220 greeting and the EHLO reply.</summary>
    public string HostName { get; set; } = "localhost";

    /// <summary>Advertised as SIZE (RFC 1870) and enforced on MAIL SIZE= and on the received message.</summary>
    public long MaxMessageSize { get; set; } = 35L * 1024 * 1024;

    public int MaxConnections { get; set; } = 2000;

    /// <summary>
    /// 100: an office behind one NAT address can run a mail client per person, and one address still
    /// cannot take more than a twentieth of the default <see cref="MaxConnections"/>.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 100;

    /// <summary>Waiting for a command (RFC 5321 4.5.3.2.7: at least 5 minutes).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Waiting for the next piece of message content (RFC 5321 4.5.3.2.5: 3 minutes per data block).</summary>
    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Command line length including CRLF (RFC 5321 4.5.3.1.4: 512 at least; 1000 is the text line
    /// limit and leaves room for long MAIL parameters). Message lines have no cap of their own: the
    /// message as a whole is bounded by <see cref="MaxMessageSize"/>.
    /// </summary>
    public int MaxLineLength { get; set; } = 1000;

    /// <summary>Unknown, malformed or out-of-order commands before 421 and disconnect.</summary>
    public int MaxBadCommands { get; set; } = 10;

    /// <summary>
    /// NOOP, RSET, HELP and VRFY without progress before 421 4.7.0 and disconnect; a message the
    /// session accepts starts the count again. 100 as Postfix's smtpd_junk_command_limit: a client
    /// that keeps a connection busy without sending mail holds one of the connection slots.
    /// </summary>
    public int MaxJunkCommands { get; set; } = 100;

    /// <summary>
    /// How long one connection may last: at the next command after it (never inside DATA) the
    /// server answers 421 4.4.2 and closes (RFC 5321 3.8). A client sends its next messages on a
    /// new connection, so a slow drip cannot hold a slot for ever.
    /// </summary>
    public TimeSpan MaxSessionLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Where DATA content goes (memory up to a threshold, then spool files). Shared with other
    /// doors of the process; the server does not dispose it. Null: the server makes its own with
    /// the defaults in a temporary folder, and deletes the folder when it is disposed.
    /// </summary>
    public MessageSpool? Spool { get; set; }

    /// <summary>How long <see cref="SmtpServer.StopAsync"/> lets open transactions finish before closing them.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public int ListenBacklog { get; set; } = 512;

    /// <summary>How long a trusted balancer has to send its PROXY header after connecting.</summary>
    public TimeSpan ProxyHeaderTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Without one, STARTTLS is not offered and implicit TLS listeners cannot start.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Throws with a message naming the bad setting; called by StartAsync before any port opens.</summary>
    public void Validate()
    {
        if (Listeners.Count == 0)
        {
            throw new InvalidOperationException("SmtpServerOptions.Listeners is empty.");
        }

        foreach (var listener in Listeners)
        {
            if (listener.Mode == SmtpListenerMode.ImplicitTls && Certificate is null)
            {
                throw new InvalidOperationException($"SMTP listener '{listener.Name}' uses implicit TLS but no certificate is configured.");
            }
        }

        if (string.IsNullOrWhiteSpace(HostName) || !System.Text.Ascii.IsValid(HostName) || HostName.AsSpan().IndexOfAny(" \r\n\t") >= 0)
        {
            throw new InvalidOperationException($"SmtpServerOptions.HostName '{HostName}' must be a plain ASCII host name.");
        }

        Check(MaxMessageSize > 0, nameof(MaxMessageSize), "must be positive");
        Check(MaxConnections > 0, nameof(MaxConnections), "must be positive");
        Check(MaxConnectionsPerAddress > 0, nameof(MaxConnectionsPerAddress), "must be positive");
        Check(CommandTimeout > TimeSpan.Zero, nameof(CommandTimeout), "must be positive");
        Check(DataTimeout > TimeSpan.Zero, nameof(DataTimeout), "must be positive");
        Check(MaxLineLength >= 512, nameof(MaxLineLength), "must be at least 512 (RFC 5321 4.5.3.1.4)");
        Check(MaxBadCommands > 0, nameof(MaxBadCommands), "must be positive");
        Check(MaxJunkCommands > 0, nameof(MaxJunkCommands), "must be positive");
        Check(MaxSessionLifetime > TimeSpan.Zero, nameof(MaxSessionLifetime), "must be positive");
        Check(ShutdownTimeout >= TimeSpan.Zero, nameof(ShutdownTimeout), "must not be negative");
        Check(ListenBacklog > 0, nameof(ListenBacklog), "must be positive");
        Check(ProxyHeaderTimeout > TimeSpan.Zero, nameof(ProxyHeaderTimeout), "must be positive");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"SmtpServerOptions.{name} {rule}.");
        }
    }
}
