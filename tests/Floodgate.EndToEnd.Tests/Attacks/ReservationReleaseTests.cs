using System.Globalization;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>What a transaction holds in the windows it gives back when it does not end in a relayed message.</summary>
public sealed class ReservationReleaseTests
{
    private const string Sender = "ann@release.test";

    [Fact]
    public async Task ResetDroppedAndUpstreamDeferredTransactionsLeaveTheWholeWindowToTheSender()
    {
        var upstreamFails = true;
        await using var upstream = new ScriptedUpstream("PIPELINING", "8BITMIME")
        {
            Reply = line => line == "." && Volatile.Read(ref upstreamFails) ? "451 4.3.0 Upstream busy, try again later" : null,
        };
        await using var fg = new FloodgateProcess();
        await ServerState.AddClientAsync(fg, "Release", null, ["release.test"], [Sender]);
        await fg.StartAsync(["--upstream", upstream.Url, .. Submission.PrivateDoors]);
        var explain = await ServerState.ExplainAsync(fg, Sender);
        var (_, window) = ServerState.Window(explain, "mailbox", ServerState.ExternalLastHour);
        var cap = explain.GetProperty("recipientCap").GetInt32();
        var prose = new Prose(3);

        // Two sessions each of a full envelope and RSET, two that vanish after it, two whose message
        // the upstream defers: none of them relays anything.
        await Task.WhenAll(Enumerable.Range(0, 2).Select(i => AttemptAsync(fg, $"reset{i}", cap, async c =>
        {
            await c.SendAsync("RSET\r\n");
            Assert.StartsWith("250", await c.ReadReplyAsync());
        })));
        await Task.WhenAll(Enumerable.Range(0, 2).Select(i => AttemptAsync(fg, $"gone{i}", cap, c =>
        {
            c.Abort();
            return Task.CompletedTask;
        })));
        // Full-cap messages are bulk: with a working List-Unsubscribe the upstream, not the bulk rule, answers them.
        var deferred = Enumerable.Range(0, 2).Select(i => Submission.Mailing(Sender, prose.Subject(), $"deferred{i}@release.test", prose.Paragraphs(3))).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(i => AttemptAsync(fg, $"deferred{i}", cap, async c =>
            Assert.StartsWith("451", await Submission.DataAsync(c, deferred[i])))));
        // A vanished client is noticed when its socket closes, not at once.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Volatile.Write(ref upstreamFails, false);

        await using var again = await Submission.LoginAsync(fg, Sender);
        var relayed = 0;
        var refusals = new List<string>();
        for (var i = 0; i < window / cap; i++)
        {
            var message = Submission.Mailing(Sender, prose.Subject(), string.Create(CultureInfo.InvariantCulture, $"full{i}@release.test"), prose.Paragraphs(3));
            var envelope = await Submission.EnvelopeAsync(again, Sender, Submission.Recipients(string.Create(CultureInfo.InvariantCulture, $"full{i}"), cap));
            var accepted = envelope.Skip(1).Count(r => r.StartsWith("250", StringComparison.Ordinal));
            refusals.AddRange(envelope.Where(r => !r.StartsWith("250", StringComparison.Ordinal)).Distinct());
            var reply = await Submission.DataAsync(again, message);
            if (reply.StartsWith("250", StringComparison.Ordinal))
            {
                relayed += accepted;
            }
            else
            {
                refusals.Add(reply);
                await again.SendAsync("RSET\r\n");
                await again.ReadReplyAsync();
            }
        }

        Assert.True(relayed == window, $"{relayed} of the window's {window} external recipients relayed after the failed attempts: {string.Join("; ", refusals.Distinct())}");
    }

    /// <summary>A session that logs in, sends MAIL and <paramref name="cap"/> RCPTs, then ends as <paramref name="end"/> says.</summary>
    private static async Task AttemptAsync(FloodgateProcess fg, string tag, int cap, Func<RawSmtpClient, Task> end)
    {
        await using var c = await Submission.LoginAsync(fg, Sender);
        await Submission.EnvelopeAsync(c, Sender, Submission.Recipients(tag, cap));
        await end(c);
    }
}
