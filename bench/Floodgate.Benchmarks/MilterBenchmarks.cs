using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using Floodgate.Protocols.Milter;

namespace Floodgate.Benchmarks;

/// <summary>Framing and handling milter packets as Postfix sends them, through a real connection and a session that reads what Floodgate needs.</summary>
[MemoryDiagnoser]
public class MilterBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private byte[] _mail = [];
    private byte[] _rcpt = [];
    private byte[] _header = [];
    private MilterConnection _connection = null!;

    [GlobalSetup]
    public void Setup()
    {
        _mail = [.. Packet('D', [(byte)'M', .. Strings("i", "4XyZ1c2Ab3", "{auth_type}", "PLAIN", "{auth_authen}", "alice@example.com", "{mail_addr}", "alice@example.com")]),
            .. Packet('M', Strings("<alice@example.com>", "SIZE=48213", "BODY=8BITMIME")),
            .. Packet('A', [])];
        _rcpt = [.. Packet('D', [(byte)'R', .. Strings("i", "4XyZ1c2Ab3", "{rcpt_addr}", "bob@example.org", "{rcpt_host}", "example.org", "{rcpt_mailer}", "smtp")]),
            .. Packet('R', Strings("<bob@example.org>", "NOTIFY=NEVER"))];
        _header = Packet('L', Strings("Subject", "Quarterly report for the finance team, please review before Friday"));
        _connection = new MilterConnection(new MilterServerOptions(), [], new Factory(), new MilterConnectionInfo(null));
        Run([.. OptionNegotiation(), .. Packet('C', [.. Strings("mail.example.net"), (byte)'4', 0, 25, .. Strings("192.0.2.10")])]);
    }

    /// <summary>MACRO M + MAIL FROM + ABORT: three packets per iteration.</summary>
    [Benchmark]
    public int MailFrom() => Run(_mail);

    /// <summary>MACRO R + RCPT TO.</summary>
    [Benchmark]
    public int Recipient()
    {
        EnsureState(MilterState.Rcpt);
        return Run(_rcpt);
    }

    [Benchmark]
    public int Header()
    {
        EnsureState(MilterState.Headers);
        return Run(_header);
    }

    private void EnsureState(MilterState wanted)
    {
        if (_connection.State == wanted)
        {
            return;
        }

        Run(Packet('M', Strings("<alice@example.com>")));
        Run(Packet('R', Strings("<bob@example.org>")));
        if (wanted == MilterState.Headers)
        {
            Run(Packet('T', []));
            Run(_header);
        }
    }

    private int Run(byte[] bytes)
    {
        _output.ResetWrittenCount();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        var packets = 0;
        while (MilterPacketReader.TryRead(ref reader, out var packet, out _))
        {
            _connection.Handle(packet.Command, packet.Data.First, _output);
            packets++;
        }

        return packets;
    }

    private static byte[] Strings(params string[] values) => Encoding.UTF8.GetBytes(string.Concat(values.Select(v => v + "\0")));

    private static byte[] Packet(char command, byte[] data)
    {
        var packet = new byte[5 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(1 + data.Length));
        packet[4] = (byte)command;
        data.CopyTo(packet, 5);
        return packet;
    }

    private static byte[] OptionNegotiation()
    {
        var data = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(data, 6);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), 0x1FF);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), 0x1FFFFF);
        return Packet('O', data);
    }

    // Reads what an abuse-control session reads, without making strings.
    private sealed class Session : MilterSession
    {
        public int Seen { get; private set; }

        public override ValueTask<MilterDecision> OnMailFromAsync(MilterArguments arguments, MilterMacros macros)
        {
            Seen += arguments.Address.Length;
            if (macros.TryGet("{auth_authen}"u8, out var account))
            {
                Seen += account.Length;
            }

            return ValueTask.FromResult(MilterDecision.Continue);
        }

        public override ValueTask<MilterDecision> OnRecipientAsync(MilterArguments arguments, MilterMacros macros)
        {
            Seen += arguments.Address.Length;
            return ValueTask.FromResult(MilterDecision.Continue);
        }

        public override void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Seen += value.Length;
    }

    private sealed class Factory : IMilterSessionFactory
    {
        public IMilterSession Open(MilterConnectionInfo connection) => new Session();
    }
}
