using System.Buffers;
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Floodgate.Protocols.Milter;

namespace Floodgate.Protocols.Tests.Milter;

/// <summary>
/// Generated input against the milter framing and the connection's command handling: no exception,
/// no over-read, and every packet either handled or ending the connection. Fixed seed.
/// </summary>
public sealed class MilterFuzzTests
{
    private const string Seed = "(20250101,11)";
    private const int MaxData = 4096;

    [Property(Replay = Seed, MaxTest = 500)]
    public void ArbitraryBytesNeverBreakTheFraming(byte[] input) => DriveConnection(input, 1 + (input.Length % 17));

    [Property(Replay = Seed, MaxTest = 500, Arbitrary = [typeof(NearValidPackets)])]
    public void NearValidPacketStreamsAreHandledOrRefused(PacketStream stream) => DriveConnection(stream.Bytes, stream.SegmentSize);

    // Frames packets as the server does and hands them to a real connection with a default session.
    private static void DriveConnection(byte[] input, int segmentSize)
    {
        var options = new MilterServerOptions { MaxMessageSize = 10_000 };
        var connection = new MilterConnection(options, [], new ContinueSessionFactory(), new MilterConnectionInfo(null));
        var output = new ArrayBufferWriter<byte>();
        var reader = new SequenceReader<byte>(Sequences.Split(input, segmentSize));
        while (true)
        {
            var before = reader.Consumed;
            if (!MilterPacketReader.TryRead(ref reader, MaxData, out var packet, out var error))
            {
                Assert.Equal(before, reader.Consumed);
                return;
            }

            Assert.InRange(packet.Data.Length, 0, MaxData);
            Assert.InRange(reader.Consumed, before + 5, input.Length);
            var step = connection.Handle(packet.Command, packet.Data.ToArray(), output);
            if (step == MilterStep.EndOfMessage)
            {
                var decision = connection.DecideEndOfMessageAsync(CancellationToken.None);
                Assert.True(decision.IsCompleted);
                connection.CompleteEndOfMessage(decision.Result, output);
            }
            else if (step == MilterStep.Close)
            {
                connection.Close();
                return;
            }
        }
    }

    private sealed class ContinueSession : MilterSession
    {
        public override void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
        }
    }

    private sealed class ContinueSessionFactory : IMilterSessionFactory
    {
        public IMilterSession Open(MilterConnectionInfo connection) => new ContinueSession();
    }
}

public sealed record PacketStream(byte[] Bytes, int SegmentSize)
{
    public override string ToString() => Convert.ToHexString(Bytes);
}

public static class NearValidPackets
{
    private static Gen<byte[]> Data =>
        Gen.Elements(
            MilterTestClient.Strings("<alice@example.com>", "SIZE=10"),
            MilterTestClient.Strings("Subject", "hi"),
            MilterTestClient.Strings("host"),
            "no nul"u8.ToArray(),
            [],
            [(byte)'M', .. MilterTestClient.Strings("i", "Q1")],
            [(byte)'4', 0, 25],
            new byte[600]);

    private static Gen<byte[]> Packet =>
        Gen.Elements("OCDHMRTLNBEAQKUZ\0".ToCharArray())
            .Zip(Data, (command, data) => command == 'O'
                ? MilterTestClient.OptionNegotiation(6, 0x1FF, 0x1FFFFF)
                : command == 'C' ? MilterTestClient.Connect("host", "192.0.2.1", 25) : MilterTestClient.Packet(command, data))
            .Zip(Gen.Choose(0, 30), (packet, mutation) =>
            {
                switch (mutation)
                {
                    case 0:
                        return packet[..(packet.Length / 2)]; // truncated
                    case 1:
                        BinaryPrimitives.WriteUInt32BigEndian(packet, 0x7FFF_FFFF); // absurd length
                        return packet;
                    case 2:
                        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)packet.Length + 3); // length beyond the data
                        return packet;
                    default:
                        return packet;
                }
            });

    public static Arbitrary<PacketStream> Streams() =>
        Gen.ListOf(Packet)
            .Select(packets => (byte[])[.. MilterTestClient.OptionNegotiation(6, 0x1FF, 0x1FFFFF), .. MilterTestClient.Connect("h", "192.0.2.1", 25), .. packets.SelectMany(p => p)])
            .Zip(Gen.Choose(1, 64), (bytes, segment) => new PacketStream(bytes, segment))
            .ToArbitrary();
}
