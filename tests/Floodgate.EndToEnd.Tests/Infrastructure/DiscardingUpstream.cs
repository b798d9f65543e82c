using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// An upstream MTA that accepts every message and keeps none: it counts them and their octets. For
/// load, where <see cref="UpstreamSink"/> (every message kept, spooled by a server of its own) and
/// <see cref="ScriptedUpstream"/> (every line an array) would cost the test process what the test
/// measures in serve. The content is scanned for the end line (CRLF "." CRLF) in one 64 KiB buffer
/// per connection, so a 30 MB message costs it 64 KiB.
/// </summary>
public sealed class DiscardingUpstream : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;
    private static readonly byte[] EndLine = "\r\n.\r\n"u8.ToArray();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _sessions = new();
    private readonly Task _accepting;
    private long _messages;
    private long _octets;
    private int _connections;

    public DiscardingUpstream()
    {
        _listener.Start(backlog: 512);
        _accepting = AcceptAsync();
    }

    public string Url => $"smtp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Messages accepted (250 after the end line).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Octets of content as they crossed the wire (dot-stuffed), without the end line.</summary>
    public long Octets => Interlocked.Read(ref _octets);

    public int Connections => Volatile.Read(ref _connections);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(_sessions.Keys);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            var session = Task.Run(() => ServeAsync(client));
            _sessions[session] = true;
            _ = session.ContinueWith(t => _sessions.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new byte[BufferSize];
        int start = 0, end = 0;
        try
        {
            await WriteAsync(stream, "220 discard.test ESMTP");
            while (true)
            {
                // One command line.
                int lf;
                while ((lf = Array.IndexOf(buffer, (byte)'\n', start, end - start)) < 0)
                {
                    if (start > 0)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        end -= start;
                        start = 0;
                    }

                    if (end == buffer.Length)
                    {
                        return; // a command line longer than the buffer: not from MailKit
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(end), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    end += read;
                }

                var line = Encoding.ASCII.GetString(buffer, start, lf - start).TrimEnd('\r');
                start = lf + 1;
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await WriteAsync(stream, "250-discard.test\r\n250-PIPELINING\r\n250 8BITMIME");
                        break;
                    case "DATA":
                        await WriteAsync(stream, "354 End data with <CR><LF>.<CR><LF>");
                        (start, end) = await DiscardContentAsync(stream, buffer, start, end);
                        Interlocked.Increment(ref _messages);
                        await WriteAsync(stream, "250 2.0.0 Ok: discarded");
                        break;
                    case "QUIT":
                        await WriteAsync(stream, "221 2.0.0 Bye");
                        return;
                    default:
                        await WriteAsync(stream, "250 2.0.0 Ok");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Reads up to and including the end line, CRLF "." CRLF, where the content's opening counts as
    /// following a CRLF. Matched octet by octet, so a match may span reads; returns the part of the
    /// buffer after the end line (pipelined commands).
    /// </summary>
    private async Task<(int Start, int End)> DiscardContentAsync(NetworkStream stream, byte[] buffer, int start, int end)
    {
        var matched = 2;
        long octets = 0;
        while (true)
        {
            for (var i = start; i < end; i++)
            {
                if (matched == 0)
                {
                    // Nothing matched: only a CR can start the end line; skip to it in one vectorised search.
                    var cr = buffer.AsSpan(i, end - i).IndexOf((byte)'\r');
                    if (cr < 0)
                    {
                        octets += end - i;
                        break;
                    }

                    octets += cr;
                    i += cr;
                }

                var b = buffer[i];
                octets++;
                matched = EndLine[matched] == b ? matched + 1 : b == (byte)'\r' ? 1 : 0;
                if (matched == EndLine.Length)
                {
                    // The CRLF before the dot is the content's own last line end.
                    Interlocked.Add(ref _octets, octets - 3);
                    return (i + 1, end);
                }
            }

            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                throw new IOException("closed in DATA");
            }

            start = 0;
            end = read;
        }
    }

    private static async Task WriteAsync(NetworkStream stream, string reply) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"));
}
