namespace Floodgate.Core.Blocklists;

/// <summary>
/// Several nodes, one periodic job: the node that takes the lease runs this round, the others skip it
/// (a listing found by N nodes must raise one alert, not N). One node: always its turn.
/// </summary>
public interface IRoundLease
{
    /// <summary>True when this node runs the round of <paramref name="job"/>; the lease lasts <paramref name="hold"/>.</summary>
    Task<bool> TryTakeAsync(string job, TimeSpan hold, CancellationToken cancellationToken);
}
