using Floodgate.Storage.Lists;

namespace Floodgate.Storage.Tests.Lists;

public sealed class MailingListTests
{
    [Theory]
    [InlineData("ann@acme.example", true)]
    [InlineData("Ann@ACME.example", true)]
    [InlineData("  bob@acme.example\t", true)]
    [InlineData("mallory@acme.example", false)]
    [InlineData("ann@acme.example.evil", false)]
    [InlineData("ann", false)]
    [InlineData("", false)]
    public void EveryDoorAsksTheSamePosterCheck(string sender, bool allowed)
    {
        var list = new MailingList { Address = "news@lists.acme.example", Posters = "ann@acme.example\nbob@acme.example\n" };

        Assert.Equal(allowed, list.IsPoster(sender));
        Assert.Equal(["ann@acme.example", "bob@acme.example"], list.PosterAddresses);
    }
}
