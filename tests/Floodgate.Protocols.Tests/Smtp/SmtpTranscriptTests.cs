using System.Globalization;
using Floodgate.Protocols.Content;
using Floodgate.Protocols.Tests.Content;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Protocols.Tests.Smtp;

/// <summary>
/// Replays every file in Smtp/Transcripts against a real server (format: <see cref="TranscriptPlayer"/>).
/// Options, as "@ option [value]" lines before the first C: line: auth-requires-tls, trusted,
/// max-message-size N, max-bad-commands N, max-junk-commands N, max-session-lifetime hh:mm:ss,
/// spool-memory-threshold N, spool-max-bytes N (a spool of its own in a temporary folder).
/// </summary>
public sealed class SmtpTranscriptTests
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
        await TranscriptPlayer.PlayAsync(name, lines, client, time);
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
}
