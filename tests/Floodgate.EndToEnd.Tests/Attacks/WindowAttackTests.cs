using System.Globalization;
using Floodgate.EndToEnd.Tests.Infrastructure;

namespace Floodgate.EndToEnd.Tests.Attacks;

/// <summary>
/// One serve, its detector off (only the rate windows may stop anything), and one client per test,
/// each on the plan the test needs: the tests share nothing but the process.
/// </summary>
public sealed class WindowAttackFixture : IAsyncLifetime
{
    public const int SessionsPerMailbox = 5;

    public FloodgateProcess Floodgate { get; } = new();

    public UpstreamSink Sink { get; private set; } = null!;

    /// <summary>On the default plan: its own hourly external window binds.</summary>
    public static readonly string[] Solo = ["mass@solo.test"];

    /// <summary>One domain whose hourly external window binds; the mailboxes' own windows are large.</summary>
    public static readonly string[] OneDomain = ["m0@spread.test", "m1@spread.test", "m2@spread.test", "m3@spread.test"];

    /// <summary>Two domains of one client whose hourly external window binds; mailboxes' and domains' windows are large.</summary>
    public static readonly string[] OneClient = ["m0@group-a.test", "m1@group-a.test", "m0@group-b.test", "m1@group-b.test"];

    public async Task InitializeAsync()
    {
        Sink = await UpstreamSink.StartAsync();
        await ServerState.AddClientAsync(Floodgate, "Solo", null, ["solo.test"], Solo);
        await ServerState.AddClientAsync(Floodgate, "Spread", ServerState.Wide("domain.external-per-hour=1000"), ["spread.test"], OneDomain);
        await ServerState.AddClientAsync(Floodgate, "Group", ServerState.Wide("client.external-per-hour=1000"), ["group-a.test", "group-b.test"], OneClient);
        Submission.DetectorOff(Floodgate);
        await Floodgate.StartAsync(["--upstream", Sink.Url, .. Submission.PrivateDoors]);
    }

    public async Task DisposeAsync()
    {
        await Floodgate.DisposeAsync();
        await Sink.DisposeAsync();
    }
}

/// <summary>
/// Parallel sessions that each pass RCPT before any of them sends DATA: a window must hold across
/// sessions, not per session (the reservation made at RCPT, not a count taken at MAIL).
/// </summary>
public sealed class WindowAttackTests(WindowAttackFixture fixture) : IClassFixture<WindowAttackFixture>
{
    [Fact]
    public async Task ParallelSessionsOfOneMailboxRelayNoMoreThanItsHourlyWindow()
    {
        var (window, cap) = await LimitAsync(WindowAttackFixture.Solo[0], "mailbox");
        // Four windows' worth of recipients, a full message per session: 20 sessions on the default plan.
        var sessions = 4 * window / cap;

        var relayed = await BlastAsync(WindowAttackFixture.Solo, sessions, window, cap, "solo");

        Assert.True(relayed <= window + cap, $"{relayed} external recipients relayed by one mailbox with an hourly window of {window} (cap {cap})");
    }

    [Fact]
    public async Task ParallelSessionsOfSeveralMailboxesRelayNoMoreThanTheirDomainsHourlyWindow()
    {
        var (window, cap) = await LimitAsync(WindowAttackFixture.OneDomain[0], "domain");

        var relayed = await BlastAsync(WindowAttackFixture.OneDomain, WindowAttackFixture.SessionsPerMailbox, window, cap, "spread");

        Assert.True(relayed <= window + cap, $"{relayed} external recipients relayed by one domain with an hourly window of {window} (cap {cap})");
    }

    [Fact]
    public async Task ParallelSessionsOfMailboxesOfTwoDomainsRelayNoMoreThanTheirClientsHourlyWindow()
    {
        var (window, cap) = await LimitAsync(WindowAttackFixture.OneClient[0], "client");

        var relayed = await BlastAsync(WindowAttackFixture.OneClient, WindowAttackFixture.SessionsPerMailbox, window, cap, "group");

        Assert.True(relayed <= window + cap, $"{relayed} external recipients relayed by one client with an hourly window of {window} (cap {cap})");
    }

    /// <summary>The hourly external window of <paramref name="scope"/> and the cap, as the server has them.</summary>
    private async Task<(int Window, int Cap)> LimitAsync(string mailbox, string scope)
    {
        var explain = await ServerState.ExplainAsync(fixture.Floodgate, mailbox);
        var (used, limit) = ServerState.Window(explain, scope, ServerState.ExternalLastHour);
        Assert.Equal(0, used);
        return (limit, explain.GetProperty("recipientCap").GetInt32());
    }

    /// <summary>
    /// Every session logs in and sends MAIL and <paramref name="cap"/> new external RCPTs; only when all
    /// have their replies does every session send DATA, at once. Returns the recipients the upstream got.
    /// </summary>
    private async Task<int> BlastAsync(string[] mailboxes, int sessionsPerMailbox, int window, int cap, string tag)
    {
        var senders = mailboxes.SelectMany(m => Enumerable.Repeat(m, sessionsPerMailbox)).ToArray();
        Assert.True(senders.Length * cap >= 2 * window, $"{senders.Length} sessions of {cap} do not overrun a window of {window}");
        var clients = new RawSmtpClient[senders.Length];
        try
        {
            await Task.WhenAll(senders.Select(async (sender, i) =>
            {
                clients[i] = await Submission.LoginAsync(fixture.Floodgate, sender);
                await Submission.EnvelopeAsync(clients[i], sender, Submission.Recipients(string.Create(CultureInfo.InvariantCulture, $"{tag}{i}"), cap));
            }));

            await Task.WhenAll(senders.Select((sender, i) =>
            {
                var prose = new Prose(i);
                // A full-cap message is bulk: with a working List-Unsubscribe only the windows may stop it.
                var message = Submission.Mailing(sender, prose.Subject(), string.Create(CultureInfo.InvariantCulture, $"{tag}-{i}@attack.test"), prose.Paragraphs(4));
                return Submission.DataAsync(clients[i], message);
            }));
        }
        finally
        {
            foreach (var c in clients)
            {
                if (c is not null)
                {
                    await c.DisposeAsync();
                }
            }
        }

        return Submission.Relayed(fixture.Sink, mailboxes);
    }
}
