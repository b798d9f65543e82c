using System.Net;
using Floodgate.Protocols.Content;

namespace Floodgate.Protocols.Lmtp;

public sealed class LmtpServerOptions
{
    /// <summary>
    /// TCP endpoints; Postfix: <c>lists.example.com lmtp:inet:127.0.0.1:10042</c> in transport_maps.
    /// Port 0 picks a free port (see <see cref="LmtpServer.EndPoints"/>).
    /// </summary>
    public List<IPEndPoint> EndPoints { get; } = [];

    /// <summary>The name in the 220 greeting and the LHLO reply.</summary>
    public string HostName { get; set; } = "localhost";

    /// <summary>Advertised as SIZE (RFC 1870) and enforced; 25 MB holds a bounce that quotes a big message.</summary>
    public long MaxMessageSize { get; set; } = 25L * 1024 * 1024;

    /// <summary>Recipients per transaction; past it, 452 4.5.3 and the MTA sends the rest in another (RFC 5321 4.5.3.1.10: at least 100).</summary>
    public int MaxRecipients { get; set; } = 1000;

    /// <summary>Postfix delivers with up to default_destination_concurrency_limit (20) connections per destination.</summary>
    public int MaxConnections { get; set; } = 100;

    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Command line length including CRLF (RFC 5321 4.5.3.1.4: at least 512).</summary>
    public int MaxLineLength { get; set; } = 1000;

    /// <summary>Unknown, malformed or out-of-order commands before 421 and disconnect.</summary>
    public int MaxBadCommands { get; set; } = 10;

    /// <summary>Where DATA content goes; shared with the other doors, not disposed by the server. Null: the server's own in a temporary folder.</summary>
    public MessageSpool? Spool { get; set; }

    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws with a message naming the bad setting; called by StartAsync before any port opens.</summary>
    public void Validate()
    {
        Check(EndPoints.Count > 0, nameof(EndPoints), "is empty");
        Check(MaxMessageSize > 0, nameof(MaxMessageSize), "must be positive");
        Check(MaxRecipients >= 1, nameof(MaxRecipients), "must be positive");
        Check(MaxConnections > 0, nameof(MaxConnections), "must be positive");
        Check(CommandTimeout > TimeSpan.Zero, nameof(CommandTimeout), "must be positive");
        Check(DataTimeout > TimeSpan.Zero, nameof(DataTimeout), "must be positive");
        Check(MaxLineLength >= 512, nameof(MaxLineLength), "must be at least 512 (RFC 5321 4.5.3.1.4)");
        Check(MaxBadCommands > 0, nameof(MaxBadCommands), "must be positive");
        Check(ShutdownTimeout >= TimeSpan.Zero, nameof(ShutdownTimeout), "must not be negative");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"LmtpServerOptions.{name} {rule}.");
        }
    }
}
