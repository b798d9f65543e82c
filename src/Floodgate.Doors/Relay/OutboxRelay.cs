using Floodgate.Core.Policy;
using System.Text.Json;

using Floodgate.Protocols.Content;

namespace Floodgate.Doors.Relay;

/// <summary>
/// With no upstream configured, accepted mail is written to the outbox folder as .eml files (the
/// message as received) with the envelope beside it, so nothing accepted is lost.
/// </summary>
internal sealed class OutboxRelay : IMessageRelay
{
    private readonly string _directory;
    private readonly TimeProvider _time;

    public OutboxRelay(string directory, TimeProvider time)
    {
        _time = time;
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    public string Describe() => $"outbox {_directory}";

    public async ValueTask<RelayResult> SendAsync(string sender, IReadOnlyList<string> recipients, MessageContent message, CancellationToken cancellationToken)
    {
        var id = $"{_time.GetUtcNow().UtcDateTime:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}";
        var eml = Path.Combine(_directory, id + ".eml");
        var tmp = eml + ".tmp";
        try
        {
            await using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16384, FileOptions.Asynchronous))
            {
                if (message.TryGetMemory(out var received))
                {
                    await file.WriteAsync(received, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await using var content = message.OpenRead();
                    await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                }
            }

            var envelope = JsonSerializer.Serialize(new OutboxEnvelope(sender, recipients), OutboxJson.Default.OutboxEnvelope);
            await File.WriteAllTextAsync(Path.Combine(_directory, id + ".envelope.json"), envelope, cancellationToken).ConfigureAwait(false);
            File.Move(tmp, eml);
            return RelayResult.Sent($"Ok: written to outbox as {id}");
        }
        catch (IOException ex)
        {
            TryDelete(tmp);
            return DoorReplies.OutboxNotWritable(ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            TryDelete(tmp);
            return DoorReplies.OutboxNotWritable(ex.Message);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed record OutboxEnvelope(string Sender, IReadOnlyList<string> Recipients);

[System.Text.Json.Serialization.JsonSerializable(typeof(OutboxEnvelope))]
internal sealed partial class OutboxJson : System.Text.Json.Serialization.JsonSerializerContext;
