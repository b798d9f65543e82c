using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Tests.Content;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Protocols.Tests.Smtp;

/// <summary>
/// Replays every file in Smtp/Transcripts against a real server. Format, one item a line:
/// <code>
/// # comment
/// @ option [value]    before the first C: line: auth-requires-tls, trusted, max-message-size N,
///                     max-bad-commands N, max-junk-commands N, max-session-lifetime hh:mm:ss,
///                     spool-memory-threshold N, spool-max-bytes N (a spool of its own in a temporary folder)
/// C: text             sent with CRLF; consecutive C: lines go out in one write (pipelining)
/// S: text             the next reply line, compared exactly
/// S: &lt;close&gt;          the server closes the connection
/// T: +hh:mm:ss        the server's clock (a FakeTimeProvider, still otherwise) moves on
/// </code>
/// In C: lines, \xHH is a byte and {c*N} is c repeated N times.
/// </summary>
public sealed partial class SmtpTranscriptTests
{
    public static TheoryData<string> Transcripts()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Smtp", "Transcripts"), "*.txt").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task TranscriptPlaysOutAsRecorded(string name)
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "Smtp", "Transcripts", name + ".txt"));
        var sessions = new ScriptedSessionFactory();
        var time = new FakeTimeProvider();
        using var spoolDirectory = new TemporaryDirectory();
        await using var harness = await SmtpServerHarness.StartAsync(options => Configure(lines, options, sessions, spoolDirectory.Path), sessions, time);
        await using var client = await harness.ConnectAsync();

        var pending = new List<byte>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("C: ", StringComparison.Ordinal) || line == "C:")
            {
                pending.AddRange(Expand(line.Length > 3 ? line[3..] : string.Empty));
                pending.Add((byte)'\r');
                pending.Add((byte)'\n');
                continue;
            }

            if (pending.Count > 0)
            {
                await client.SendAsync([.. pending]);
                pending.Clear();
            }

            if (line.StartsWith("T: +", StringComparison.Ordinal))
            {
                time.Advance(TimeSpan.Parse(line[4..], CultureInfo.InvariantCulture));
            }
            else if (line.StartsWith("S: ", StringComparison.Ordinal))
            {
                var expected = line[3..];
                var actual = await client.ReadLineAsync();
                if (expected == "<close>")
                {
                    Assert.True(actual is null, $"{name}:{i + 1}: expected the server to close, got '{actual}'");
                }
                else
                {
                    Assert.True(expected == actual, $"{name}:{i + 1}: expected '{expected}', got '{actual}'");
                }
            }
        }

        if (pending.Count > 0)
        {
            await client.SendAsync([.. pending]);
        }
    }

    private static void Configure(string[] lines, Floodgate.Protocols.Smtp.SmtpServerOptions options, ScriptedSessionFactory sessions, string spoolDirectory)
    {
        MessageSpoolOptions? spool = null;
        foreach (var line in lines)
        {
            if (!line.StartsWith("@ ", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (parts[0])
            {
                case "auth-requires-tls":
                    sessions.AuthRequiresTls = true;
                    break;
                case "trusted":
                    sessions.Trusted = true;
                    break;
                case "max-message-size":
                    options.MaxMessageSize = long.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "max-bad-commands":
                    options.MaxBadCommands = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "max-junk-commands":
                    options.MaxJunkCommands = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "max-session-lifetime":
                    options.MaxSessionLifetime = TimeSpan.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "spool-memory-threshold":
                    spool ??= new MessageSpoolOptions { Directory = spoolDirectory };
                    spool.MemoryThreshold = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "spool-max-bytes":
                    spool ??= new MessageSpoolOptions { Directory = spoolDirectory };
                    spool.MaxSpoolBytes = long.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown transcript option '{parts[0]}'.");
            }
        }

        if (spool is not null)
        {
            options.Spool = new MessageSpool(spool);
        }
    }

    private static byte[] Expand(string text)
    {
        text = Repeat().Replace(text, static m => new string(m.Groups[1].Value[0], int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length + 0 && text[i + 1] == 'x')
            {
                bytes.Add(byte.Parse(text.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        return [.. bytes];
    }

    [GeneratedRegex(@"\{(.)\*(\d+)\}")]
    private static partial Regex Repeat();
}
