using System.Net;
using System.Text.Json;
using Floodgate.Core.Blocklists;
using Floodgate.Storage.Access;
using Floodgate.Storage.Blocklists;
using Floodgate.Storage.Notifications;
using Floodgate.Tests.Blocklists;
using Floodgate.Web.Blocklists;
using Floodgate.Web.Notifications;
using Floodgate.Web.Tests.Infrastructure;
using Floodgate.Web.Tests.Notifications;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Floodgate.Web.Tests.Blocklists;

/// <summary>
/// The watch against a real DNS server (dnsmasq on loopback), over serve's own database, with serve's
/// dispatcher delivering its events to a real webhook receiver and to the abuse desk's e-mail. The
/// watches here are made by the test (serve's own is off: no address is configured), so each round
/// runs when the test says, at the time it says.
/// </summary>
public sealed class BlocklistWatchTests : IAsyncLifetime
{
    private const string Listed = "198.51.100.7";
    private const string Clean = "198.51.100.6";
    private const string Refused = "198.51.100.8";
    private const string Zone = "zen.watch.test";
    private const string Reason = "Listed by SBL, see https://check.example.test/198.51.100.7";
    private const string AbuseDesk = "abuse@provider.test";

    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private static readonly (string, string, string?)[] ListedRecords =
    [
        ("7.100.51.198." + Zone, "127.0.0.2", Reason),
        ("8.100.51.198." + Zone, "127.255.255.254", "Error: open resolver"),
        ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2." + Zone, "127.0.0.3", "IPv6 listed"),
    ];

    private static readonly (string, string, string?)[] DelistedRecords =
    [
        ("8.100.51.198." + Zone, "127.255.255.254", "Error: open resolver"),
    ];

    private static readonly (string, string, string?)[] RefusingRecords =
    [
        ("7.100.51.198." + Zone, "127.255.255.254", "Error: open resolver"),
        ("8.100.51.198." + Zone, "127.255.255.254", "Error: open resolver"),
    ];

    private Dnsmasq _dns = null!;
    private TestServe _serve = null!;
    private WebhookReceiver _receiver = null!;
    private WebhookEndpointWithSecret _endpoint = null!;

    public async Task InitializeAsync()
    {
        _dns = await Dnsmasq.StartAsync([Zone], ListedRecords);
        _receiver = await WebhookReceiver.StartAsync();
        _serve = await TestServe.StartAsync(NotificationKit.Fast(("Notifications:AbuseDesk", AbuseDesk)));
        using var admin = await _serve.ApiClientAsync(WebRole.Administrator);
        _endpoint = await NotificationKit.AddWebhookAsync(admin, _receiver.Url, NotificationTypes.BlocklistListed, NotificationTypes.BlocklistDelisted);
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        await _receiver.DisposeAsync();
        await _dns.DisposeAsync();
    }

    [Fact]
    public async Task AListedAddressIsStoredListedWithItsTxtReasonAndRaisesBlocklistListed()
    {
        var outcome = await Watch().RunRoundAsync(T0, CancellationToken.None);

        Assert.Equal([NotificationTypes.BlocklistListed], outcome.Events);
        var state = await StateAsync(Listed);
        Assert.Equal(("listed", "127.0.0.2", Reason), (state.State, state.Code, state.Reason));
        Assert.Equal("https://check.watch.test/?q=198.51.100.7", state.DelistingUrl);
        Assert.Equal(T0, state.Since);

        var request = Assert.Single(await _receiver.WaitForAsync(1));
        Assert.Equal(NotificationTypes.BlocklistListed, request.Type);
        Assert.True(WebhookSignature.Verify(_endpoint.Secret, request.Signature!, request.Timestamp!, request.Body, DateTimeOffset.UtcNow, Tolerance));
        using var body = JsonDocument.Parse(request.Body);
        var data = body.RootElement.GetProperty("data");
        Assert.False(data.TryGetProperty("client", out _));
        Assert.False(data.TryGetProperty("portalUrl", out _));
        var blocklist = data.GetProperty("blocklist");
        Assert.Equal(Listed, blocklist.GetProperty("subject").GetString());
        Assert.Equal(Zone, blocklist.GetProperty("zone").GetString());
        Assert.Equal("127.0.0.2", blocklist.GetProperty("code").GetString());
        Assert.Equal(Reason, blocklist.GetProperty("reason").GetString());
        Assert.Equal("https://check.watch.test/?q=198.51.100.7", blocklist.GetProperty("delistingUrl").GetString());

        // No client: the e-mail goes to the abuse desk.
        var email = await NotificationKit.WaitForEmailAsync(_serve, NotificationTypes.BlocklistListed);
        Assert.Equal(AbuseDesk, ((MailboxAddress)email.To.Single()).Address);
        Assert.Equal($"Listed: {Listed} on {Zone}", email.Subject);
        Assert.Contains(Reason, email.TextBody, StringComparison.Ordinal);
        Assert.Contains("https://check.watch.test/?q=198.51.100.7", email.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClearAddressIsStoredClearAndRaisesNothing()
    {
        var outcome = await Watch(Clean).RunRoundAsync(T0, CancellationToken.None);
        await Watch(Clean).RunRoundAsync(T0.AddHours(1), CancellationToken.None);

        Assert.Empty(outcome.Events);
        var state = await StateAsync(Clean);
        Assert.Equal(("clear", null, null), (state.State, state.Code, state.Reason));
        Assert.Equal(T0, state.Since);
        Assert.Equal(T0.AddHours(1), state.LastCheckedAt);
        Assert.Empty(await BlocklistEventsAsync());
        Assert.Empty((await _serve.Get<BlocklistStore>().ListHistoryAsync(null, null, 50)).Items);
    }

    [Fact]
    public async Task ARefusalCodeIsNotCheckedNeitherAListingNorAChangeOfTheStoredState()
    {
        await Watch().RunRoundAsync(T0, CancellationToken.None);
        await RestartDnsAsync(RefusingRecords);

        var outcome = await Watch().RunRoundAsync(T0.AddHours(1), CancellationToken.None);

        Assert.Empty(outcome.Events);
        Assert.Equal(2, outcome.NotChecked);

        // Never answered: no state at all, and the reason it was not checked.
        var refused = await StateAsync(Refused);
        Assert.Null(refused.State);
        Assert.Contains("127.255.255.254", refused.LastError, StringComparison.Ordinal);

        // Listed before: still listed as it was, not delisted.
        var listed = await StateAsync(Listed);
        Assert.Equal(("listed", "127.0.0.2", Reason, T0), (listed.State, listed.Code, listed.Reason, listed.Since));
        Assert.Equal(T0, listed.LastCheckedAt);
        Assert.Equal(T0.AddHours(1), listed.LastAttemptAt);
        Assert.StartsWith("not checked", listed.LastError, StringComparison.Ordinal);
        Assert.Equal([NotificationTypes.BlocklistListed], await BlocklistEventsAsync());
    }

    [Fact]
    public async Task AnUnreachableResolverIsNotCheckedAndChangesNoStateNorRaisesAnEvent()
    {
        await Watch(Listed, Clean).RunRoundAsync(T0, CancellationToken.None);
        var closed = $"127.0.0.1:{Dnsmasq.FreeUdpAndTcpPort()}";

        var outcome = await Watch(closed, TimeSpan.FromHours(24), Listed, Clean).RunRoundAsync(T0.AddHours(1), CancellationToken.None);

        Assert.Empty(outcome.Events);
        Assert.Equal(2, outcome.NotChecked);
        var listed = await StateAsync(Listed);
        var clean = await StateAsync(Clean);
        Assert.Equal(("listed", T0), (listed.State, listed.LastCheckedAt));
        Assert.Equal(("clear", T0), (clean.State, clean.LastCheckedAt));
        Assert.StartsWith("not checked", clean.LastError, StringComparison.Ordinal);
        Assert.Equal([NotificationTypes.BlocklistListed], await BlocklistEventsAsync());
        Assert.Single((await _serve.Get<BlocklistStore>().ListHistoryAsync(null, null, 50)).Items);
    }

    [Fact]
    public async Task ADelistingRaisesBlocklistDelistedAndTheReceiverGetsBothSigned()
    {
        await Watch().RunRoundAsync(T0, CancellationToken.None);
        await RestartDnsAsync(DelistedRecords);

        var outcome = await Watch().RunRoundAsync(T0.AddHours(3), CancellationToken.None);

        Assert.Equal([NotificationTypes.BlocklistDelisted], outcome.Events);
        var state = await StateAsync(Listed);
        Assert.Equal(("clear", T0.AddHours(3)), (state.State, state.Since));
        var requests = await _receiver.WaitForAsync(2);
        Assert.Equal([NotificationTypes.BlocklistDelisted, NotificationTypes.BlocklistListed], requests.Select(r => r.Type).Order(StringComparer.Ordinal));
        Assert.All(requests, r => Assert.True(WebhookSignature.Verify(_endpoint.Secret, r.Signature!, r.Timestamp!, r.Body, DateTimeOffset.UtcNow, Tolerance)));
        using var delisted = JsonDocument.Parse(requests.Single(r => r.Type == NotificationTypes.BlocklistDelisted).Body);
        var blocklist = delisted.RootElement.GetProperty("data").GetProperty("blocklist");
        Assert.Equal(("clear", "listed", "127.0.0.2"), (blocklist.GetProperty("state").GetString(), blocklist.GetProperty("previous").GetString(), blocklist.GetProperty("code").GetString()));
        Assert.Equal(T0, blocklist.GetProperty("listedSince").GetDateTimeOffset());

        var history = (await _serve.Get<BlocklistStore>().ListHistoryAsync(Listed, null, 50)).Items;
        Assert.Equal([("listed", "clear"), (null, "listed")], history.Select(h => (h.From, h.To)));

        var email = await NotificationKit.WaitForEmailAsync(_serve, NotificationTypes.BlocklistDelisted);
        Assert.Equal(AbuseDesk, ((MailboxAddress)email.To.Single()).Address);
        Assert.Contains($"{Listed} was found no longer listed on {Zone} (listed since 2026-12-07 08:00:00 UTC)", email.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFlapWithinTheSuppressionIsOneListingAlertAndASuppressedHistoryRow()
    {
        await Watch().RunRoundAsync(T0, CancellationToken.None);
        await RestartDnsAsync(DelistedRecords);
        await Watch().RunRoundAsync(T0.AddHours(1), CancellationToken.None);
        await RestartDnsAsync(ListedRecords);

        var relisted = await Watch().RunRoundAsync(T0.AddHours(2), CancellationToken.None);

        Assert.Empty(relisted.Events);
        Assert.Equal(1, relisted.Suppressed);
        var newest = (await _serve.Get<BlocklistStore>().ListHistoryAsync(Listed, null, 50)).Items[0];
        Assert.Equal(("clear", "listed", true, null), (newest.From, newest.To, newest.Suppressed, newest.Event));
        Assert.Equal("listed", (await StateAsync(Listed)).State);
        Assert.Equal([NotificationTypes.BlocklistListed, NotificationTypes.BlocklistDelisted], await BlocklistEventsAsync());
        await _receiver.WaitForAsync(2);
        await Task.Delay(300);
        Assert.Single(_receiver.Received, r => r.Type == NotificationTypes.BlocklistListed);
    }

    [Fact]
    public async Task ASuppressedListingStillThereWhenTheSuppressionEndsIsAlertedThen()
    {
        await Watch().RunRoundAsync(T0, CancellationToken.None);
        await RestartDnsAsync(DelistedRecords);
        await Watch().RunRoundAsync(T0.AddHours(1), CancellationToken.None);
        await RestartDnsAsync(ListedRecords);
        await Watch().RunRoundAsync(T0.AddHours(2), CancellationToken.None);

        var stillQuiet = await Watch().RunRoundAsync(T0.AddHours(24), CancellationToken.None);
        var late = await Watch().RunRoundAsync(T0.AddHours(25), CancellationToken.None);
        var once = await Watch().RunRoundAsync(T0.AddHours(26), CancellationToken.None);

        Assert.Empty(stillQuiet.Events);
        Assert.Equal([NotificationTypes.BlocklistListed], late.Events);
        Assert.Empty(once.Events);
    }

    [Fact]
    public async Task ASuppressedListingThatEndsRaisesNoDelisting()
    {
        await Watch().RunRoundAsync(T0, CancellationToken.None);
        await RestartDnsAsync(DelistedRecords);
        await Watch().RunRoundAsync(T0.AddHours(1), CancellationToken.None);
        await RestartDnsAsync(ListedRecords);
        await Watch().RunRoundAsync(T0.AddHours(2), CancellationToken.None);
        await RestartDnsAsync(DelistedRecords);

        var ended = await Watch().RunRoundAsync(T0.AddHours(3), CancellationToken.None);

        Assert.Empty(ended.Events);
        var newest = (await _serve.Get<BlocklistStore>().ListHistoryAsync(Listed, null, 50)).Items[0];
        Assert.Equal(("listed", "clear", true), (newest.From, newest.To, newest.Suppressed));
        Assert.Equal([NotificationTypes.BlocklistListed, NotificationTypes.BlocklistDelisted], await BlocklistEventsAsync());
    }

    [Fact]
    public async Task TheStateSurvivesANewWatchOverTheSameDatabase()
    {
        await Watch().RunRoundAsync(T0, CancellationToken.None);

        // A new process would build a new watch with nothing in memory: the database is all it knows.
        var restarted = await Watch().RunRoundAsync(T0.AddHours(30), CancellationToken.None);

        Assert.Empty(restarted.Events);
        var state = await StateAsync(Listed);
        Assert.Equal(("listed", T0, T0.AddHours(30)), (state.State, state.Since, state.LastCheckedAt));
        Assert.Equal([NotificationTypes.BlocklistListed], await BlocklistEventsAsync());
        Assert.Single((await _serve.Get<BlocklistStore>().ListHistoryAsync(null, null, 50)).Items);
    }

    [Fact]
    public async Task TwoSpellingsOfOneAddressAreOnePair()
    {
        await Watch("2001:DB8::1").RunRoundAsync(T0, CancellationToken.None);

        var again = await Watch("2001:db8:0::1").RunRoundAsync(T0.AddHours(1), CancellationToken.None);

        Assert.Empty(again.Events);
        var state = Assert.Single(await _serve.Get<BlocklistStore>().ListStatesAsync());
        Assert.Equal(("2001:db8::1", "listed", "IPv6 listed"), (state.Subject, state.State, state.Reason));
        Assert.Equal([NotificationTypes.BlocklistListed], await BlocklistEventsAsync());
    }

    private BlocklistWatch Watch(params string[] addresses) => Watch(_dns.Resolver, TimeSpan.FromHours(24), addresses);

    private BlocklistWatch Watch(string resolver, TimeSpan suppression, params string[] addresses)
    {
        var options = new BlocklistOptions
        {
            Addresses = addresses.Length > 0 ? [.. addresses] : [Listed, Clean, Refused],
            Zones = [new BlocklistZone { Name = Zone, ErrorCodes = ["127.255.255.254"], DelistingUrl = "https://check.watch.test/?q={query}" }],
            Resolver = resolver,
            Timeout = TimeSpan.FromMilliseconds(700),
            AlertSuppression = suppression,
        };
        return new BlocklistWatch(options, _serve.Get<BlocklistStore>(), TimeProvider.System, NullLogger<BlocklistWatch>.Instance);
    }

    private async Task RestartDnsAsync((string, string, string?)[] records)
    {
        var port = _dns.Port;
        await _dns.DisposeAsync();
        _dns = await Dnsmasq.StartAsync([Zone], records, port);
    }

    private async Task<BlocklistStateView> StateAsync(string subject) =>
        (await _serve.Get<BlocklistStore>().ListStatesAsync()).Single(s => s.Subject == subject && s.Zone == Zone);

    /// <summary>The blocklist events in the outbox, oldest first.</summary>
    private async Task<List<string>> BlocklistEventsAsync()
    {
        var events = await _serve.Get<NotificationStore>().ListEventsAsync(new EventQuery(Limit: 200));
        return [.. events.Items.Where(e => e.Type.StartsWith("blocklist.", StringComparison.Ordinal)).OrderBy(e => e.Id).Select(e => e.Type)];
    }
}
