using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.Protocols.Tests.DovecotAuth;

/// <summary>
/// A scripted Dovecot auth server on loopback TCP: it sends the handshake Dovecot 2.3 sent in
/// Transcripts/dovecot-auth-2.3-plain.txt, then gives each AUTH line to <see cref="Answer"/>, which
/// returns the reply (or null for none, to be sent later through <see cref="SendAsync"/>).
/// </summary>
internal sealed class FakeDovecot : IAsyncDisposable
{
    public const string Handshake = "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t10658\nCUID\t1\nCOOKIE\t1ea86efe1e57d428cc926767543789d5\nDONE\n";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accept;

    public FakeDovecot(string handshake = Handshake)
    {
        HandshakeText = handshake;
        _listener.Start();
        _accept = AcceptAsync();
    }

    public string HandshakeText { get; }

    public string EndPoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Given each AUTH line (without LF); returns the whole reply line, or null to answer later.</summary>
    public Func<string, string?> Answer { get; set; } = static line => $"OK\t{Id(line)}\tuser=ann@acme.test";

    public ConcurrentQueue<string> Received { get; } = new();

    public int Accepted { get; private set; }

    public static string Id(string authLine) => authLine.Split('\t')[1];

    public async Task SendAsync(string line)
    {
        Socket socket;
        lock (_sockets)
        {
            socket = _sockets[^1];
        }

        await socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"));
    }

    /// <summary>Closes every accepted connection (Dovecot restarted or gone), leaving the listener open.</summary>
    public void DropConnections()
    {
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                s.Dispose();
            }

            _sockets.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropConnections();
        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            lock (_sockets)
            {
                _sockets.Add(socket);
            }

            Accepted++;
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(HandshakeText));
            var pending = new StringBuilder();
            var buffer = new byte[4096];
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                pending.Append(Encoding.UTF8.GetString(buffer, 0, n));
                int newline;
                while ((newline = pending.ToString().IndexOf('\n', StringComparison.Ordinal)) >= 0)
                {
                    var line = pending.ToString(0, newline);
                    pending.Remove(0, newline + 1);
                    Received.Enqueue(line);
                    if (line.StartsWith("AUTH\t", StringComparison.Ordinal) && Answer(line) is { } reply)
                    {
                        await socket.SendAsync(Encoding.UTF8.GetBytes(reply + "\n"));
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
