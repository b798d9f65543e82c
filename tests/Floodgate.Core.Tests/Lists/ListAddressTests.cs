using Floodgate.Core.Lists;

namespace Floodgate.Core.Tests.Lists;

public sealed class ListAddressTests
{
    [Theory]
    [InlineData("news@lists.acme.example", ListCommand.Post, null, "the plain address is the post address")]
    [InlineData("news+subscribe@lists.acme.example", ListCommand.Subscribe, null, "subscribe by mail")]
    [InlineData("News+JOIN@Lists.Acme.Example", ListCommand.Subscribe, null, "Mailman's join, any case")]
    [InlineData("news+confirm-abc@lists.acme.example", ListCommand.Confirm, "abc", "a reply to the confirmation")]
    [InlineData("news+unsubscribe-abc@lists.acme.example", ListCommand.Unsubscribe, "abc", "the List-Unsubscribe mailto")]
    [InlineData("news+unsubscribe@lists.acme.example", ListCommand.UnsubscribeRequest, null, "leave without a token")]
    [InlineData("news+leave@lists.acme.example", ListCommand.UnsubscribeRequest, null, "Mailman's leave")]
    [InlineData("news+bounce-abc@lists.acme.example", ListCommand.Bounce, "abc", "VERP")]
    [InlineData("news+bounces@lists.acme.example", ListCommand.Bounces, null, "bounces that lost VERP")]
    public void ASubaddressNamesItsCommand(string recipient, ListCommand command, string? token, string why)
    {
        Assert.True(ListAddress.TryParse(recipient, out var address), why);
        Assert.Equal("news@lists.acme.example", address.List);
        Assert.Equal(command, address.Command);
        Assert.Equal(token, address.Token);
    }

    [Theory]
    [InlineData("news+whatever@lists.acme.example", "an unknown command")]
    [InlineData("news+confirm@lists.acme.example", "confirm without a token")]
    [InlineData("news+subscribe-x@lists.acme.example", "subscribe with a token")]
    [InlineData("news", "no domain")]
    [InlineData("@lists.acme.example", "no local part")]
    [InlineData("news@", "empty domain")]
    public void AnAddressThatNamesNoCommandIsRefused(string recipient, string why) =>
        Assert.False(ListAddress.TryParse(recipient, out _), why);

    [Fact]
    public void EachCommandsAddressParsesBackToIt()
    {
        foreach (var command in Enum.GetValues<ListCommand>())
        {
            var token = command is ListCommand.Confirm or ListCommand.Unsubscribe or ListCommand.Bounce ? "tok" : null;
            var written = ListAddress.Of("news@lists.acme.example", command, token);
            Assert.True(ListAddress.TryParse(written, out var parsed), written);
            Assert.Equal(command, parsed.Command);
            Assert.Equal(token, parsed.Token);
        }
    }

    [Fact]
    public void AVerpAddressFitsTheLocalPartLimit()
    {
        var local = new string('n', ListAddress.MaxListLocalPart);
        var written = ListAddress.Of(local + "@lists.acme.example", ListCommand.Unsubscribe, new string('a', ListTokens.Length));
        Assert.True(written.IndexOf('@') <= 64, "RFC 5321 4.5.3.1.1: a local part has at most 64 octets");
    }
}
