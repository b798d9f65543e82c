using Floodgate.Core.Fingerprinting;
using Floodgate.Protocols.Content;
using MimeKit;

namespace Floodgate.Doors;

/// <summary>
/// The content work of every door that sees a message, off the socket event threads: a message in
/// memory is walked as received (about 20 µs for 5 KB); a spooled one is parsed from its file with
/// MimeKit's persistent parser, which reads parts in place and keeps only the text it fingerprints,
/// so a 30 MB message costs no 30 MB of memory. At most one large walk per core at a time.
/// </summary>
internal static class MessageInspection
{
    private static readonly SemaphoreSlim LargeWalks = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public static async ValueTask<ContentFingerprint> FingerprintAsync(Fingerprinter fingerprinter, MessageContent content, CancellationToken cancellationToken)
    {
        if (content.TryGetMemory(out var memory))
        {
            return await Task.Run(() => fingerprinter.Compute(memory), cancellationToken).ConfigureAwait(false);
        }

        await LargeWalks.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() =>
            {
                using var stream = content.OpenRead();
                try
                {
                    return fingerprinter.Compute(MimeMessage.Load(stream, persistent: true, cancellationToken));
                }
                catch (FormatException)
                {
                    // Unparsable content is judged on its envelope alone, as with no fingerprint.
                    return default;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LargeWalks.Release();
        }
    }
}
