using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>
/// The policy delegation protocol as Postfix's smtpd speaks it (SMTPD_POLICY_README): a request is
/// name=value lines ended by an empty line; the reply is action=... and an empty line. One
/// connection carries many requests, as Postfix keeps it open.
/// </summary>
internal sealed class PolicyClient : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private NetworkStream _stream = null!;
    private readonly byte[] _buffer = new byte[4096];
    private readonly StringBuilder _pending = new();

    public static async Task<PolicyClient> ConnectAsync(IPEndPoint endPoint)
    {
        var c = new PolicyClient();
        await c._tcp.ConnectAsync(endPoint);
        c._stream = c._tcp.GetStream();
        return c;
    }

    /// <summary>A request as smtpd sends it for an authenticated client at <paramref name="state"/> (RCPT or END-OF-MESSAGE).</summary>
    public static string Request(string state, string instance, string login, string recipient, int recipientCount = 0) =>
        string.Create(CultureInfo.InvariantCulture,
            $"request=smtpd_access_policy\nprotocol_state={state}\nprotocol_name=ESMTP\nclient_address=127.0.0.1\nclient_name=localhost\n" +
            $"helo_name=client.test\nqueue_id=\ninstance={instance}\nsasl_method=PLAIN\nsasl_username={login}\nsender={login}\n" +
            $"recipient={recipient}\nrecipient_count={recipientCount}\nsize=2048\n\n");

    /// <summary>Sends one request; returns its action line (e.g. <c>action=DUNNO</c>).</summary>
    public async Task<string> AskAsync(string request)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var text = _pending.ToString();
            var end = text.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 2);
                return text[..end];
            }

            var n = await _stream.ReadAsync(_buffer, cts.Token);
            if (n == 0)
            {
                throw new IOException($"the policy server closed the connection; pending: {text}");
            }

            _pending.Append(Encoding.ASCII.GetString(_buffer, 0, n));
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
