using System.Net;
using Floodgate.Core.Bounces;
using Floodgate.Core.Detection;

namespace Floodgate.Core.Tests.Detection;

/// <summary>The compromise watch on its own: network keys, the unknown-user rule, dedupe, bounds and the snapshot.</summary>
public sealed class CompromiseWatchTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("203.0.113.1", "203.0.113.254", true, "the same /24")]
    [InlineData("203.0.113.1", "203.0.114.1", false, "the next /24")]
    [InlineData("2001:db8:1:1::1", "2001:db8:1:ffff::2", true, "the same /48")]
    [InlineData("2001:db8:1::1", "2001:db8:2::1", false, "another /48")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.9", true, "an IPv4-mapped address is its IPv4 address")]
    [InlineData("203.0.113.1", "::ffff:cb00:7101", true, "mapped, written in hex")]
    [InlineData("0.0.0.1", "::1", false, "IPv4 and IPv6 keys never collide")]
    public void NetworkKeysGroupAddressesBySite(string a, string b, bool same, string reason)
    {
        Assert.True(ClientNetwork.TryParse(a, out var x), a);
        Assert.True(ClientNetwork.TryParse(b, out var y), b);
        Assert.True(same == (x == y), reason);
    }

    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.0/24")]
    [InlineData("2001:db8:abcd:12::1", "2001:db8:abcd::/48")]
    [InlineData("[IPv6:2001:db8::5]", "2001:db8::/48")]
    public void ANetworkIsShownAsItsPrefix(string address, string shown)
    {
        Assert.True(ClientNetwork.TryParse(address, out var network));
        Assert.Equal(shown, network.ToString());
    }

    [Theory]
    [InlineData(550, "5.1.1 <x@example.net>: Recipient address rejected: User unknown in virtual mailbox table", true, "5.1.1 is a bad destination mailbox")]
    [InlineData(550, "5.1.1 The email account that you tried to reach does not exist", true, "Gmail's wording")]
    [InlineData(550, "No such user here", true, "550 with unknown-user text and no enhanced code")]
    [InlineData(550, "5.7.1 <x@example.net>: Relay access denied", false, "5.7.x is policy")]
    [InlineData(550, "5.7.1 Message rejected: user unknown or spam", false, "5.7.x is policy whatever its words")]
    [InlineData(552, "5.2.2 Mailbox full", false, "a full mailbox is a real person")]
    [InlineData(450, "4.1.1 <x@example.net>: Recipient address rejected: unverified address", false, "temporary")]
    [InlineData(451, "4.1.1 User unknown (try later)", false, "a 4xx is never counted")]
    [InlineData(550, "5.1.1 too many recipients this hour", false, "a rate limit that reuses 5.1.1")]
    [InlineData(554, "5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org", false, "a blocklisting")]
    public void OnlyPermanentUnknownUserRefusalsCount(int code, string text, bool counted, string reason)
    {
        Assert.True(counted == UnknownRecipient.IsReply(code, text), reason);
    }

    [Fact]
    public void AHardUserUnknownBounceCountsAndAFullMailboxDoesNot()
    {
        Assert.True(UnknownRecipient.Is(new FailedRecipient("x@example.net", "5.1.1", BounceReason.UserUnknown, true, "user unknown", null, null, null)));
        Assert.False(UnknownRecipient.Is(new FailedRecipient("x@example.net", "5.2.2", BounceReason.MailboxFull, false, "mailbox full", null, null, null)));
        Assert.False(UnknownRecipient.Is(new FailedRecipient("x@example.net", "4.1.1", BounceReason.UserUnknown, false, "user unknown", null, null, null)));
    }

    [Fact]
    public void TheSameRecipientRefusedTwiceInAnHourCountsOnce()
    {
        var watch = new CompromiseWatch(new DetectionOptions { InvalidRecipientsPerHour = 3 });
        Assert.True(watch.RecipientRefused(1, "a@example.net", RefusalSource.Upstream, Start));
        Assert.False(watch.RecipientRefused(1, "<A@Example.NET>", RefusalSource.Bounce, Start.AddMinutes(5)));
        Assert.True(watch.RecipientRefused(1, "b@example.net", RefusalSource.Upstream, Start.AddMinutes(6)));
        Assert.Equal(2, watch.Describe(1, Start.AddMinutes(7))!.InvalidRecipientsLastHour);

        // An hour later the first has left the window: refused again, it counts again.
        Assert.True(watch.RecipientRefused(1, "a@example.net", RefusalSource.Upstream, Start.AddMinutes(61)));
        var view = watch.Describe(1, Start.AddMinutes(62))!;
        Assert.Equal(2, view.InvalidRecipientsLastHour);
        Assert.Equal(2, view.AtUpstream);
    }

    [Fact]
    public void RefusedRecipientsAreCappedPerMailbox()
    {
        var watch = new CompromiseWatch(new DetectionOptions { InvalidRecipientsPerHour = 10 });
        for (var i = 0; i < 1000; i++)
        {
            watch.RecipientRefused(1, $"r{i}@example.net", RefusalSource.Upstream, Start);
        }

        // Twice the threshold is kept: enough to fire and to say how far over it went.
        Assert.Equal(20, watch.Describe(1, Start)!.InvalidRecipientsLastHour);
    }

    [Fact]
    public void TrackedMailboxesAreCappedAndTheLeastRecentlyActiveForgotten()
    {
        var watch = new CompromiseWatch(new DetectionOptions { CompromiseMaxMailboxes = 100 });
        for (var i = 0; i < 1000; i++)
        {
            watch.LoggedIn(i, IPAddress.Parse("203.0.113.9"), Start.AddSeconds(i));
        }

        Assert.InRange(watch.MailboxCount, 1, 100);
        Assert.True(watch.IsWatching(999));
        Assert.False(watch.IsWatching(0));
    }

    [Fact]
    public void NetworksAreCappedPerMailbox()
    {
        var watch = new CompromiseWatch(new DetectionOptions { NetworksPerMailbox = 16 });
        for (var i = 0; i < 200; i++)
        {
            watch.LoggedIn(1, IPAddress.Parse($"198.51.{i}.1"), Start.AddMinutes(i));
        }

        var view = watch.Describe(1, Start.AddMinutes(200))!;
        Assert.Equal(16, view.KnownNetworks);
        Assert.Equal("198.51.199.0/24", view.NetworksLastDay[0].Network);
    }

    [Fact]
    public void LoopbackAndIgnoredNetworksAreNotCounted()
    {
        var watch = new CompromiseWatch(new DetectionOptions { LoginNetworksIgnored = ["10.20.0.0/16"] });
        watch.LoggedIn(1, IPAddress.Loopback, Start);
        watch.LoggedIn(1, IPAddress.IPv6Loopback, Start);
        watch.LoggedIn(1, "::ffff:127.0.0.1", Start);
        watch.LoggedIn(1, "10.20.3.4", Start);
        Assert.Empty(watch.Describe(1, Start)?.NetworksLastDay ?? []);
    }

    [Fact]
    public void TheSameAddressAgainIsOneNetworkSeenLater()
    {
        var watch = new CompromiseWatch(new DetectionOptions());
        watch.LoggedIn(1, "192.0.2.10", Start);
        watch.LoggedIn(1, "192.0.2.10", Start.AddHours(2));
        watch.LoggedIn(1, "192.0.2.99", Start.AddHours(3));
        var n = Assert.Single(watch.Describe(1, Start.AddHours(3))!.NetworksLastDay);
        Assert.Equal(Start, n.FirstSeen);
        Assert.Equal(Start.AddHours(3), n.LastSeen);
    }

    [Fact]
    public void SeenNetworksSurviveARestart()
    {
        var options = new DetectionOptions { LoginNetworksPerDay = 2 };
        var before = new CompromiseWatch(options);
        before.LoggedIn(7, "192.0.2.1", Start);
        before.LoggedIn(7, "198.51.100.1", Start.AddDays(8));
        before.LoggedIn(7, "203.0.113.1", Start.AddDays(8).AddHours(1));
        using var file = new MemoryStream();
        Assert.Equal(1, before.WriteNetworks(file));

        file.Position = 0;
        var after = new CompromiseWatch(options);
        var now = Start.AddDays(8).AddHours(2);
        Assert.Equal(1, after.ReadNetworks(file, now));

        // The home network is not new after the restart, and the day's networks are still counted.
        after.LoggedIn(7, "192.0.2.50", now);
        var view = after.Describe(7, now)!;
        Assert.Null(view.NewNetwork);
        Assert.Equal(Start, view.LoginsSince);
        Assert.Equal(3, view.NetworksLastDay.Count);
        List<Signal>? signals = null;
        after.Assess(7, 0, 0, now, ref signals);
        Assert.Contains(signals!, s => s.Rule == CompromiseWatch.LoginNetworksRule);
    }

    [Fact]
    public void ASnapshotOfAnotherFormatIsIgnored()
    {
        var watch = new CompromiseWatch(new DetectionOptions());
        using var file = new MemoryStream(new byte[64]);
        Assert.Equal(0, watch.ReadNetworks(file, Start));
    }

    [Fact]
    public void ANewPasswordForgetsWhatWasCounted()
    {
        var watch = new CompromiseWatch(new DetectionOptions { LoginNetworksPerDay = 2, InvalidRecipientsPerHour = 2 });
        for (var i = 0; i < 5; i++)
        {
            watch.LoggedIn(1, $"198.51.{i}.1", Start.AddMinutes(i));
            watch.RecipientRefused(1, $"r{i}@example.net", RefusalSource.Upstream, Start.AddMinutes(i));
        }

        List<Signal>? signals = null;
        watch.Assess(1, 0, 0, Start.AddMinutes(10), ref signals);
        Assert.Equal(2, signals!.Count);

        watch.Forget(1, Start.AddMinutes(10));
        signals = null;
        watch.Assess(1, 0, 0, Start.AddMinutes(11), ref signals);
        Assert.Null(signals);
    }

    [Fact]
    public void ConcurrentLoginsAndRefusalsAreAllCounted()
    {
        var watch = new CompromiseWatch(new DetectionOptions { InvalidRecipientsPerHour = 5000, NetworksPerMailbox = 1024, LoginNetworksPerDay = 1000 });
        Parallel.For(0, 4000, i =>
        {
            watch.RecipientRefused(1, $"r{i}@example.net", RefusalSource.Upstream, Start);
            watch.LoggedIn(1, IPAddress.Parse($"10.{i % 1000 / 4}.{i % 4}.1"), Start);
        });

        var view = watch.Describe(1, Start)!;
        Assert.Equal(4000, view.InvalidRecipientsLastHour);
        Assert.Equal(1000, view.KnownNetworks);
    }

    [Fact]
    public void ALoginFromTheLastAddressAndAQuietAssessmentAllocateNothing()
    {
        var watch = new CompromiseWatch(new DetectionOptions());
        var address = "2001:db8:5::17";
        watch.LoggedIn(1, address, Start);
        watch.RecipientRefused(1, "gone@example.net", RefusalSource.Upstream, Start);
        List<Signal>? signals = null;
        watch.Assess(1, 10, 10, Start, ref signals);

        // The least of five rounds: a one-off runtime allocation on a loaded machine is not the code's.
        var least = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                watch.LoggedIn(1, address, Start.AddSeconds(i));
                watch.Assess(1, 10, 10, Start.AddSeconds(i), ref signals);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Null(signals);
        Assert.Equal(0, least);
    }

    [Theory]
    [InlineData("LoginNetworksIgnored", "Detection:LoginNetworksIgnored: 'webmail' is not a network")]
    [InlineData("NetworksPerMailbox", "Detection:LoginNetworksPerDay/NetworksPerMailbox")]
    [InlineData("InvalidRecipientsPerHour", "Detection:InvalidRecipientsPerHour")]
    [InlineData("NewNetworkWindow", "Detection:NewNetwork*")]
    public void ABadSettingIsNamed(string setting, string error)
    {
        var options = new DetectionOptions();
        switch (setting)
        {
            case "LoginNetworksIgnored":
                options.LoginNetworksIgnored = ["10.0.0.0/8", "webmail"];
                break;
            case "NetworksPerMailbox":
                options.NetworksPerMailbox = 5;
                break;
            case "InvalidRecipientsPerHour":
                options.InvalidRecipientsPerHour = 0;
                break;
            default:
                options.NewNetworkWindow = TimeSpan.Zero;
                break;
        }

        Assert.Contains(options.Validate(), e => e.StartsWith(error, StringComparison.Ordinal));
    }
}
