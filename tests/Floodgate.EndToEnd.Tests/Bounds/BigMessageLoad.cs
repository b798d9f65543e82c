using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.EndToEnd.Tests.Bounds;

// Also compiled into bench/Floodgate.LoadGen (its smtp-bounds mode, bench/load/bounds.sh): the test
// and the load script send the same load. No xunit here.

/// <summary>What <see cref="BigMessageLoad"/> sends, and where.</summary>
public sealed record BigMessageLoadOptions
{
    public required IPEndPoint Target { get; init; }

    public int Connections { get; init; } = 2000;

    /// <summary>Octets of each message, headers included (give or take a line).</summary>
    public int MessageBytes { get; init; } = 30_000_000;

    /// <summary>The mailbox: the server trusts the client's address, so MAIL FROM names it (no AUTH).</summary>
    public required string Sender { get; init; }

    public string Recipient { get; init; } = "rcpt@sink.test";

    /// <summary>Connects in flight at once: 2,000 at once would overflow a listen backlog of 512 into SYN retries.</summary>
    public int ConcurrentConnects { get; init; } = 128;

    /// <summary>Octets per write of the content.</summary>
    public int ChunkBytes { get; init; } = 64 * 1024;

    /// <summary>The whole run, from the first connect to the last reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The attachment's random octets.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Awaited once every connection is in DATA (or failed), before any content is sent: a look at the server then.</summary>
    public Func<Task>? AllInData { get; init; }
}

/// <summary>The outcome of one run: every connection's final reply, by code.</summary>
public sealed record BigMessageLoadResult(
    IReadOnlyDictionary<string, int> Replies,
    IReadOnlyList<string> Examples,
    int InData,
    long OctetsSent,
    TimeSpan AllInData,
    TimeSpan Elapsed)
{
    public int Count(string key) => Replies.TryGetValue(key, out var n) ? n : 0;
}

/// <summary>
/// Many connections, each one transaction of one big MIME message (a short text part and a base64
/// attachment) sent together: every connection connects, says EHLO, MAIL, one RCPT and DATA, and
/// waits until all have their 354 (or failed); then all stream their content at once, in chunks
/// from one shared copy of the body, and end it with the end line. Each connection's outcome is
/// its reply to the content ("250 2.0.0", "452 4.3.1"), the refusal of an earlier command
/// ("RCPT 550 5.7.1"), or what went wrong ("error IOException").
/// </summary>
public sealed class BigMessageLoad(BigMessageLoadOptions options)
{
    private const string Boundary = "=_bounds_boundary";
    private readonly ConcurrentDictionary<string, int> _replies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _examples = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _allInData = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _connects = new(options.ConcurrentConnects, options.ConcurrentConnects);
    private readonly Stopwatch _clock = new();
    private byte[] _body = [];
    private TimeSpan _allInDataAt;
    private int _waiting;
    private int _inData;
    private long _octetsSent;

    /// <summary>
    /// The message after its header block: a multipart/mixed body of a short text part and an
    /// application/octet-stream attachment in base64 lines of 76 characters, <paramref name="bytes"/>
    /// octets long give or take a line. No line starts with a dot (base64 has none), so the content
    /// goes on the wire as it is.
    /// </summary>
    public static byte[] Body(int bytes, int seed)
    {
        var opening = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
            "The figures you asked for are in the attached file.\r\nBest regards,\r\nThe sender\r\n\r\n" +
            $"--{Boundary}\r\nContent-Type: application/octet-stream; name=\"figures.bin\"\r\n" +
            "Content-Disposition: attachment; filename=\"figures.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        var closing = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        const int LineOctets = 57; // 76 characters of base64
        var lines = Math.Max(1, (bytes - opening.Length - closing.Length) / 78);
        var body = new byte[opening.Length + (lines * 78) - 2 + closing.Length];
        opening.CopyTo(body, 0);
        var random = new Random(seed);
        Span<byte> raw = stackalloc byte[LineOctets];
        var at = opening.Length;
        for (var i = 0; i < lines; i++)
        {
            random.NextBytes(raw);
            Base64.EncodeToUtf8(raw, body.AsSpan(at), out _, out var written);
            at += written;
            if (i < lines - 1)
            {
                body[at++] = (byte)'\r';
                body[at++] = (byte)'\n';
            }
        }

        closing.CopyTo(body, at);
        return body;
    }

    /// <summary>The header block of connection <paramref name="n"/>'s message: its own Message-ID.</summary>
    public byte[] Headers(int n) => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"From: <{options.Sender}>\r\nTo: <{options.Recipient}>\r\nSubject: Quarterly figures {n}\r\n" +
        $"Date: {DateTimeOffset.UtcNow:ddd, dd MMM yyyy HH:mm:ss} +0000\r\nMessage-ID: <bounds-{n}-{Environment.ProcessId}@load.test>\r\n" +
        $"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{Boundary}\"\r\n\r\n"));

    public async Task<BigMessageLoadResult> RunAsync(CancellationToken cancellationToken)
    {
        _body = Body(options.MessageBytes - Headers(0).Length, options.Seed);
        _waiting = options.Connections;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        _clock.Restart();
        var connections = new Task[options.Connections];
        for (var n = 0; n < connections.Length; n++)
        {
            connections[n] = SendAsync(n, timeout.Token);
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
        return new BigMessageLoadResult(
            new Dictionary<string, int>(_replies, StringComparer.Ordinal),
            [.. _examples.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}")],
            _inData,
            Interlocked.Read(ref _octetsSent),
            _allInDataAt,
            _clock.Elapsed);
    }

    private async Task SendAsync(int n, CancellationToken cancellationToken)
    {
        var waiting = true;
        string outcome;
        string text;
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await _connects.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await socket.ConnectAsync(options.Target, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _connects.Release();
            }

            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var replies = new ReplyReader(stream);
            (outcome, text) = await EnvelopeAsync(stream, replies, cancellationToken).ConfigureAwait(false);
            if (outcome.Length == 0)
            {
                Interlocked.Increment(ref _inData);
                Arrived(ref waiting);
                await _allInData.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

                await stream.WriteAsync(Headers(n), cancellationToken).ConfigureAwait(false);
                for (var at = 0; at < _body.Length; at += options.ChunkBytes)
                {
                    var chunk = _body.AsMemory(at, Math.Min(options.ChunkBytes, _body.Length - at));
                    await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    Interlocked.Add(ref _octetsSent, chunk.Length);
                }

                await stream.WriteAsync(".\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                text = await replies.ReadAsync(cancellationToken).ConfigureAwait(false);
                outcome = Key(text);
                await stream.WriteAsync("QUIT\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            outcome = "error " + e.GetType().Name;
            text = e.Message;
        }
        finally
        {
            Arrived(ref waiting);
        }

        _replies.AddOrUpdate(outcome, 1, (_, count) => count + 1);
        _examples.TryAdd(outcome, text);
    }

    /// <summary>Greeting, EHLO, MAIL, RCPT and DATA; an empty outcome after 354, else the refusal.</summary>
    private async Task<(string Outcome, string Text)> EnvelopeAsync(NetworkStream stream, ReplyReader replies, CancellationToken cancellationToken)
    {
        (string Command, string Line)[] steps =
        [
            ("greeting", string.Empty),
            ("EHLO", "EHLO load.test\r\n"),
            ("MAIL", $"MAIL FROM:<{options.Sender}>\r\n"),
            ("RCPT", $"RCPT TO:<{options.Recipient}>\r\n"),
            ("DATA", "DATA\r\n"),
        ];
        foreach (var (command, line) in steps)
        {
            if (line.Length > 0)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(line), cancellationToken).ConfigureAwait(false);
            }

            var reply = await replies.ReadAsync(cancellationToken).ConfigureAwait(false);
            var expected = command switch { "greeting" => '2', "DATA" => '3', _ => '2' };
            if (reply.Length == 0 || reply[0] != expected)
            {
                return (command + " " + Key(reply), reply);
            }
        }

        return (string.Empty, string.Empty);
    }

    private void Arrived(ref bool waiting)
    {
        if (waiting)
        {
            waiting = false;
            if (Interlocked.Decrement(ref _waiting) == 0)
            {
                _allInDataAt = _clock.Elapsed;
                _ = ReleaseAsync();
            }
        }
    }

    private async Task ReleaseAsync()
    {
        try
        {
            if (options.AllInData is { } look)
            {
                await look().ConfigureAwait(false);
            }
        }
        finally
        {
            _allInData.TrySetResult();
        }
    }

    /// <summary>The reply code and, when there is one, the enhanced status code: "452 4.3.1".</summary>
    private static string Key(string reply)
    {
        var parts = reply.Split([' ', '-'], 3);
        return parts.Length >= 2 && parts[1].Length >= 5 && char.IsAsciiDigit(parts[1][0]) && parts[1][1] == '.'
            ? parts[0] + " " + parts[1]
            : parts[0];
    }

    /// <summary>Complete replies (the last line of a multi-line one decides) off one stream, in a small buffer.</summary>
    private sealed class ReplyReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public async Task<string> ReadAsync(CancellationToken cancellationToken)
        {
            var text = new StringBuilder();
            while (true)
            {
                var lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf < 0)
                {
                    if (_start > 0)
                    {
                        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                        _end -= _start;
                        _start = 0;
                    }

                    if (_end == _buffer.Length)
                    {
                        throw new IOException("a reply line longer than 4 KiB");
                    }

                    var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException("the server closed the connection: " + text);
                    }

                    _end += read;
                    continue;
                }

                var line = Encoding.ASCII.GetString(_buffer, _start, lf - _start).TrimEnd('\r');
                _start = lf + 1;
                text.Append(line);
                if (line.Length < 4 || line[3] != '-')
                {
                    return text.ToString();
                }

                text.Append('\n');
            }
        }
    }
}
