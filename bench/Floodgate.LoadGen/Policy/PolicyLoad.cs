using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Floodgate.LoadGen.Measurement;

namespace Floodgate.LoadGen.Policy;

internal sealed record PolicyLoadOptions(
    IPEndPoint Target,
    int Concurrency,
    TimeSpan Warmup,
    TimeSpan Duration,
    int Mailboxes,
    int RecipientsPerMessage,
    int MessageSize,
    int ServerPid,
    int Seed);

internal sealed record PolicyLoadResult(
    long Requests,
    long Messages,
    double Seconds,
    double RequestsPerSecond,
    double P50Microseconds,
    double P90Microseconds,
    double P99Microseconds,
    double MaxMicroseconds,
    long Errors,
    long Refused,
    string? FirstError,
    string? FirstRefusal,
    long PeakRssKilobytes,
    int ServerProcesses);

/// <summary>
/// Closed-loop policy delegation load: each of N persistent connections sends one request,
/// waits for the reply, checks it and sends the next, as one Postfix smtpd process does.
/// Per message: one RCPT request per recipient (recipient_count=0, as Postfix sends at that
/// stage) and one END-OF-MESSAGE request carrying recipient_count and size.
/// </summary>
internal sealed class PolicyLoad(PolicyLoadOptions options)
{
    private readonly PolicyLoadOptions _options = options;

    private const int Warming = 0;
    private const int Measuring = 1;
    private const int Stopped = 2;

    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    private readonly long _runStamp = DateTime.UtcNow.Ticks & 0xFFFFFFF;
    private readonly List<Socket> _sockets = [];
    private volatile int _phase = Warming;

    public async Task<PolicyLoadResult> RunAsync(CancellationToken cancellationToken)
    {
        var workers = new Worker[_options.Concurrency];
        var tasks = new Task[_options.Concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new Worker(this, i);
        }

        for (var i = 0; i < workers.Length; i++)
        {
            var worker = workers[i];
            tasks[i] = Task.Run(() => worker.RunAsync(cancellationToken), cancellationToken);
        }

        using var sampler = new CancellationTokenSource();
        var peakSample = _options.ServerPid > 0 ? SampleMemoryAsync(sampler.Token) : Task.FromResult(0L);

        await Task.Delay(_options.Warmup, cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        _phase = Measuring;
        await Task.Delay(_options.Duration, cancellationToken).ConfigureAwait(false);
        _phase = Stopped;
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false) != all)
        {
            // A worker is stuck on a server that stopped answering: closing its socket ends the wait.
            lock (_sockets)
            {
                foreach (var socket in _sockets)
                {
                    socket.Dispose();
                }
            }

            await Task.WhenAny(all, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false);
        }

        await sampler.CancelAsync().ConfigureAwait(false);
        var sampledPeak = await peakSample.ConfigureAwait(false);

        var histogram = new LatencyHistogram();
        long requests = 0, messages = 0, errors = 0, refused = 0;
        string? firstError = null, firstRefusal = null;
        foreach (var worker in workers)
        {
            histogram.Add(worker.Histogram);
            requests += worker.Requests;
            messages += worker.Messages;
            errors += worker.Errors;
            refused += worker.Refused;
            firstError ??= worker.FirstError;
            firstRefusal ??= worker.FirstRefusal;
        }

        long peak = 0;
        var processes = 0;
        if (_options.ServerPid > 0)
        {
            processes = ProcessMemory.TreeSize(_options.ServerPid);
            // One process: its own high-water mark (VmHWM). A tree: the largest sampled PSS sum.
            peak = processes == 1 ? Math.Max(sampledPeak, ProcessMemory.ReadStatusKilobytes(_options.ServerPid, "VmHWM")) : sampledPeak;
        }

        return new PolicyLoadResult(
            requests,
            messages,
            seconds,
            requests / seconds,
            histogram.Quantile(0.50),
            histogram.Quantile(0.90),
            histogram.Quantile(0.99),
            histogram.MaxMicroseconds,
            errors,
            refused,
            firstError,
            firstRefusal,
            peak,
            processes);
    }

    private async Task<long> SampleMemoryAsync(CancellationToken cancellationToken)
    {
        long peak = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcessMemory.TreePssKilobytes(_options.ServerPid));
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return peak;
    }

    private sealed class Worker(PolicyLoad load, int index)
    {
        private readonly PolicyRequestWriter _writer = new();
        private readonly byte[] _reply = new byte[4096];
        private readonly Random _random = new(load._options.Seed + index);
        private Socket? _socket;
        private long _sequence;

        public LatencyHistogram Histogram { get; } = new();

        public long Requests { get; private set; }

        public long Messages { get; private set; }

        public long Errors { get; private set; }

        public long Refused { get; private set; }

        public string? FirstError { get; private set; }

        public string? FirstRefusal { get; private set; }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var options = load._options;
            while (load._phase != Stopped && !cancellationToken.IsCancellationRequested)
            {
                if (_socket is null && !await ConnectAsync(cancellationToken).ConfigureAwait(false))
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var message = new MessageShape(
                    _random.Next(options.Mailboxes),
                    options.RecipientsPerMessage,
                    // Sequence numbers unique per worker: instance and queue_id differ per message.
                    (_sequence++ << 8) | (uint)index,
                    index,
                    load._runStamp,
                    options.MessageSize);

                var complete = true;
                for (var r = 0; r < message.Recipients && complete; r++)
                {
                    complete = await ExchangeAsync(message, endOfMessage: false, r, cancellationToken).ConfigureAwait(false);
                }

                if (complete && await ExchangeAsync(message, endOfMessage: true, 0, cancellationToken).ConfigureAwait(false)
                    && load._phase == Measuring)
                {
                    Messages++;
                }
            }

            _socket?.Dispose();
        }

        private async Task<bool> ConnectAsync(CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(load._options.Target, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                Fail($"connect: {e.SocketErrorCode}");
                return false;
            }

            lock (load._sockets)
            {
                load._sockets.Add(socket);
            }

            _socket = socket;
            return true;
        }

        /// <summary>One request and its reply; false when the connection had to be dropped.</summary>
        private async Task<bool> ExchangeAsync(MessageShape message, bool endOfMessage, int recipient, CancellationToken cancellationToken)
        {
            var socket = _socket!;
            _writer.Write(message, endOfMessage, recipient);
            var started = Stopwatch.GetTimestamp();
            int received;
            try
            {
                var request = _writer.Written;
                while (!request.IsEmpty)
                {
                    var sent = await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    request = request[sent..];
                }

                received = 0;
                while (true)
                {
                    var read = await socket.ReceiveAsync(_reply.AsMemory(received), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        Drop("server closed the connection");
                        return false;
                    }

                    received += read;
                    // The reply ends at the first empty line.
                    if (_reply.AsSpan(0, received).IndexOf("\n\n"u8) >= 0)
                    {
                        break;
                    }

                    if (received == _reply.Length)
                    {
                        Drop("reply longer than 4096 bytes without an empty line");
                        return false;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                Drop($"socket: {e.Message}");
                return false;
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var measuring = load._phase == Measuring;
            var reply = _reply.AsSpan(0, received);
            if (!ReplyCheck.IsWellFormed(reply))
            {
                Drop($"malformed reply: {ReplyCheck.Printable(reply)}");
                return false;
            }

            if (measuring)
            {
                Requests++;
                Histogram.Record((long)(elapsed.Ticks / (TimeSpan.TicksPerMillisecond / 1000)));
                if (ReplyCheck.IsRefusal(reply))
                {
                    Refused++;
                    FirstRefusal ??= ReplyCheck.Printable(reply);
                }
            }

            return true;
        }

        private void Drop(string error)
        {
            _socket?.Dispose();
            _socket = null;
            if (load._phase != Stopped)
            {
                Fail(error);
            }
        }

        private void Fail(string error)
        {
            Errors++;
            FirstError ??= error;
        }
    }
}

/// <summary>What a policy reply must look like (SMTPD_POLICY_README: "action=...", then an empty line).</summary>
internal static class ReplyCheck
{
    public static bool IsWellFormed(ReadOnlySpan<byte> reply)
    {
        if (!reply.StartsWith("action="u8))
        {
            return false;
        }

        var newline = reply.IndexOf((byte)'\n');
        // Exactly one non-empty action line, one empty line, nothing after: we never pipeline.
        return newline > "action=".Length && newline == reply.Length - 2 && reply[^1] == (byte)'\n';
    }

    /// <summary>Replies that would stop the mail (defer, reject, 4xx/5xx, hold, discard).</summary>
    public static bool IsRefusal(ReadOnlySpan<byte> reply)
    {
        var action = reply["action=".Length..];
        if (action.IsEmpty)
        {
            return false;
        }

        var first = (byte)(action[0] | 0x20);
        return first is (byte)'r' or (byte)'h' or (byte)'4' or (byte)'5'
            || (first == (byte)'d' && action.Length > 1 && (action[1] | 0x20) is (byte)'e' or (byte)'i');
    }

    public static string Printable(ReadOnlySpan<byte> reply)
    {
        var text = System.Text.Encoding.UTF8.GetString(reply[..Math.Min(reply.Length, 200)]);
        return text.Replace("\n", "\\n", StringComparison.Ordinal);
    }
}
