using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Floodgate.Protocols.Milter;

namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// Postfix's side of policy delegation (SMTPD_POLICY_README): name=value lines and an empty line per
/// request, one <c>action=...</c> line and an empty line back; one connection for many requests.
/// </summary>
internal sealed class PolicyWire : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[4096];
    private readonly StringBuilder _pending = new();

    private PolicyWire(Socket socket) => _socket = socket;

    public static async Task<PolicyWire> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, cancellationToken);
        return new PolicyWire(socket);
    }

    /// <summary>Sends one request (attributes in order, without the empty line); returns the action, e.g. "DUNNO" or "550 5.7.1 text".</summary>
    public async Task<string> AskAsync(IEnumerable<(string Name, string Value)> attributes, CancellationToken cancellationToken)
    {
        var request = new StringBuilder();
        foreach (var (name, value) in attributes)
        {
            request.Append(name).Append('=').Append(value).Append('\n');
        }

        await _socket.SendAsync(Encoding.UTF8.GetBytes(request.Append('\n').ToString()), SocketFlags.None, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var text = _pending.ToString();
            var end = text.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 2);
                var line = text[..end];
                return line.StartsWith("action=", StringComparison.Ordinal)
                    ? line["action=".Length..]
                    : throw new InvalidOperationException($"the policy server answered '{line}'");
            }

            var n = await _socket.ReceiveAsync(_buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                throw new IOException("the policy server closed the connection; pending: " + text);
            }

            _pending.Append(Encoding.UTF8.GetString(_buffer, 0, n));
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Postfix's milter8 client: the packets (4-byte big-endian length, command byte, data), the option
/// negotiation, and from then on only the steps the milter did not ask to leave out, and only the
/// replies it did not ask Postfix not to wait for.
/// </summary>
internal sealed class MilterWire : IDisposable
{
    // What Postfix 3.x offers at negotiation: every action (SMFIF_*) and protocol flag (SMFIP_*) it knows.
    private const uint PostfixActions = 0x1FF;
    private const uint PostfixProtocol = 0x1FFFFF;

    private readonly Socket _socket;

    private MilterWire(Socket socket) => _socket = socket;

    /// <summary>What the milter negotiated: the steps left out and the replies not waited for.</summary>
    public MilterProtocolFlags Protocol { get; private set; }

    public static async Task<MilterWire> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, cancellationToken);
        var wire = new MilterWire(socket);
        var options = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(options, 6);
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(4), PostfixActions);
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(8), PostfixProtocol);
        await wire.SendAsync('O', options, cancellationToken);
        var (command, data) = await wire.ReadAsync(cancellationToken);
        if (command != 'O' || data.Length < 12)
        {
            throw new InvalidOperationException($"the milter answered '{command}' to the option negotiation");
        }

        wire.Protocol = (MilterProtocolFlags)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8));
        return wire;
    }

    public bool LeavesOut(MilterProtocolFlags step) => (Protocol & step) != 0;

    public Task SendAsync(char command, byte[] data, CancellationToken cancellationToken)
    {
        var packet = new byte[5 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(1 + data.Length));
        packet[4] = (byte)command;
        data.CopyTo(packet.AsSpan(5));
        return _socket.SendAsync(packet, SocketFlags.None, cancellationToken).AsTask();
    }

    /// <summary>A command whose data is NUL-terminated strings.</summary>
    public Task SendAsync(char command, CancellationToken cancellationToken, params string[] strings) =>
        SendAsync(command, Strings(strings), cancellationToken);

    /// <summary>SMFIC_MACRO for the stage of <paramref name="command"/>: name, value, name, value...</summary>
    public Task SendMacrosAsync(char command, CancellationToken cancellationToken, params string[] pairs) =>
        SendAsync('D', [(byte)command, .. Strings(pairs)], cancellationToken);

    public Task SendConnectAsync(string host, string address, ushort port, CancellationToken cancellationToken) =>
        SendAsync('C', [.. Strings(host), (byte)(address.Contains(':') ? '6' : '4'), (byte)(port >> 8), (byte)port, .. Strings(address)], cancellationToken);

    /// <summary>A step's reply, or null when the milter negotiated that Postfix does not wait for it.</summary>
    public async Task<(char Command, string Text)?> ReplyAsync(MilterProtocolFlags noReply, CancellationToken cancellationToken)
    {
        if (LeavesOut(noReply))
        {
            return null;
        }

        var (command, data) = await ReadAsync(cancellationToken);
        return (command, Encoding.UTF8.GetString(data).TrimEnd('\0'));
    }

    public async Task<(char Command, byte[] Data)> ReadAsync(CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await ReadExactlyAsync(header, cancellationToken);
        var data = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await ReadExactlyAsync(data, cancellationToken);
        return ((char)data[0], data[1..]);
    }

    public void Dispose() => _socket.Dispose();

    private static byte[] Strings(params string[] values) => Encoding.UTF8.GetBytes(string.Concat(values.Select(v => v + "\0")));

    private async Task ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"the milter closed the connection after {read} of {buffer.Length} bytes");
            }

            read += n;
        }
    }
}
