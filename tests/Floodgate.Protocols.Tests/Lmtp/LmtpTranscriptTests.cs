using System.Globalization;
using Floodgate.Protocols.Lmtp;
using Floodgate.Protocols.Tests.Smtp;
using Microsoft.Extensions.Time.Testing;

namespace Floodgate.Protocols.Tests.Lmtp;

/// <summary>
/// Replays every file in Lmtp/Transcripts against a real LMTP server (format: <see cref="TranscriptPlayer"/>).
/// Options, as "@ option [value]" lines: max-message-size N, max-recipients N, max-bad-commands N,
/// throw-on-deliver (the handler throws after DATA).
/// </summary>
public sealed class LmtpTranscriptTests
{
    public static TheoryData<string> Transcripts()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Lmtp", "Transcripts"), "*.txt").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task TranscriptPlaysOutAsRecorded(string name)
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "Lmtp", "Transcripts", name + ".txt"));
        var sessions = new ScriptedLmtpSessionFactory();
        var time = new FakeTimeProvider();
        await using var harness = await LmtpServerHarness.StartAsync(options => Configure(lines, options, sessions), sessions, time);
        await using var client = await harness.ConnectAsync();
        await TranscriptPlayer.PlayAsync(name, lines, client, time);
    }

    private static void Configure(string[] lines, LmtpServerOptions options, ScriptedLmtpSessionFactory sessions)
    {
        foreach (var parts in TranscriptPlayer.Options(lines))
        {
            switch (parts[0])
            {
                case "max-message-size":
                    options.MaxMessageSize = long.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "max-recipients":
                    options.MaxRecipients = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "max-bad-commands":
                    options.MaxBadCommands = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    break;
                case "throw-on-deliver":
                    sessions.ThrowOnDeliver = true;
                    break;
                default:
                    throw new InvalidOperationException($"Unknown transcript option '{parts[0]}'.");
            }
        }
    }
}
