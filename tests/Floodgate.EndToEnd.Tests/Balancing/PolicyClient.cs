using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Balancing;

/// <summary>What Postfix's smtpd sends a node's policy door (SMTPD_POLICY_README), one connection kept open.</summary>
internal sealed class PolicyClient : IDisposable
{
    private readonly Socket _socket;

    private PolicyClient(Socket socket) => _socket = socket;

    public static async Task<PolicyClient> ConnectAsync(FloodgateProcess node)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(node.Policy!);
        return new PolicyClient(socket);
    }

    /// <summary>One message of a login: a RCPT per recipient, then END-OF-MESSAGE. Returns the first RCPT's action.</summary>
    public async Task<string> MessageAsync(string instance, string login, params string[] recipients)
    {
        var first = await AskAsync(Request("RCPT", instance, login, recipients[0]));
        foreach (var recipient in recipients.Skip(1))
        {
            await AskAsync(Request("RCPT", instance, login, recipient));
        }

        await AskAsync(Request("END-OF-MESSAGE", instance, login, string.Empty, recipients.Length));
        return first;
    }

    private static string Request(string state, string instance, string login, string recipient, int recipientCount = 0) =>
        "request=smtpd_access_policy\nprotocol_state=" + state + "\nprotocol_name=ESMTP\nclient_address=192.0.2.7\ninstance=" + instance +
        "\nsasl_method=PLAIN\nsasl_username=" + login + "\nsender=" + login + "\nrecipient=" + recipient +
        "\nrecipient_count=" + recipientCount.ToString(CultureInfo.InvariantCulture) + "\nsize=800\n\n";

    // One request, its one reply (an action line and the empty line), without the empty line.
    private async Task<string> AskAsync(string request)
    {
        await _socket.SendAsync(Encoding.ASCII.GetBytes(request));
        var reply = new StringBuilder();
        var buffer = new byte[512];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!reply.ToString().EndsWith("\n\n", StringComparison.Ordinal))
        {
            var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.True(read > 0, "the policy service closed the connection after: " + reply);
            reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return reply.ToString().TrimEnd('\n');
    }

    public void Dispose() => _socket.Dispose();
}
