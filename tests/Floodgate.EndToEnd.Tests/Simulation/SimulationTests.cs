using Xunit.Abstractions;

namespace Floodgate.EndToEnd.Tests.Simulation;

/// <summary>
/// The simulator's scenarios against the real gateway with the default thresholds. The table is
/// printed and, when FLOODGATE_SIMULATION_REPORT names a file, written there (bench/simulate.sh).
/// </summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ScenariosMeetThePolicy()
    {
        await using var sim = await TrafficSimulator.StartAsync();
        var results = await sim.RunAllAsync();
        var table = TrafficSimulator.Table(results);
        output.WriteLine(table);
        if (Environment.GetEnvironmentVariable("FLOODGATE_SIMULATION_REPORT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, table);
        }

        foreach (var r in results.Where(r => r.Legitimate))
        {
            Assert.True(r.Offenses == 0, $"{r.Name}: a legitimate scenario got an offense ({r.LastReply})\n{table}");
        }

        var split = results.Single(r => r.Name.StartsWith("split", StringComparison.Ordinal));
        Assert.True(split.Holds == 1 && split.MessagesRelayed == 1, $"the second half of a split announcement is held once:\n{table}");
        Assert.True(results.Where(r => r.Legitimate && !r.Name.StartsWith("split", StringComparison.Ordinal)).All(r => r.Holds == 0 && r.Refusals == 0), $"legitimate mail flows:\n{table}");

        var blast = results.Single(r => r.Name.StartsWith("compromised", StringComparison.Ordinal));
        Assert.True(blast.PiecesRelayed <= TrafficSimulator.Cap, $"a blast relays at most one message's worth before it is held:\n{table}");
        Assert.True(blast.Offenses >= 1, $"the blast raises an offense:\n{table}");

        var bust = results.Single(r => r.Name.StartsWith("hash-busting", StringComparison.Ordinal));
        Assert.True(bust.PiecesRelayed <= 2 * TrafficSimulator.Cap, $"hash-busting relays at most 2 × cap:\n{table}");
        Assert.True(bust.Offenses >= 1, $"hash-busting raises an offense:\n{table}");

        foreach (var diluted in results.Where(r => r.Name.StartsWith("filler", StringComparison.Ordinal) || r.Name.StartsWith("spun", StringComparison.Ordinal)))
        {
            Assert.True(diluted.PiecesRelayed <= 2 * TrafficSimulator.Cap, $"{diluted.Name} relays at most 2 × cap:\n{table}");
            Assert.True(diluted.Offenses >= 1, $"{diluted.Name} raises an offense:\n{table}");
        }

        var slow = results.Single(r => r.Name.StartsWith("slow", StringComparison.Ordinal));
        Assert.True(slow.Offenses >= 1, $"the slow spammer is caught:\n{table}");

        var campaign = results.Where(r => r.Name.StartsWith("campaign", StringComparison.Ordinal)).ToList();
        Assert.True(campaign.Count(r => r.Offenses >= 1) >= 3, $"the campaign is caught in most of its mailboxes:\n{table}");
    }
}
