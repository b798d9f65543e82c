using Floodgate.Core.Enforcement;
using Floodgate.Storage.HotState;

namespace Floodgate.Hosting;

/// <summary>
/// With several nodes: once an offense is durable, the others are told, so they reload the suspension
/// from the database at once (the next MAIL FROM on any node is refused), not at their next poll.
/// </summary>
internal sealed class AnnouncingOffenseRecorder(IOffenseRecorder inner, RedisHotState peers) : IOffenseRecorder
{
    public async Task<RecordedStep> RecordAsync(Offense offense, CancellationToken cancellationToken)
    {
        var recorded = await inner.RecordAsync(offense, cancellationToken).ConfigureAwait(false);
        peers.AnnounceStateChanged();
        return recorded;
    }

    public bool IsStored(Guid key) => inner.IsStored(key);
}
