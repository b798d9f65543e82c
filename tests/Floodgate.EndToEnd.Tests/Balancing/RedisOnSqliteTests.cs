using System.Globalization;
using Floodgate.EndToEnd.Tests.Attacks;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Floodgate.Storage.Tests.HotState;

namespace Floodgate.EndToEnd.Tests.Balancing;

/// <summary>
/// A node on the embedded SQLite database with Redis: `serve` runs socket completions inline there, so
/// any door that still waited for Redis synchronously would stall on the thread that reads its reply.
/// Every door decides in Redis, and one window holds across them.
/// </summary>
public sealed class RedisOnSqliteTests : IAsyncLifetime
{
    private const string Sender = "doors@doors.test";
    private const int MessagesPerHour = 6;
    private PrivateRedis _redis = null!;
    private UpstreamSink _sink = null!;
    private FloodgateProcess _node = null!;

    public async Task InitializeAsync()
    {
        _redis = await PrivateRedis.StartAsync();
        _sink = await UpstreamSink.StartAsync();
        _node = new FloodgateProcess();
        await ServerState.AddClientAsync(_node, "Doors", ServerState.Wide("mailbox.messages-per-hour=" + MessagesPerHour.ToString(CultureInfo.InvariantCulture)), ["doors.test"], [Sender]);
        await _node.StartAsync(["--upstream", _sink.Url, "--redis", _redis.Configuration, .. Submission.PrivateDoors]);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _sink.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task PolicyDelegationAndTheGatewayShareOneWindowInRedis()
    {
        // Ten smtpd processes at once, two messages each, against a window of six.
        var firsts = await Task.WhenAll(Enumerable.Range(0, 10).Select(async c =>
        {
            using var policy = await PolicyClient.ConnectAsync(_node);
            return new[]
            {
                await policy.MessageAsync(string.Create(CultureInfo.InvariantCulture, $"s{c}.1"), Sender, $"s{c}-1@outside.example"),
                await policy.MessageAsync(string.Create(CultureInfo.InvariantCulture, $"s{c}.2"), Sender, $"s{c}-2@outside.example"),
            };
        }));

        var all = firsts.SelectMany(f => f).ToList();
        Assert.Equal(MessagesPerHour, all.Count(a => a == "action=DUNNO"));
        Assert.All(all.Where(a => a != "action=DUNNO"), a => Assert.StartsWith("action=451 4.7.1", a));

        // The gateway finds the same window full.
        await using (var c = await Submission.LoginAsync(_node, Sender))
        {
            var reply = await OneMessage.SendAsync(c, Sender, "late@outside.example", Submission.Message(Sender, "Late", "late@doors.test", "Hello.\r\n"));
            Assert.StartsWith("451 4.7.1", reply);
        }

        Assert.Equal(0, Submission.Relayed(_sink, Sender));
        Assert.Equal(MessagesPerHour, ServerState.Window(await ServerState.ExplainAsync(_node, Sender), "mailbox", "messages in the last hour").Used);
        using var http = new HttpClient();
        Assert.Contains("shared in Redis", await http.GetStringAsync(new Uri(_node.Web, "/healthz")));
        Assert.True(_node.IsRunning, _node.Output);
    }
}
