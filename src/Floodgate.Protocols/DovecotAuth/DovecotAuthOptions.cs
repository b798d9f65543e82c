using System.Net;
using System.Net.Sockets;

namespace Floodgate.Protocols.DovecotAuth;

/// <summary>Where Dovecot's auth service listens and how long a login may wait for it.</summary>
public sealed class DovecotAuthOptions
{
    /// <summary>An auth-client unix socket path (absolute), or HOST:PORT of an inet_listener.</summary>
    public string EndPoint { get; set; } = string.Empty;

    /// <summary>
    /// Time for one login, connecting included. Dovecot delays a failure by auth_failure_delay (2s by
    /// default) and its penalty for a guessing address (up to 15s): the default waits past both.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Logins in flight on the one connection; beyond it a login is answered "unavailable" at once.</summary>
    public int MaxPending { get; set; } = 1000;

    /// <summary>The SASL service name Dovecot sees (passdb's %s).</summary>
    public string Service { get; set; } = "smtp";

    /// <summary>The endpoint as a socket address: a path starting with '/' is a unix socket.</summary>
    public static bool TryParseEndPoint(string? value, out EndPoint endPoint, out string? error)
    {
        endPoint = null!;
        error = null;
        var text = value?.Trim() ?? string.Empty;
        if (text.Length == 0)
        {
            error = "is empty; give a unix socket path or HOST:PORT";
            return false;
        }

        if (text[0] == '/')
        {
            endPoint = new UnixDomainSocketEndPoint(text);
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}' is neither an absolute unix socket path nor HOST:PORT";
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        endPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        return true;
    }

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        if (!TryParseEndPoint(EndPoint, out _, out var error))
        {
            throw new ArgumentException($"DovecotAuth:EndPoint {error}.");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("DovecotAuth:Timeout must be positive.");
        }

        if (MaxPending < 1)
        {
            throw new ArgumentException("DovecotAuth:MaxPending must be at least 1.");
        }
    }
}
