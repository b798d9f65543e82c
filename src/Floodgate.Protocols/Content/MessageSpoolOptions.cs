namespace Floodgate.Protocols.Content;

public sealed class MessageSpoolOptions
{
    /// <summary>
    /// Where spool files go. One process per folder: at start the spool deletes the files a
    /// previous process left there.
    /// </summary>
    public required string Directory { get; set; }

    /// <summary>
    /// Octets one message may hold in memory; a bigger one moves to a spool file. 1 MiB keeps
    /// ordinary mail (tens of KB) in memory and a 35 MiB attachment off the heap. 0 spools every message.
    /// </summary>
    public int MemoryThreshold { get; set; } = 1024 * 1024;

    /// <summary>
    /// In-memory octets of all messages together. A message whose growth would pass it moves to a
    /// spool file instead. The first 64 KiB of each message (its head) always stay in memory and
    /// count here, but are never refused: they are the floor a message costs.
    /// </summary>
    public long MaxMemoryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Octets of all spool files together; a message that would pass it is refused (452 4.3.1 in SMTP).</summary>
    public long MaxSpoolBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        Check(!string.IsNullOrWhiteSpace(Directory), nameof(Directory), "must name a folder");
        Check(MemoryThreshold >= 0 && MemoryThreshold <= Array.MaxLength, nameof(MemoryThreshold), "must be between 0 and the largest array");
        Check(MaxMemoryBytes > 0, nameof(MaxMemoryBytes), "must be positive");
        Check(MaxSpoolBytes >= 0, nameof(MaxSpoolBytes), "must not be negative");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"MessageSpoolOptions.{name} {rule}.");
        }
    }
}
