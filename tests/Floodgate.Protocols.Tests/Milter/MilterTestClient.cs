using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Floodgate.Protocols.Tests.Milter;

/// <summary>Plays the MTA side of the milter protocol, as Postfix's milter8 client does.</summary>
internal sealed class MilterTestClient : IDisposable
{
    private readonly Socket _socket;

    private MilterTestClient(Socket socket) => _socket = socket;

    public static async Task<MilterTestClient> ConnectAsync(EndPoint endPoint)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        return new MilterTestClient(socket);
    }

    /// <summary>NUL-terminated strings, concatenated.</summary>
    public static byte[] Strings(params string[] values) => Encoding.UTF8.GetBytes(string.Concat(values.Select(v => v + "\0")));

    public static byte[] Packet(char command, ReadOnlySpan<byte> data)
    {
        var packet = new byte[5 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(1 + data.Length));
        packet[4] = (byte)command;
        data.CopyTo(packet.AsSpan(5));
        return packet;
    }

    public static byte[] OptionNegotiation(uint version, uint actions, uint protocol)
    {
        var data = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(data, version);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), actions);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), protocol);
        return Packet('O', data);
    }

    public static byte[] Connect(string host, string address, ushort port)
    {
        var data = new List<byte>(Strings(host)) { (byte)'4', (byte)(port >> 8), (byte)port };
        data.AddRange(Strings(address));
        return Packet('C', data.ToArray());
    }

    public static byte[] Macros(char stage, params string[] pairs) => Packet('D', [(byte)stage, .. Strings(pairs)]);

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes, SocketFlags.None);

    public Task SendAsync(char command, params string[] strings) => SendAsync(Packet(command, Strings(strings)));

    public async Task<(char Command, byte[] Data)> ReadReplyAsync()
    {
        var header = new byte[4];
        await ReadExactlyAsync(header);
        var data = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await ReadExactlyAsync(data);
        return ((char)data[0], data[1..]);
    }

    public async Task<string> ReadReplyTextAsync()
    {
        var (command, data) = await ReadReplyAsync();
        return data.Length == 0 ? command.ToString() : command + " " + Encoding.UTF8.GetString(data).Replace('\0', '|');
    }

    public async Task<bool> IsClosedAsync()
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (true)
            {
                if (await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private async Task ReadExactlyAsync(byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"closed after {read} of {buffer.Length} bytes");
            }

            read += n;
        }
    }

    public void Dispose() => _socket.Dispose();
}
