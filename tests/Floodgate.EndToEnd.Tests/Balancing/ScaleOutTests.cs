using System.Diagnostics;
using System.Globalization;
using System.Net;
using Floodgate.EndToEnd.Tests.Attacks;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Floodgate.Storage.Tests;
using Floodgate.Storage.Tests.HotState;

namespace Floodgate.EndToEnd.Tests.Balancing;

/// <summary>A fact that needs the PostgreSQL server test.sh starts for both passes; in CI it never skips.</summary>
public sealed class SharedDatabaseFactAttribute : FactAttribute
{
    public SharedDatabaseFactAttribute()
    {
        if (!TestDatabases.ServerNamed && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = "needs a PostgreSQL server: FLOODGATE_TEST_PG (test.sh starts one)";
        }
    }
}

/// <summary>
/// Two `floodgate serve` nodes sharing one PostgreSQL database and one Redis, behind Debian's HAProxy
/// with the PROXY protocol (round robin: consecutive connections alternate between the nodes).
/// </summary>
public sealed class ScaleOutFixture : IAsyncLifetime
{
    /// <summary>One client per test: the ladder counts offenses per client.</summary>
    public const string Windowed = "win@windows.test";
    public const int WindowedExternalPerHour = 40;
    public const string Blaster = "blast@blast.test";
    public const string Suspended = "late@late.test";
    public const string Alternating = "alt@alternate.test";
    public const int AlternatingMessagesPerHour = 12;
    public const string ThroughPostfix = "pf@postfix.test";
    public const int ThroughPostfixMessagesPerHour = 15;

    private string? _database;

    public PrivateRedis Redis { get; private set; } = null!;

    public FloodgateProcess A { get; private set; } = null!;

    public FloodgateProcess B { get; private set; } = null!;

    public PrivateHaproxy Balancer { get; private set; } = null!;

    public UpstreamSink Sink { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await PrivateRedis.StartAsync();
        Sink = await UpstreamSink.StartAsync();
        _database = TestDatabases.CreateDatabase();
        string[] db = ["--db-provider", "postgresql", "--db", _database];
        A = new FloodgateProcess { Database = db };
        B = new FloodgateProcess { Database = db };
        await ServerState.AddClientAsync(A, "Windows", ServerState.Wide("mailbox.external-per-hour=" + WindowedExternalPerHour.ToString(CultureInfo.InvariantCulture)), ["windows.test"], [Windowed]);
        await ServerState.AddClientAsync(A, "Alternate", ServerState.Wide("mailbox.messages-per-hour=" + AlternatingMessagesPerHour.ToString(CultureInfo.InvariantCulture)), ["alternate.test"], [Alternating]);
        await ServerState.AddClientAsync(A, "Blast", ServerState.Wide(), ["blast.test"], [Blaster]);
        await ServerState.AddClientAsync(A, "Late", ServerState.Wide(), ["late.test"], [Suspended]);
        await ServerState.AddClientAsync(A, "Postfix", ServerState.Wide("mailbox.messages-per-hour=" + ThroughPostfixMessagesPerHour.ToString(CultureInfo.InvariantCulture)), ["postfix.test"], [ThroughPostfix]);
        foreach (var node in (FloodgateProcess[])[A, B])
        {
            node.Environment["FLOODGATE_Smtp__ProxyFrom__0"] = "127.0.0.1/32";
            await node.StartAsync(["--upstream", Sink.Url, "--redis", Redis.Configuration, .. Submission.PrivateDoors]);
        }

        Balancer = await PrivateHaproxy.StartAsync([A.Smtp, B.Smtp], proxyVersion: 2);
    }

    public async Task DisposeAsync()
    {
        await Balancer.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Sink.DisposeAsync();
        await Redis.DisposeAsync();
        if (_database is not null)
        {
            TestDatabases.DropDatabase(_database);
        }
    }

    /// <summary>A session through the balancer, from a client address of its own (HAProxy passes it on).</summary>
    public async Task<RawSmtpClient> LoginAsync(string mailbox)
    {
        var c = await RawSmtpClient.ConnectAsync(Balancer.EndPoint, IPAddress.Parse("127.0.0.5"));
        await c.LoginAsync(mailbox, Submission.Password);
        return c;
    }

    /// <summary>A session straight to one node, from an address that is not the balancer's (no PROXY header).</summary>
    public static async Task<RawSmtpClient> LoginAsync(FloodgateProcess node, string mailbox)
    {
        var c = await RawSmtpClient.ConnectAsync(node.Smtp, IPAddress.Parse("127.0.0.6"));
        await c.LoginAsync(mailbox, Submission.Password);
        return c;
    }
}

public sealed class ScaleOutTests(ScaleOutFixture fixture) : IClassFixture<ScaleOutFixture>
{
    [SharedDatabaseFact]
    public async Task TwentyParallelSessionsOverBothNodesRelayWhatOneNodesWindowAllows()
    {
        const string Sender = ScaleOutFixture.Windowed;
        const int Sessions = 20;
        var body = new Prose(2).Paragraphs(1);

        // Each session sends messages of 3 external recipients until refused; all MAILs and RCPTs of the
        // sessions overlap. Together they offer 20 x 9 = 180 recipients to a window of 40.
        var tasks = Enumerable.Range(0, Sessions).Select(async s =>
        {
            await using var c = await fixture.LoginAsync(Sender);
            for (var m = 0; m < 3; m++)
            {
                var recipients = Submission.Recipients(string.Create(CultureInfo.InvariantCulture, $"w{s}-{m}"), 3);
                var envelope = await Submission.EnvelopeAsync(c, Sender, recipients);
                if (envelope.Skip(1).Any(r => r.StartsWith("250", StringComparison.Ordinal)))
                {
                    await Submission.DataAsync(c, Submission.Message(Sender, "Order " + s, $"w{s}-{m}@windows.test", body));
                }
                else
                {
                    await c.SendAsync("RSET\r\n");
                    await c.ReadReplyAsync();
                }
            }
        });
        await Task.WhenAll(tasks);

        Assert.True(SpinWait.SpinUntil(() => Submission.Relayed(fixture.Sink, Sender) >= ScaleOutFixture.WindowedExternalPerHour - 1, TimeSpan.FromSeconds(10)));
        await Task.Delay(300);
        var relayed = Submission.Relayed(fixture.Sink, Sender);
        Assert.InRange(relayed, ScaleOutFixture.WindowedExternalPerHour - 1, ScaleOutFixture.WindowedExternalPerHour + 1);
        // Both nodes served sessions (the balancer alternates): each node's count is its own share of one window.
        Assert.Contains("shared in Redis", await HealthAsync(fixture.A));
        Assert.Contains("shared in Redis", await HealthAsync(fixture.B));
    }

    [SharedDatabaseFact]
    public async Task PolicyDelegationOnBothNodesHoldsOneMessagesWindowForTwentyParallelConnections()
    {
        // Postfix's smtpd processes each keep a connection to the policy service of their node: 20 at
        // once, 10 per node, each asking for 3 messages of 2 recipients. The RCPT decisions wait for
        // Redis without holding a thread (the door is asynchronous).
        const string Sender = ScaleOutFixture.ThroughPostfix;
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async c =>
        {
            var node = c % 2 == 0 ? fixture.A : fixture.B;
            using var policy = await PolicyClient.ConnectAsync(node);
            var firsts = new List<string>();
            for (var m = 0; m < 3; m++)
            {
                firsts.Add(await policy.MessageAsync(string.Create(CultureInfo.InvariantCulture, $"{c:x}.{m:x}"), Sender, $"p{c}-{m}a@outside.example", $"p{c}-{m}b@outside.example"));
            }

            return firsts;
        }));

        var all = answers.SelectMany(a => a).ToList();
        var accepted = all.Count(a => a == "action=DUNNO");
        Assert.InRange(accepted, ScaleOutFixture.ThroughPostfixMessagesPerHour - 1, ScaleOutFixture.ThroughPostfixMessagesPerHour + 1);
        Assert.All(all.Where(a => a != "action=DUNNO"), a => Assert.StartsWith("action=451 4.7.1", a));
    }

    [SharedDatabaseFact]
    public async Task AMailboxAlternatingBetweenTheNodesMeetsOneMessagesWindow()
    {
        const string Sender = ScaleOutFixture.Alternating;
        var accepted = 0;
        var refusals = new List<string>();
        for (var i = 0; i < 2 * ScaleOutFixture.AlternatingMessagesPerHour; i++)
        {
            // A new connection per message: the balancer sends each to the other node.
            await using var c = await fixture.LoginAsync(Sender);
            var reply = await OneMessage.SendAsync(c, Sender, string.Create(CultureInfo.InvariantCulture, $"alt{i}@outside.example"),
                Submission.Message(Sender, "Note " + i, $"alt{i}@alternate.test", "Hello.\r\n"));
            if (reply.StartsWith("250", StringComparison.Ordinal))
            {
                accepted++;
            }
            else
            {
                refusals.Add(reply);
            }
        }

        Assert.InRange(accepted, ScaleOutFixture.AlternatingMessagesPerHour - 1, ScaleOutFixture.AlternatingMessagesPerHour + 1);
        Assert.All(refusals, r => Assert.StartsWith("451 4.7.1", r));
    }

    [SharedDatabaseFact]
    public async Task ABlastSpreadOverBothNodesIsHeldAndSuspendedAsOnOne()
    {
        const string Sender = ScaleOutFixture.Blaster;
        var cap = (await ServerState.ExplainAsync(fixture.A, Sender)).GetProperty("recipientCap").GetInt32();
        var body = new Prose(4).Paragraphs(3);
        var replies = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            // The same message at the cap, each copy in a new connection: the copies alternate between the nodes.
            await using var c = await fixture.LoginAsync(Sender);
            var message = Submission.Mailing(Sender, "Your parcel is waiting", string.Create(CultureInfo.InvariantCulture, $"blast{i}@blast.test"), body);
            replies.Add(await Submission.SendAsync(c, Sender, Submission.Recipients(string.Create(CultureInfo.InvariantCulture, $"blast{i}"), cap), message));
            if (replies[^1].StartsWith("550", StringComparison.Ordinal))
            {
                break;
            }
        }

        // As on one node: the first copy goes, the next are held, then the mailbox is suspended.
        Assert.True(Submission.Relayed(fixture.Sink, Sender) <= cap, string.Join('\n', replies));
        Assert.Contains(replies, r => r.StartsWith("451 4.7.1 Message held", StringComparison.Ordinal));
        Assert.StartsWith("550", replies[^1]);
        var (code, output) = await fixture.B.CliAsync("mailbox", "show", Sender);
        Assert.True(code == 0, output);
        Assert.Contains("suspended", output, StringComparison.OrdinalIgnoreCase);
    }

    [SharedDatabaseFact]
    public async Task ASuspensionMadeOnNodeARefusesTheNextMailFromOnNodeBWithinOneSecond()
    {
        const string Sender = ScaleOutFixture.Suspended;
        await using var onB = await ScaleOutFixture.LoginAsync(fixture.B, Sender);
        await onB.SendAsync($"MAIL FROM:<{Sender}>\r\n");
        Assert.StartsWith("250", await onB.ReadReplyAsync());
        await onB.SendAsync("RSET\r\n");
        await onB.ReadReplyAsync();

        // The operator suspends through node A (the CLI tells A; A tells the others).
        await fixture.A.CliOkAsync("suspend", "mailbox", Sender, "--reason", "scale-out test");
        var clock = Stopwatch.StartNew();
        string reply;
        do
        {
            await onB.SendAsync($"MAIL FROM:<{Sender}>\r\n");
            reply = await onB.ReadReplyAsync();
            if (reply.StartsWith("250", StringComparison.Ordinal))
            {
                await onB.SendAsync("RSET\r\n");
                await onB.ReadReplyAsync();
                await Task.Delay(20);
            }
        }
        while (!reply.StartsWith("550", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(5));

        Assert.StartsWith("550 5.7.1", reply);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"node B refused {clock.Elapsed.TotalMilliseconds:F0} ms after the suspension on node A");
    }

    private static async Task<string> HealthAsync(FloodgateProcess node)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(node.Web, "/healthz"));
    }
}

/// <summary>One message to one recipient; the first refusal of MAIL, RCPT or DATA, or DATA's final reply.</summary>
internal static class OneMessage
{
    public static async Task<string> SendAsync(RawSmtpClient c, string sender, string recipient, string message)
    {
        var envelope = await Submission.EnvelopeAsync(c, sender, [recipient]);
        var refused = envelope.FirstOrDefault(r => !r.StartsWith("250", StringComparison.Ordinal));
        if (refused is null)
        {
            return await Submission.DataAsync(c, message);
        }

        // A shared store judges the message's window with its first recipient: the refusal may come at RCPT.
        await c.SendAsync("RSET\r\n");
        await c.ReadReplyAsync();
        return refused;
    }
}
