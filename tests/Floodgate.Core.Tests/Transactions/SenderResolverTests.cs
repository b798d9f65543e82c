using System.Net;
using Floodgate.Core.Tests.Policy;
using Floodgate.Core.Transactions;

namespace Floodgate.Core.Tests.Transactions;

public sealed class SenderResolverTests
{
    private readonly PolicyFixture _f = new();

    [Theory]
    [InlineData("ann@acme.test", "ann@acme.test", "the login as stored")]
    [InlineData("  ANN@Acme.Test ", "ann@acme.test", "a padded, re-cased login is the same login")]
    [InlineData("<ann@acme.test>", "ann@acme.test", "in angle brackets")]
    public void ALoginNamesItsMailbox(string login, string mailbox, string reason)
    {
        var r = Resolver().Resolve(login, "bob@acme.test", "198.51.100.9");
        Assert.True(r.Kind == SenderResolutionKind.Mailbox && r.Mailbox!.Address == mailbox, reason);
    }

    [Fact]
    public void AnUnknownLoginNeverFallsBackToTheSenderItClaims()
    {
        var r = Resolver().Resolve("ghost@acme.test", "ann@acme.test", "10.0.0.5");
        Assert.Equal(SenderResolutionKind.UnknownLogin, r.Kind);
        Assert.Equal("ghost@acme.test", r.Name);
    }

    [Fact]
    public void ATrustedClientNamesItsMailboxByTheEnvelopeSender()
    {
        var r = Resolver().Resolve("", "Bob@ACME.test", "10.0.0.5");
        Assert.Equal("bob@acme.test", r.Mailbox?.Address);
    }

    [Fact]
    public void AnUntrustedClientWithoutALoginIsNotOurs()
    {
        Assert.Equal(SenderResolutionKind.NotOurs, Resolver().Resolve("", "ann@acme.test", "198.51.100.9").Kind);
    }

    [Fact]
    public void ATrustedClientWithAForeignSenderIsAnUnknownSender()
    {
        Assert.Equal(SenderResolutionKind.UnknownSender, Resolver().Resolve("", "ceo@bank.example", "10.0.0.5").Kind);
    }

    [Fact]
    public void AnIPv4MappedAddressIsTrustedAsItsIPv4Form()
    {
        Assert.True(Resolver().IsTrusted(IPAddress.Parse("::ffff:10.1.2.3")));
    }

    private SenderResolver Resolver() => new(_f.Directory, [IPNetwork.Parse("10.0.0.0/8")]);
}
