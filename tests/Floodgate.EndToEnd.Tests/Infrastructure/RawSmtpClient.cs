using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A byte-level SMTP client for what MailKit would not do on purpose: pipelining everything in
/// one write, junk, over-long lines, vanishing mid-DATA.
/// </summary>
public sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private NetworkStream _stream = null!;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly StringBuilder _pending = new();

    private RawSmtpClient(IPAddress? localAddress)
    {
        // Linux routes all of 127/8 to loopback: binding 127.0.0.2 makes a second client address.
        _tcp = localAddress is null ? new TcpClient() : new TcpClient(new IPEndPoint(localAddress, 0));
    }

    /// <param name="localAddress">The client's own address (e.g. 127.0.0.2), or null for the system's choice.</param>
    public static async Task<RawSmtpClient> ConnectAsync(IPEndPoint endPoint, IPAddress? localAddress = null)
    {
        var c = new RawSmtpClient(localAddress);
        await c._tcp.ConnectAsync(endPoint);
        c._stream = c._tcp.GetStream();
        c._stream.ReadTimeout = 15000;
        return c;
    }

    public Task SendAsync(string text) => _stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Reads one complete (possibly multi-line) reply.</summary>
    public async Task<string> ReadReplyAsync()
    {
        var lines = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync();
            lines.Append(line).Append('\n');
            if (line.Length < 4 || line[3] != '-')
            {
                return lines.ToString().TrimEnd('\n');
            }
        }
    }

    public async Task<List<string>> ReadRepliesAsync(int count)
    {
        var replies = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            replies.Add(await ReadReplyAsync());
        }

        return replies;
    }

    /// <summary>EHLO, AUTH PLAIN; asserts success.</summary>
    public async Task LoginAsync(string login, string password)
    {
        Assert.StartsWith("220", await ReadReplyAsync());
        await SendAsync("EHLO client.test\r\n");
        Assert.StartsWith("250", await ReadReplyAsync());
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{login}\0{password}"));
        await SendAsync($"AUTH PLAIN {token}\r\n");
        Assert.StartsWith("235", await ReadReplyAsync());
    }

    /// <summary>Reads until the server closes; returns what it said.</summary>
    public async Task<string> ReadToEndAsync()
    {
        var sb = new StringBuilder(_pending.ToString());
        _pending.Clear();
        try
        {
            int n;
            while ((n = await _stream.ReadAsync(_buffer)) > 0)
            {
                sb.Append(Encoding.UTF8.GetString(_buffer, 0, n));
            }
        }
        catch (IOException)
        {
        }

        return sb.ToString();
    }

    public void Abort() => _tcp.Client.Close(0);

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string> ReadLineAsync()
    {
        while (true)
        {
            var text = _pending.ToString();
            var end = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 2);
                return text[..end];
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var n = await _stream.ReadAsync(_buffer, cts.Token);
            if (n == 0)
            {
                throw new IOException($"connection closed; pending: {text}");
            }

            _pending.Append(Encoding.UTF8.GetString(_buffer, 0, n));
        }
    }
}
