using Floodgate.Core.Blocklists;

namespace Floodgate.Core.Tests.Blocklists;

/// <summary>The watch's rules as a table: what a round's answer does to a pair's stored state, and why.</summary>
public sealed class BlocklistWatchRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    public static TheoryData<string, BlocklistPairState?, BlocklistState, BlocklistStep, bool> Cases() => new()
    {
        { "not checked on the first round: nothing is known, nothing is stored", null, BlocklistState.Error, new(false, false, BlocklistAlert.None, false), true },
        { "not checked while listed: the listing stands, no delisting", Listed(announced: true, alertedAgo: 1), BlocklistState.Error, new(false, false, BlocklistAlert.None, false), true },
        { "not checked while clear: never read as clean news either", Clear(alertedAgo: null), BlocklistState.Error, new(false, false, BlocklistAlert.None, false), true },
        { "first answer clear: what everybody assumed", null, BlocklistState.Clear, new(true, false, BlocklistAlert.None, false), true },
        { "first answer listed: news", null, BlocklistState.Listed, new(true, true, BlocklistAlert.Listed, false), true },
        { "clear to listed, never alerted before", Clear(alertedAgo: null), BlocklistState.Listed, new(true, true, BlocklistAlert.Listed, false), true },
        { "clear to listed, last alert two days ago", Clear(alertedAgo: 48), BlocklistState.Listed, new(true, true, BlocklistAlert.Listed, false), true },
        { "clear to listed an hour after the last alert: a flap, suppressed", Clear(alertedAgo: 1), BlocklistState.Listed, new(true, true, BlocklistAlert.None, true), false },
        { "listed to clear after an announced listing", Listed(announced: true, alertedAgo: 1), BlocklistState.Clear, new(true, true, BlocklistAlert.Delisted, false), true },
        { "listed to clear after a suppressed listing: it ends as quietly as it came", Listed(announced: false, alertedAgo: 1), BlocklistState.Clear, new(true, true, BlocklistAlert.None, true), true },
        { "still listed and announced", Listed(announced: true, alertedAgo: 30), BlocklistState.Listed, new(true, false, BlocklistAlert.None, false), true },
        { "still listed, suppressed, suppression not over", Listed(announced: false, alertedAgo: 23), BlocklistState.Listed, new(true, false, BlocklistAlert.None, false), false },
        { "still listed, suppressed, suppression over: alerted late, never hidden", Listed(announced: false, alertedAgo: 25), BlocklistState.Listed, new(true, false, BlocklistAlert.Listed, false), true },
        { "still clear", Clear(alertedAgo: 1), BlocklistState.Clear, new(true, false, BlocklistAlert.None, false), true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachAnswerDoesWhatTheTableSays(string why, BlocklistPairState? stored, BlocklistState found, BlocklistStep expected, bool announced)
    {
        var step = BlocklistWatchRules.Next(stored, found, Now, Day);

        Assert.True(expected == step, $"{why}: expected {expected}, got {step}");
        if (step.Store)
            Assert.True(announced == step.Announced(stored, found), $"{why}: announced should be {announced}");
    }

    [Fact]
    public void NoSuppressionAlertsEveryChange()
    {
        var step = BlocklistWatchRules.Next(Clear(alertedAgo: 0), BlocklistState.Listed, Now, TimeSpan.Zero);

        Assert.Equal(BlocklistAlert.Listed, step.Alert);
    }

    private static BlocklistPairState Listed(bool announced, int? alertedAgo) => new(BlocklistState.Listed, announced, Ago(alertedAgo));

    private static BlocklistPairState Clear(int? alertedAgo) => new(BlocklistState.Clear, true, Ago(alertedAgo));

    private static DateTimeOffset? Ago(int? hours) => hours is { } h ? Now - TimeSpan.FromHours(h) : null;
}
