using static Floodgate.Doors.Tests.Scenarios.ScenarioWorld;

namespace Floodgate.Doors.Tests.Scenarios;

/// <summary>
/// Logins as Postfix reports them to each of its doors (policy delegation's sasl_username and
/// client_address, the milter's {auth_authen} and connect address): more than ten client networks in a
/// day holds the next message where the content is judged; the same mailbox behind one NAT all day does not.
/// </summary>
public sealed class CompromiseDoorTests
{
    public static TheoryData<DoorKind> PostfixDoors => [DoorKind.Milter, DoorKind.PolicyAndMilter];

    [Theory]
    [MemberData(nameof(PostfixDoors))]
    public async Task ElevenNetworksInADayHoldTheEleventhMessage(DoorKind door)
    {
        await using var world = new ScenarioWorld(trustLoopback: false);
        await using var driver = await DoorDrivers.StartAsync(door, world, CancellationToken.None);
        var results = new List<ScenarioResult>();
        for (var i = 0; i < 11; i++)
        {
            var address = i % 2 == 0 ? $"198.51.{100 + i}.9" : $"2001:db8:{i:x}::9";
            results.Add(await driver.SendAsync(new Submission(Ann, Ann, [$"friend{i}@example.net"]) { ClientAddress = address }, CancellationToken.None));
            world.Time.Advance(TimeSpan.FromMinutes(30));
        }

        Assert.All(results[..10], r => Assert.Equal("250", r.Reply));
        Assert.Equal("hold", results[10].Reply);
        Assert.Contains("login-networks", results[10].Text, StringComparison.Ordinal);
        Assert.Equal(11, world.Detector.Compromise.Describe(world.Mailbox(Ann).Id, world.Time.GetUtcNow())!.NetworksLastDay.Count);
    }

    [Theory]
    [MemberData(nameof(PostfixDoors))]
    public async Task OneNatAllDayIsOneNetwork(DoorKind door)
    {
        await using var world = new ScenarioWorld(trustLoopback: false);
        await using var driver = await DoorDrivers.StartAsync(door, world, CancellationToken.None);
        for (var i = 0; i < 30; i++)
        {
            var result = await driver.SendAsync(new Submission(Ann, Ann, [$"friend{i}@example.net"]) { ClientAddress = $"203.0.113.{i % 5 + 1}" }, CancellationToken.None);
            Assert.Equal("250", result.Reply);
            world.Time.Advance(TimeSpan.FromMinutes(20));
        }

        Assert.Single(world.Detector.Compromise.Describe(world.Mailbox(Ann).Id, world.Time.GetUtcNow())!.NetworksLastDay);
    }
}
