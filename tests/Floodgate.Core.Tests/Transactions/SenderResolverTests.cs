using System.Net;
using Floodgate.Core.Accounts;
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

    [Fact]
    public void AnUnknownLoginOfAPolicedDomainBecomesTheMailboxTheProvisionerMade()
    {
        _f.Directory.TryGetMailbox("ann@acme.test", out var made);
        var provisioner = new RecordingProvisioner { Answer = made };

        var r = Resolver(provisioner).Resolve("New@Acme.test", "", "198.51.100.9");

        Assert.Equal(SenderResolutionKind.Mailbox, r.Kind);
        Assert.Same(made, r.Mailbox);
        Assert.Equal([("new@acme.test", "policy")], provisioner.Asked);
    }

    [Fact]
    public void AnUnknownLoginOfADomainThatIsNotOursNeverAsksTheProvisioner()
    {
        var provisioner = new RecordingProvisioner();

        Assert.Equal(SenderResolutionKind.UnknownLogin, Resolver(provisioner).Resolve("ghost@elsewhere.test", "", "198.51.100.9").Kind);
        Assert.Empty(provisioner.Asked);
    }

    [Fact]
    public void AKnownLoginNeverAsksTheProvisioner()
    {
        var provisioner = new RecordingProvisioner();

        Assert.Equal(SenderResolutionKind.Mailbox, Resolver(provisioner).Resolve("ann@acme.test", "", "198.51.100.9").Kind);
        Assert.Empty(provisioner.Asked);
    }

    [Fact]
    public void AProvisionerThatMadeNothingLeavesTheLoginUnknown()
    {
        var provisioner = new RecordingProvisioner();

        Assert.Equal(SenderResolutionKind.UnknownLogin, Resolver(provisioner).Resolve("ghost@acme.test", "", "198.51.100.9").Kind);
        Assert.Single(provisioner.Asked);
    }

    private SenderResolver Resolver(IMailboxProvisioner? provisioner = null) =>
        new(_f.Directory, [IPNetwork.Parse("10.0.0.0/8")], provisioner: provisioner, actor: "policy");

    private sealed class RecordingProvisioner : IMailboxProvisioner
    {
        public List<(string Address, string Actor)> Asked { get; } = [];

        public MailboxState? Answer { get; set; }

        public ValueTask<MailboxState?> ProvisionAsync(string address, string actor, CancellationToken cancellationToken)
        {
            Asked.Add((address, actor));
            return ValueTask.FromResult(Answer);
        }
    }
}
