namespace Floodgate.Core.Blocklists;

/// <summary>What the watch knows of one address (or domain) in one zone from earlier rounds.</summary>
/// <param name="State">Listed or clear: an error is never stored as a state.</param>
/// <param name="Announced">Whether the abuse desk was told the current state (a suppressed listing was not).</param>
/// <param name="LastAlertAt">The last alert for the pair, of either type; null: never alerted.</param>
public sealed record BlocklistPairState(BlocklistState State, bool Announced, DateTimeOffset? LastAlertAt);

public enum BlocklistAlert
{
    None,
    Listed,
    Delisted,
}

/// <summary>What one round's answer does to a pair.</summary>
/// <param name="Store">The answer becomes the stored state (with its code, reason and delisting page).</param>
/// <param name="Change">The state changed: a history row is written.</param>
/// <param name="Alert">The event raised; None when nothing is said.</param>
/// <param name="Suppressed">A change that would have been alerted but was kept quiet (the history row says so).</param>
public readonly record struct BlocklistStep(bool Store, bool Change, BlocklistAlert Alert, bool Suppressed)
{
    /// <summary>Whether, after this step, the abuse desk's last word for the pair is the stored state.</summary>
    public bool Announced(BlocklistPairState? stored, BlocklistState found) =>
        Alert != BlocklistAlert.None || (Suppressed ? found == BlocklistState.Clear : stored?.Announced ?? true);
}

/// <summary>
/// The watch's rules, one place. An answer that is not a listing and not a clear ("not checked":
/// timeout, resolver failure, a refusal code) changes nothing: absence of knowledge is neither good
/// news nor bad. Suppression delays a re-listing's alert, it never hides it for good: a listing
/// still there once the suppression has run out is alerted then, so the abuse desk's last word for
/// a pair always catches up with the truth.
/// </summary>
public static class BlocklistWatchRules
{
    public static BlocklistStep Next(BlocklistPairState? stored, BlocklistState found, DateTimeOffset now, TimeSpan suppression)
    {
        if (found == BlocklistState.Error)
            return new(Store: false, Change: false, BlocklistAlert.None, Suppressed: false);

        // First sight: clear is what everybody assumed; a listing is news.
        if (stored is null)
        {
            return found == BlocklistState.Listed
                ? new(Store: true, Change: true, BlocklistAlert.Listed, Suppressed: false)
                : new(Store: true, Change: false, BlocklistAlert.None, Suppressed: false);
        }

        var quiet = stored.LastAlertAt is { } last && now - last < suppression;
        if (stored.State == found)
        {
            // Still listed, never announced, and the suppression is over: say it now.
            var late = found == BlocklistState.Listed && !stored.Announced && !quiet;
            return new(Store: true, Change: false, late ? BlocklistAlert.Listed : BlocklistAlert.None, Suppressed: false);
        }

        if (found == BlocklistState.Listed)
        {
            return quiet
                ? new(Store: true, Change: true, BlocklistAlert.None, Suppressed: true)
                : new(Store: true, Change: true, BlocklistAlert.Listed, Suppressed: false);
        }

        // Delisted. The desk is told only of a listing it was told of; a suppressed one ends as quietly as it came.
        return stored.Announced
            ? new(Store: true, Change: true, BlocklistAlert.Delisted, Suppressed: false)
            : new(Store: true, Change: true, BlocklistAlert.None, Suppressed: true);
    }
}
