using System.Globalization;
using Floodgate.EndToEnd.Tests.Attacks;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Floodgate.Storage.Tests;
using Floodgate.Storage.Tests.HotState;

namespace Floodgate.EndToEnd.Tests.Balancing;

/// <summary>
/// A node on a shared PostgreSQL and Redis, and Redis killed while mail flows: the node stays up, keeps
/// to its share of the window (the default rule: local at 1/N), loses nothing it accepted, says so in
/// /healthz and /metrics, and decides in Redis again, with the windows rebuilt, once Redis is back.
/// </summary>
public sealed class RedisOutageEndToEndTests : IAsyncLifetime
{
    private const string Sender = "flow@flow.test";
    private const int MessagesPerHour = 40;
    private PrivateRedis _redis = null!;
    private UpstreamSink _sink = null!;
    private FloodgateProcess _node = null!;
    private string? _database;

    public async Task InitializeAsync()
    {
        _redis = await PrivateRedis.StartAsync();
        _sink = await UpstreamSink.StartAsync();
        _database = TestDatabases.CreateDatabase();
        _node = new FloodgateProcess { Database = ["--db-provider", "postgresql", "--db", _database] };
        await ServerState.AddClientAsync(_node, "Flow", ServerState.Wide("mailbox.messages-per-hour=" + MessagesPerHour.ToString(CultureInfo.InvariantCulture)), ["flow.test"], [Sender]);
        // Two nodes share the limits: alone in Redis's fallback this one may take half.
        _node.Environment["FLOODGATE_Redis__Nodes"] = "2";
        await _node.StartAsync(["--upstream", _sink.Url, "--redis", _redis.Configuration, .. Submission.PrivateDoors]);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _sink.DisposeAsync();
        await _redis.DisposeAsync();
        if (_database is not null)
        {
            TestDatabases.DropDatabase(_database);
        }
    }

    [SharedDatabaseFact]
    public async Task KilledMidRunRedisLeavesTheNodeUpWithinItsShareAndLosesNothingAccepted()
    {
        var accepted = 0;
        await using (var c = await Submission.LoginAsync(_node, Sender))
        {
            for (var i = 0; i < 10; i++)
            {
                accepted += await SendOneAsync(c, i) ? 1 : 0;
            }

            Assert.Equal(10, accepted);
            await _redis.KillAsync();

            // The same session goes on: 10 were counted in Redis before it went; locally the node
            // may take 40 / 2 = 20 more, whatever Redis had.
            var during = 0;
            for (var i = 10; i < 40; i++)
            {
                during += await SendOneAsync(c, i) ? 1 : 0;
            }

            Assert.Equal(MessagesPerHour / 2, during);
            accepted += during;
        }

        Assert.True(_node.IsRunning, _node.Output);
        var health = await GetAsync("/healthz");
        Assert.Contains("unavailable", health, StringComparison.Ordinal);
        Assert.Contains("floodgate_hot_state_shared 0", await GetAsync("/metrics"), StringComparison.Ordinal);

        // Back, empty (no persistence): the node rebuilds the windows from the transaction log.
        await _redis.StartAgainAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!(await GetAsync("/healthz")).Contains("shared in Redis", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the node decides in Redis again within 20 s:\n" + _node.Output);
            await Task.Delay(200);
        }

        // The rebuild from the log shows in the node's windows (Redis's count plus what the node counted
        // locally during the outage): then Redis holds all 30 relayed messages again, and 10 more fit, not 40.
        while (ServerState.Window(await ServerState.ExplainAsync(_node, Sender), "mailbox", "messages in the last hour").Used <= MessagesPerHour / 2)
        {
            Assert.True(DateTime.UtcNow < deadline + TimeSpan.FromSeconds(10), "the windows were rebuilt in Redis:\n" + _node.Output);
            await Task.Delay(200);
        }

        var after = 0;
        await using (var c = await Submission.LoginAsync(_node, Sender))
        {
            for (var i = 40; i < 60; i++)
            {
                after += await SendOneAsync(c, i) ? 1 : 0;
            }
        }

        Assert.True(MessagesPerHour - accepted == after, $"{after} accepted after Redis returned, {accepted} before; the window is {MessagesPerHour}:\n{_node.Output}");
        accepted += after;

        // Nothing accepted is lost: every 250 reached the upstream.
        Assert.True(SpinWait.SpinUntil(() => _sink.Messages.Count(m => m.Sender == Sender) == accepted, TimeSpan.FromSeconds(10)),
            $"{_sink.Messages.Count(m => m.Sender == Sender)} relayed of {accepted} accepted");
    }

    private static async Task<bool> SendOneAsync(RawSmtpClient c, int i)
    {
        var reply = await OneMessage.SendAsync(c, Sender, string.Create(CultureInfo.InvariantCulture, $"r{i}@outside.example"),
            Submission.Message(Sender, "Note " + i.ToString(CultureInfo.InvariantCulture), $"flow{i}@flow.test", "Hello.\r\n"));
        if (reply.StartsWith("250", StringComparison.Ordinal))
        {
            return true;
        }

        Assert.StartsWith("451 4.7.1", reply);
        return false;
    }

    private async Task<string> GetAsync(string path)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(_node.Web, path));
        return await response.Content.ReadAsStringAsync();
    }
}
