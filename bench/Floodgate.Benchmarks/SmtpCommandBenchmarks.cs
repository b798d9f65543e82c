using BenchmarkDotNet.Attributes;
using Floodgate.Protocols.Smtp;

namespace Floodgate.Benchmarks;

/// <summary>Command parsing is per command on the hot path; it must stay allocation-free.</summary>
[MemoryDiagnoser]
public class SmtpCommandBenchmarks
{
    private readonly byte[] _mail = "MAIL FROM:<alice.sender@example.com> SIZE=48213 BODY=8BITMIME AUTH=<>"u8.ToArray();
    private readonly byte[] _rcpt = "RCPT TO:<bob.recipient@example.org>"u8.ToArray();
    private readonly byte[] _unknown = "XFOO something"u8.ToArray();

    [Benchmark]
    public long MailFromWithParameters()
    {
        SmtpCommandParser.TryParse(_mail, out var command);
        return command.Size + command.Argument.Length;
    }

    [Benchmark]
    public int RcptTo()
    {
        SmtpCommandParser.TryParse(_rcpt, out var command);
        return command.Argument.Length;
    }

    [Benchmark]
    public int UnknownCommand()
    {
        SmtpCommandParser.TryParse(_unknown, out var command);
        return (int)command.Error;
    }
}
