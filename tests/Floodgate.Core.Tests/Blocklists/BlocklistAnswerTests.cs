using System.Net;
using Floodgate.Core.Blocklists;

namespace Floodgate.Core.Tests.Blocklists;

public sealed class BlocklistAnswerTests
{
    private static readonly BlocklistZone Zen = BlocklistZone.WellKnown()[0];
    private static readonly BlocklistZone Plain = new() { Name = "bl.example.test" };

    [Theory]
    [InlineData("127.0.0.2", BlocklistState.Listed, "the usual listing code")]
    [InlineData("127.0.0.10", BlocklistState.Listed, "ZEN's PBL code")]
    [InlineData("127.0.0.255", BlocklistState.Listed, "the top of the listing range")]
    [InlineData("127.255.255.252", BlocklistState.Error, "Spamhaus: typing error in the zone name")]
    [InlineData("127.255.255.254", BlocklistState.Error, "Spamhaus: query through a public resolver")]
    [InlineData("127.255.255.255", BlocklistState.Error, "Spamhaus: excessive number of queries")]
    [InlineData("127.0.0.1", BlocklistState.Error, "RFC 5782 5: never a listing")]
    [InlineData("10.0.0.2", BlocklistState.Error, "outside 127.0.0.0/8: out of spec")]
    public void ASpamhausAnswerIsReadByItsCode(string code, BlocklistState state, string why)
    {
        var result = BlocklistAnswer.Interpret(Zen, "198.51.100.7", DnsReplyKind.Answer, [IPAddress.Parse(code)]);

        Assert.True(state == result.State, why);
        Assert.Equal(code, result.Code);
    }

    [Fact]
    public void AZoneWithoutErrorCodesListsOn127_255_255_254()
    {
        var result = BlocklistAnswer.Interpret(Plain, "198.51.100.7", DnsReplyKind.Answer, [IPAddress.Parse("127.255.255.254")]);

        Assert.Equal(BlocklistState.Listed, result.State);
    }

    [Fact]
    public void NxDomainIsClear() =>
        Assert.Equal(BlocklistState.Clear, BlocklistAnswer.Interpret(Zen, "198.51.100.7", DnsReplyKind.NxDomain, []).State);

    [Fact]
    public void AFailureIsNotCheckedNeverClear()
    {
        var result = BlocklistAnswer.Interpret(Zen, "198.51.100.7", DnsReplyKind.Failure, [], "SERVFAIL");

        Assert.Equal(BlocklistState.Error, result.State);
        Assert.Equal("not checked: SERVFAIL", result.Reason);
    }

    [Fact]
    public void AnAnswerWithoutARecordsIsAnError() =>
        Assert.Equal(BlocklistState.Error, BlocklistAnswer.Interpret(Zen, "198.51.100.7", DnsReplyKind.Answer, []).State);

    [Fact]
    public void OneErrorCodeAmongListingsMakesTheAnswerAnError()
    {
        var result = BlocklistAnswer.Interpret(Zen, "198.51.100.7", DnsReplyKind.Answer, [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.255.255.254")]);

        Assert.Equal(BlocklistState.Error, result.State);
    }

    [Fact]
    public void AListingCarriesTheZonesDelistingPageForTheAddress()
    {
        var result = BlocklistAnswer.Interpret(Zen, "198.51.100.7", DnsReplyKind.Answer, [IPAddress.Parse("127.0.0.4")]);

        Assert.Equal("https://check.spamhaus.org/results/?query=198.51.100.7", result.DelistingUrl);
    }
}

public sealed class BlocklistQueryTests
{
    private static readonly BlocklistZone Zen = new() { Name = "zen.spamhaus.org" };
    private static readonly BlocklistZone Dbl = new() { Name = "dbl.spamhaus.org", Kind = BlocklistZoneKind.Domain };

    [Theory]
    [InlineData("192.0.2.99", "99.2.0.192.zen.spamhaus.org", "RFC 5782 2.1: octets reversed")]
    [InlineData("2001:db8:1:2:3:4:567:89ab", "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org", "RFC 5782 2.4's example")]
    [InlineData("::ffff:192.0.2.99", "99.2.0.192.zen.spamhaus.org", "an IPv4-mapped address is its IPv4 address")]
    public void AnAddressIsAskedInReverseForm(string address, string expected, string why)
    {
        Assert.True(BlocklistQuery.TryBuildName(address, Zen, out var name, out _), why);
        Assert.Equal(expected, name);
    }

    [Fact]
    public void ADomainIsAskedAsItselfInLowerCaseAscii()
    {
        Assert.True(BlocklistQuery.TryBuildName("Mail.Bücher.Example.", Dbl, out var name, out _));
        Assert.Equal("mail.xn--bcher-kva.example.dbl.spamhaus.org", name);
    }

    [Theory]
    [InlineData("198.51.100", "three octets")]
    [InlineData("not an address", "words")]
    [InlineData("", "empty")]
    public void ABadAddressIsRefusedWithoutThrowing(string address, string why)
    {
        Assert.False(BlocklistQuery.TryBuildName(address, Zen, out _, out var error), why);
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("127.0.0.1:5353", 5353)]
    [InlineData("127.0.0.1", 53)]
    [InlineData("[::1]:53", 53)]
    public void AResolverIsIpAndPort(string text, int port)
    {
        Assert.True(BlocklistQuery.TryParseResolver(text, out var endPoint));
        Assert.Equal(port, endPoint.Port);
    }

    [Theory]
    [InlineData("dns.example:53")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("")]
    public void ABadResolverIsRefused(string text) => Assert.False(BlocklistQuery.TryParseResolver(text, out _));
}
