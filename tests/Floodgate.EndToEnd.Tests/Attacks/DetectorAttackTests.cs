using System.Globalization;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>
/// One serve with the detector on and every rate window large, so only the detector can stop a run;
/// each test has its own client (the ladder counts offenses per client).
/// </summary>
public sealed class DetectorAttackFixture : IAsyncLifetime
{
    public const string OneMessageId = "blast@echo.test";
    public const string Retrier = "retry@retry.test";

    public FloodgateProcess Floodgate { get; } = new();

    public UpstreamSink Sink { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sink = await UpstreamSink.StartAsync();
        await ServerState.AddClientAsync(Floodgate, "Echo", ServerState.Wide(), ["echo.test"], ["blast@echo.test"]);
        await ServerState.AddClientAsync(Floodgate, "Retry", ServerState.Wide(), ["retry.test"], [Retrier]);
        await Floodgate.StartAsync(["--upstream", Sink.Url, .. Submission.PrivateDoors]);
    }

    public async Task DisposeAsync()
    {
        await Floodgate.DisposeAsync();
        await Sink.DisposeAsync();
    }
}

public sealed class DetectorAttackTests(DetectorAttackFixture fixture) : IClassFixture<DetectorAttackFixture>
{
    private const string HeldReply = "451 4.7.1 Message held";

    [Fact]
    public async Task OneMessageIdOnEveryCopyDoesNotHideARunFromTheDetector()
    {
        const string Sender = "blast@echo.test";
        const int Copies = 8;
        var cap = (await ServerState.ExplainAsync(fixture.Floodgate, Sender)).GetProperty("recipientCap").GetInt32();
        var body = new Prose(4).Paragraphs(3);
        await using var c = await Submission.LoginAsync(fixture.Floodgate, Sender);
        var replies = new List<string>();
        for (var i = 0; i < Copies; i++)
        {
            // The same bytes each time, Message-ID included; only the envelope names new people. A working
            // List-Unsubscribe, which any spammer can add, gets it past the bulk opt-out rule: the detector must stop it.
            var message = Submission.Mailing(Sender, "Your parcel is waiting", DetectorAttackFixture.OneMessageId, body);
            replies.Add(await Submission.SendAsync(c, Sender, Submission.Recipients(string.Create(CultureInfo.InvariantCulture, $"echo{i}"), cap), message));

            // After an offense the mailbox is suspended: a spammer's next MAIL is refused and its pipelined
            // RCPTs are bad commands (the server closes). What counts is what got through before.
            if (replies[^1].StartsWith("550", StringComparison.Ordinal))
            {
                break;
            }
        }

        var relayed = Submission.Relayed(fixture.Sink, Sender);
        Assert.True(relayed <= cap, $"{relayed} external recipients relayed of {Copies} copies to {cap} each:\n{string.Join('\n', replies)}");
        var stop = replies.First(r => !r.StartsWith("250", StringComparison.Ordinal));
        Assert.True(IsDetectorStop(stop), $"the run was stopped by: {stop}");
    }

    [Fact]
    public async Task ARetryOfAHeldMessageIsHeldAgainAndIsNoOffense()
    {
        const string Sender = DetectorAttackFixture.Retrier;
        var cap = (await ServerState.ExplainAsync(fixture.Floodgate, Sender)).GetProperty("recipientCap").GetInt32();
        var body = new Prose(5).Paragraphs(3);
        await using var c = await Submission.LoginAsync(fixture.Floodgate, Sender);
        // A catalogue with a working List-Unsubscribe: the bulk opt-out rule lets it pass, the detector judges it.
        var first = Submission.Mailing(Sender, "Spring catalogue", "catalogue-1@retry.test", body);
        Assert.StartsWith("250", await Submission.SendAsync(c, Sender, Submission.Recipients("retry-a", cap), first));
        var second = Submission.Mailing(Sender, "Spring catalogue, second part", "catalogue-2@retry.test", body);
        var secondRecipients = Submission.Recipients("retry-b", cap);
        Assert.StartsWith(HeldReply, await Submission.SendAsync(c, Sender, secondRecipients, second));

        // What a client does with a 451: the same message, bytes and envelope, again.
        var retry = await Submission.SendAsync(c, Sender, secondRecipients, second);

        Assert.StartsWith(HeldReply, retry);
        await c.SendAsync($"MAIL FROM:<{Sender}>\r\n");
        Assert.StartsWith("250", await c.ReadReplyAsync());
    }

    private static bool IsDetectorStop(string reply) =>
        reply.StartsWith(HeldReply, StringComparison.Ordinal)
        || (reply.StartsWith("550 5.7.1", StringComparison.Ordinal) && reply.Contains("mass mailing detected", StringComparison.Ordinal));
}
