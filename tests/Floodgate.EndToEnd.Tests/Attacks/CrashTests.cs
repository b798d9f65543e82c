using System.Diagnostics;
using System.Globalization;
using Floodgate.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>
/// serve killed with SIGKILL (a crash, the OOM killer, a host reset: no shutdown, no flush) and
/// started again on the same data folder. Each test has its own process: it kills it.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnOffenseAnsweredBeforeACrashIsStillInForceAfterTheRestart()
    {
        const string Sender = "ann@crash.test";
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await ServerState.AddClientAsync(fg, "Crash", null, ["crash.test"], [Sender]);
        string[] serve = ["--upstream", sink.Url, .. Submission.PrivateDoors];
        await fg.StartAsync(serve);
        var cap = (await ServerState.ExplainAsync(fg, Sender)).GetProperty("recipientCap").GetInt32();
        var body = new Prose(6).Paragraphs(3);

        await using (var c = await Submission.LoginAsync(fg, Sender))
        {
            string? offense = null;
            for (var i = 0; i < 6 && offense is null; i++)
            {
                var message = Submission.Message(Sender, "Claim your prize", string.Create(CultureInfo.InvariantCulture, $"prize{i}@crash.test"), body);
                var envelope = await Submission.EnvelopeAsync(c, Sender, Submission.Recipients(string.Create(CultureInfo.InvariantCulture, $"prize{i}"), cap));
                Assert.StartsWith("250", envelope[0]);
                var reply = await Submission.DataAsync(c, message);
                // The first copy has no List-Unsubscribe and is refused by the bulk opt-out rule (550 5.7.1 too),
                // the second held; the offense is the refusal that says the mass mailing was detected.
                if (reply.StartsWith("550 5.7.1", StringComparison.Ordinal) && reply.Contains("mass mailing detected", StringComparison.Ordinal))
                {
                    // The sender has been told it is suspended: the instant it knows, the server dies.
                    await fg.KillAsync();
                    offense = reply;
                }
                else if (!reply.StartsWith("250", StringComparison.Ordinal))
                {
                    await c.SendAsync("RSET\r\n");
                    await c.ReadReplyAsync();
                }
            }

            Assert.NotNull(offense);
        }

        await fg.StartAsync(serve);

        await using (var c = await Submission.LoginAsync(fg, Sender))
        {
            await c.SendAsync($"MAIL FROM:<{Sender}>\r\n");
            Assert.StartsWith("550 5.7.1", await c.ReadReplyAsync());
        }

        var incident = Assert.Single((await ServerState.ListAsync(fg, "incident", "list")).EnumerateArray(), i => i.GetProperty("mailboxAddress").GetString() == Sender);
        var incidentId = incident.GetProperty("id").GetInt64();
        Assert.Single((await ServerState.ListAsync(fg, "task", "list")).EnumerateArray(), t => t.GetProperty("incidentId").GetInt64() == incidentId);
    }

    [Fact]
    public async Task ACrashUnderLoadLosesAtMostTheLastSecondOfTheWindows()
    {
        const string Sender = "steady@steady.test";
        const int Sessions = 4;
        const int RecipientsPerMessage = 10;
        var pace = TimeSpan.FromMilliseconds(25);
        var load = TimeSpan.FromSeconds(5);
        await using var sink = await UpstreamSink.StartAsync();
        await using var fg = new FloodgateProcess();
        await ServerState.AddClientAsync(fg, "Steady", ServerState.Wide(), ["steady.test"], [Sender]);
        Submission.DetectorOff(fg);
        string[] serve = ["--upstream", sink.Url, .. Submission.PrivateDoors];
        await fg.StartAsync(serve);

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, Sessions).Select(s => SendSteadilyAsync(fg, Sender, s, RecipientsPerMessage, pace, stop.Token)).ToArray();
        await Task.Delay(load);
        await fg.KillAsync();
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(senders);
        var relayed = Submission.Relayed(sink, Sender);

        await fg.StartAsync(serve);
        var (counted, _) = ServerState.Window(await ServerState.ExplainAsync(fg, Sender), "mailbox", ServerState.ExternalLastHour);

        var perSecond = relayed / elapsed.TotalSeconds;
        var lost = relayed - counted;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relayed {relayed} external recipients in {elapsed.TotalSeconds:0.00} s ({perSecond:0} per second); counted after the restart {counted}; lost {lost} ({lost / perSecond * 1000:0} ms of load)"));
        Assert.True(relayed > 0, "nothing was relayed");
        Assert.True(lost <= perSecond, string.Create(CultureInfo.InvariantCulture, $"lost {lost} of {relayed} relayed recipients, more than one second's worth ({perSecond:0})"));
    }

    /// <summary>One session sending a message of new external recipients every <paramref name="pace"/> until the server dies or <paramref name="stop"/>.</summary>
    private static async Task SendSteadilyAsync(FloodgateProcess fg, string sender, int session, int recipients, TimeSpan pace, CancellationToken stop)
    {
        var prose = new Prose(100 + session);
        try
        {
            await using var c = await Submission.LoginAsync(fg, sender);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var next = Task.Delay(pace, CancellationToken.None);
                var tag = string.Create(CultureInfo.InvariantCulture, $"s{session}m{n}");
                await Submission.SendAsync(c, sender, Submission.Recipients(tag, recipients), Submission.Message(sender, prose.Subject(), tag + "@steady.test", prose.Paragraphs(1)));
                await next;
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The server was killed mid-conversation.
        }
    }
}
