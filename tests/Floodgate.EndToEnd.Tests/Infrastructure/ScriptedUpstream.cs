using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// An upstream MTA for wire-level checks of the relay client, where the real server cannot show what
/// is asserted: which extensions it offers, whether the client waited for a reply before its next
/// command, the content as it crossed the wire (dot-stuffed), a connection closed while idle, or no
/// reply at all. It answers 250 to every command, 354 to DATA and 250 after the content, unless
/// <see cref="Reply"/> says otherwise.
/// </summary>
public sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public ScriptedUpstream(params string[] capabilities)
    {
        Capabilities = capabilities;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string[] Capabilities { get; }

    public string Url => $"smtp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>A command line (without CRLF) to the reply line to send instead of the default; null: the default.</summary>
    public Func<string, string?> Reply { get; set; } = _ => null;

    /// <summary>
    /// Holds the replies to MAIL and RCPT until DATA has arrived too, as a server that reads the whole
    /// pipelined group before it answers may. A client that waits for the MAIL reply gets none, and the
    /// connection is closed after <see cref="HoldTimeout"/> with <see cref="WaitedForReply"/> set.
    /// </summary>
    public bool HoldRepliesUntilData { get; set; }

    public TimeSpan HoldTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public bool WaitedForReply { get; private set; }

    /// <summary>After this many messages on a connection it is closed (0: never), as an upstream's idle timeout would.</summary>
    public int CloseAfterMessages { get; set; }

    /// <summary>Never answers MAIL.</summary>
    public bool Silent { get; set; }

    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>Each message's content as it crossed the wire: dot-stuffed, up to and without the final dot line.</summary>
    public ConcurrentQueue<byte[]> Contents { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
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
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new LineReader(stream);
        try
        {
            await WriteAsync(stream, "220 scripted.test ESMTP");
            var messages = 0;
            var held = new StringBuilder();
            while (true)
            {
                using var hold = new CancellationTokenSource(held.Length > 0 ? HoldTimeout : Timeout.InfiniteTimeSpan);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(hold.Token, _stop.Token);
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(linked.Token);
                }
                catch (OperationCanceledException) when (hold.IsCancellationRequested)
                {
                    WaitedForReply = true;
                    return;
                }

                if (line is null)
                {
                    return;
                }

                Commands.Enqueue(line);
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                if (Silent && verb == "MAIL")
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                var reply = Reply(line) ?? verb switch
                {
                    "EHLO" => string.Join("\r\n", new[] { "250" + (Capabilities.Length > 0 ? "-" : " ") + "scripted.test" }
                        .Concat(Capabilities.Select((c, i) => (i == Capabilities.Length - 1 ? "250 " : "250-") + c))),
                    "DATA" => "354 End data with <CR><LF>.<CR><LF>",
                    "QUIT" => "221 2.0.0 Bye",
                    _ => "250 2.0.0 Ok",
                };
                if (HoldRepliesUntilData && verb is "MAIL" or "RCPT")
                {
                    held.Append(reply).Append("\r\n");
                    continue;
                }

                await WriteAsync(stream, held + reply);
                held.Clear();
                if (verb == "QUIT")
                {
                    return;
                }

                if (verb == "DATA" && reply.StartsWith("354", StringComparison.Ordinal))
                {
                    Contents.Enqueue(await reader.ReadContentAsync(_stop.Token));
                    messages++;
                    await WriteAsync(stream, Reply(".") ?? $"250 2.0.0 Ok: queued as M{messages}");
                    if (CloseAfterMessages > 0 && messages >= CloseAfterMessages)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task WriteAsync(NetworkStream stream, string reply) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"));

    private sealed class LineReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[65536];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = await ReadRawLineAsync(cancellationToken);
            return line is null ? null : Encoding.UTF8.GetString(line, 0, line.Length - 2);
        }

        public async Task<byte[]> ReadContentAsync(CancellationToken cancellationToken)
        {
            var content = new MemoryStream();
            while (true)
            {
                var line = await ReadRawLineAsync(cancellationToken) ?? throw new IOException("closed in DATA");
                if (line.AsSpan().SequenceEqual(".\r\n"u8))
                {
                    return content.ToArray();
                }

                content.Write(line);
            }
        }

        private async Task<byte[]?> ReadRawLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf >= 0)
                {
                    var line = _buffer[_start..(lf + 1)];
                    _start = lf + 1;
                    return line;
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
                if (read == 0)
                {
                    return null;
                }

                _end += read;
            }
        }
    }
}
