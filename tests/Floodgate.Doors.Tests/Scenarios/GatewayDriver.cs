using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Floodgate.Doors.Gateway;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// A mail client on Floodgate's own submission gateway: the SMTP server, GatewayServices and its
/// sessions as GatewayHost starts them, over the world's engine, authenticator and recording relay.
/// One connection per submission: EHLO, AUTH PLAIN (when the submission has a login), MAIL, every
/// RCPT, then DATA or RSET, QUIT.
/// </summary>
public sealed class GatewayDriver : IDoorDriver
{
    private readonly ScenarioWorld _world;
    private readonly SmtpServer _server;

    private GatewayDriver(ScenarioWorld world, SmtpServer server)
    {
        _world = world;
        _server = server;
    }

    public static async Task<GatewayDriver> StartAsync(ScenarioWorld world, CancellationToken cancellationToken)
    {
        var smtp = new SmtpOptions { Hostname = "gateway.floodgate.test", TrustedNetworks = [.. world.TrustedNetworks] };
        var services = new GatewayServices(smtp, world.Engine, world.Authenticator, world.Relay, world.Detection.MinTrackedRecipients);
        var options = new SmtpServerOptions { HostName = smtp.Hostname, Spool = world.Spool };
        options.Listeners.Add(new SmtpListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Name = "submission", Mode = SmtpListenerMode.StartTls });
        var server = new SmtpServer(options, services, logger: null, world.Time);
        await server.StartAsync(cancellationToken);
        return new GatewayDriver(world, server);
    }

    public async Task<ScenarioResult> SendAsync(Submission submission, CancellationToken cancellationToken)
    {
        await using var client = await LineClient.ConnectAsync(_server.EndPoints[0], cancellationToken);
        Expect("220", await client.ReadReplyAsync(cancellationToken));
        Expect("250", await client.CommandAsync("EHLO client.test", cancellationToken));
        if (submission.Login is { } login)
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{login}\0{submission.Password}"));
            var auth = await client.CommandAsync("AUTH PLAIN " + token, cancellationToken);
            if (!auth.StartsWith("235", StringComparison.Ordinal))
            {
                return await QuitAsync(client, Refusal(Stage.Auth, 0, auth, 0, 0), cancellationToken);
            }
        }

        var size = Encoding.UTF8.GetByteCount(submission.Message);
        var mail = await client.CommandAsync(string.Create(CultureInfo.InvariantCulture, $"MAIL FROM:<{submission.Sender}> SIZE={size}"), cancellationToken);
        if (!mail.StartsWith("250", StringComparison.Ordinal))
        {
            return await QuitAsync(client, Refusal(Stage.Mail, 0, mail, 0, 0), cancellationToken);
        }

        ScenarioResult? first = null;
        var accepted = 0;
        for (var i = 0; i < submission.Recipients.Count; i++)
        {
            var rcpt = await client.CommandAsync($"RCPT TO:<{submission.Recipients[i]}>", cancellationToken);
            if (rcpt.StartsWith("250", StringComparison.Ordinal))
            {
                accepted++;
            }
            else
            {
                first ??= Refusal(Stage.Rcpt, i + 1, rcpt, 0, 0);
            }
        }

        submission.AfterRecipients?.Invoke(_world);
        if (submission.ResetAfterRecipients || accepted == 0)
        {
            Expect("250", await client.CommandAsync("RSET", cancellationToken));
            return await QuitAsync(client, Finish(first, Stage.None, string.Empty, accepted, 0), cancellationToken);
        }

        var data = await client.CommandAsync("DATA", cancellationToken);
        if (!data.StartsWith("354", StringComparison.Ordinal))
        {
            return await QuitAsync(client, Finish(first, Stage.Data, data, accepted, 0), cancellationToken);
        }

        var relayedBefore = _world.Relay.Sent.Count;
        var end = await client.CommandAsync(DotStuff(submission.Message) + ".", cancellationToken);
        var sent = _world.Relay.Sent;
        var relayed = sent.Count > relayedBefore ? sent[^1].Recipients.Length : 0;
        return await QuitAsync(client, Finish(first, Stage.EndOfData, end, accepted, relayed), cancellationToken);
    }

    public Task SettleAsync(CancellationToken cancellationToken) =>
        DoorDrivers.WaitForAsync(() => _server.ConnectionCount == 0, "the gateway to close its sessions", cancellationToken);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static ScenarioResult Refusal(Stage stage, int recipient, string line, int accepted, int relayed)
    {
        var (reply, text) = DoorDrivers.SplitReply(line);
        return new ScenarioResult(stage, recipient, reply, text, accepted, relayed);
    }

    /// <summary>The first refusal, if any, with the final counts; else the last answer (a 250 of any kind is "250").</summary>
    private static ScenarioResult Finish(ScenarioResult? first, Stage stage, string line, int accepted, int relayed)
    {
        if (first is not null)
        {
            return first with { Accepted = accepted, Relayed = relayed };
        }

        if (line.Length == 0)
        {
            return new ScenarioResult(stage, 0, string.Empty, string.Empty, accepted, relayed);
        }

        var result = Refusal(stage, 0, line, accepted, relayed);
        return result.Reply.StartsWith("250", StringComparison.Ordinal) ? result with { Reply = "250" } : result;
    }

    private static async Task<ScenarioResult> QuitAsync(LineClient client, ScenarioResult result, CancellationToken cancellationToken)
    {
        Expect("221", await client.CommandAsync("QUIT", cancellationToken));
        return result;
    }

    private static void Expect(string code, string reply)
    {
        if (!reply.StartsWith(code, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the gateway answered '{reply}' where {code} was due");
        }
    }

    // RFC 5321 4.5.2: a line that starts with a dot gets one more.
    private static string DotStuff(string message) =>
        (message.StartsWith('.') ? "." : string.Empty) + message.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);

    /// <summary>SMTP lines over a socket: one command, one (possibly multi-line) reply.</summary>
    private sealed class LineClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _buffer = new byte[16 * 1024];
        private readonly StringBuilder _pending = new();

        private LineClient(Socket socket) => _socket = socket;

        public static async Task<LineClient> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new LineClient(socket);
        }

        public async Task<string> CommandAsync(string line, CancellationToken cancellationToken)
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(line + "\r\n"), SocketFlags.None, cancellationToken);
            return await ReadReplyAsync(cancellationToken);
        }

        /// <summary>The last line of the reply (a multi-line EHLO reply ends in "250 ...").</summary>
        public async Task<string> ReadReplyAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var line = await ReadLineAsync(cancellationToken);
                if (line.Length < 4 || line[3] != '-')
                {
                    return line;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            while (true)
            {
                var text = _pending.ToString();
                var end = text.IndexOf("\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    _pending.Remove(0, end + 2);
                    return text[..end];
                }

                var n = await _socket.ReceiveAsync(_buffer, SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    throw new IOException("the gateway closed the connection; pending: " + text);
                }

                _pending.Append(Encoding.UTF8.GetString(_buffer, 0, n));
            }
        }
    }
}
