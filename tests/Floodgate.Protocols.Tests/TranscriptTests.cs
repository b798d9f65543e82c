using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Floodgate.Protocols.Milter;
using Floodgate.Protocols.PolicyDelegation;
using Floodgate.Protocols.Tests.Milter;
using Floodgate.Protocols.Tests.PolicyDelegation;

namespace Floodgate.Protocols.Tests;

/// <summary>Replays the recorded sessions in Transcripts/ against real servers over TCP.</summary>
public sealed class TranscriptTests
{
    private static IEnumerable<string> Lines(string file) =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Transcripts", file)).Where(l => !l.StartsWith('#'));

    [Theory]
    [InlineData("policy-rcpt-pipelined-then-end-of-message.txt")]
    [InlineData("policy-malformed-line.txt")]
    public async Task PolicyTranscriptIsAnsweredAsRecorded(string file)
    {
        await using var server = new PolicyServer(new PolicyServerOptions { TcpEndPoints = ["127.0.0.1:0"] }, new TranscriptPolicyHandler());
        await server.StartAsync(CancellationToken.None);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoints[0]);
        var sent = new StringBuilder();
        var expected = new StringBuilder();

        foreach (var line in Lines(file).Append("C: "))
        {
            if (line.StartsWith("C:", StringComparison.Ordinal))
            {
                if (expected.Length > 0)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(sent.ToString()));
                    var want = expected.ToString();
                    Assert.Equal(want, await PolicyServerTests.ReadRepliesAsync(socket, want.Split("\n\n").Length - 1));
                    sent.Clear();
                    expected.Clear();
                }

                sent.Append(line[2..].Trim()).Append('\n');
            }
            else if (line.StartsWith("S:", StringComparison.Ordinal))
            {
                expected.Append(line[2..].Trim()).Append('\n');
            }
        }
    }

    [Fact]
    public async Task MilterTranscriptIsAnsweredAsRecorded()
    {
        var factory = new RecordingSessionFactory();
        await using var server = new MilterServer(new MilterServerOptions { TcpEndPoints = ["127.0.0.1:0"] }, factory);
        await server.StartAsync(CancellationToken.None);
        using var client = await MilterTestClient.ConnectAsync(server.LocalEndPoints[0]);

        foreach (var line in Lines("milter-postfix-two-messages.txt"))
        {
            var text = line[2..].Trim();
            if (line.StartsWith("C:", StringComparison.Ordinal))
            {
                await client.SendAsync(EncodeCommand(text));
            }
            else if (text.StartsWith('O'))
            {
                var (command, data) = await client.ReadReplyAsync();
                var words = text.Split(' ');
                Assert.Equal('O', command);
                Assert.Equal(uint.Parse(words[1], CultureInfo.InvariantCulture), BinaryPrimitives.ReadUInt32BigEndian(data));
                Assert.Equal(Convert.ToUInt32(words[2], 16), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4)));
                Assert.Equal(Convert.ToUInt32(words[3], 16), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8)));
            }
            else
            {
                Assert.Equal(text, await client.ReadReplyTextAsync());
            }
        }

        Assert.True(await client.IsClosedAsync());
    }

    private static byte[] EncodeCommand(string text)
    {
        var command = text[0];
        var rest = text.Length > 2 ? text[2..] : string.Empty;
        switch (command)
        {
            case 'O':
                var words = rest.Split(' ');
                return MilterTestClient.OptionNegotiation(uint.Parse(words[0], CultureInfo.InvariantCulture), Convert.ToUInt32(words[1], 16), Convert.ToUInt32(words[2], 16));
            case 'C':
                var parts = rest.Split(' ');
                return MilterTestClient.Connect(parts[0], parts[3], ushort.Parse(parts[2], CultureInfo.InvariantCulture));
            case 'D':
                var fields = rest.Split('|');
                return MilterTestClient.Macros(fields[0][0], fields[1..]);
            case 'B':
                return MilterTestClient.Packet('B', Encoding.UTF8.GetBytes(rest.Replace("\\r\\n", "\r\n", StringComparison.Ordinal)));
            default:
                return MilterTestClient.Packet(command, rest.Length == 0 ? [] : MilterTestClient.Strings(rest.Split('|')));
        }
    }

    private sealed class TranscriptPolicyHandler : IPolicyHandler
    {
        private static readonly PolicyReply TooMany = PolicyReply.Smtp(452, "4.5.3", "Too many recipients");
        private static readonly PolicyReply Hold = PolicyReply.Hold("suspicious volume");

        public ValueTask<PolicyReply> DecideAsync(PolicyRequest request) => ValueTask.FromResult(request.ProtocolState switch
        {
            PolicyProtocolState.EndOfMessage => Hold,
            _ when request.ValueEquals(PolicyAttribute.Recipient, "many@example.org"u8) => TooMany,
            _ => PolicyReply.Dunno,
        });
    }
}
