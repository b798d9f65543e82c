using Floodgate.Core.Accounts;

namespace Floodgate.Core.Tests.Accounts;

public sealed class AddressesTests
{
    [Theory]
    [InlineData("ann@acme.test", "ann@acme.test", "already canonical")]
    [InlineData("  Ann@ACME.Test ", "ann@acme.test", "white space and case")]
    [InlineData("<ann@acme.test>", "ann@acme.test", "angle brackets of a path")]
    [InlineData("< ann@acme.test >", "ann@acme.test", "white space inside the brackets")]
    [InlineData("<@relay.example,@other.example:ann@acme.test>", "ann@acme.test", "a source route is dropped (RFC 5321 4.1.2)")]
    [InlineData("\"ann\"@acme.test", "ann@acme.test", "quotes that the local part does not need")]
    [InlineData("\"ann smith\"@acme.test", "\"ann smith\"@acme.test", "quotes the local part needs stay")]
    [InlineData("ann@acme.test.", "ann@acme.test", "the root dot of the domain")]
    [InlineData("ann@bücher.test", "ann@xn--bcher-kva.test", "a U-label becomes its A-label")]
    [InlineData("ANN", "ann", "a plain login")]
    [InlineData("ann@[192.0.2.1]", "ann@[192.0.2.1]", "an address literal")]
    public void AnAddressIsWrittenInItsCanonicalForm(string input, string expected, string reason)
    {
        Assert.True(Addresses.Normalize(input) == expected, $"{reason}: {input} gave {Addresses.Normalize(input)}");
    }

    [Theory]
    [InlineData("", "nothing")]
    [InlineData("   ", "white space only")]
    [InlineData("<>", "the null path")]
    [InlineData("@acme.test", "no local part")]
    [InlineData("ann@", "no domain")]
    [InlineData("ann@acme..test", "an empty label")]
    [InlineData("ann\0@acme.test", "a NUL")]
    [InlineData("ann\r\n@acme.test", "a line break")]
    [InlineData("<@relay.example", "a source route without its address")]
    public void NothingUsableIsRefused(string input, string reason)
    {
        Assert.True(Addresses.Normalize(input) is null, reason);
    }

    [Fact]
    public void AnAddressLongerThanAnyPathIsRefused()
    {
        Assert.Null(Addresses.Normalize(new string('a', Addresses.MaxLength) + "@acme.test"));
    }

    [Theory]
    [InlineData("bob@acme.test", true, "a plain local part")]
    [InlineData("bob.smith+news@acme.test", true, "dots and plus")]
    [InlineData("bob%evil.example@acme.test", false, "the percent hack routes onwards")]
    [InlineData("evil!bob@acme.test", false, "a bang path routes onwards")]
    [InlineData("\"bob smith\"@acme.test", false, "a quoted local part")]
    public void OnlyAPlainLocalPartCanBeInternal(string address, bool plain, string reason)
    {
        Assert.True(Addresses.HasPlainLocalPart(address) == plain, reason);
    }
}
