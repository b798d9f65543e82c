using Floodgate.Core.Fingerprinting;

namespace Floodgate.Core.Tests.Fingerprinting;

public sealed class TextNormalizerTests
{
    public static TheoryData<string, bool, string> Tokens => new()
    {
        { "QmFzZTY0ZW5jb2RlZA", true, "base64: case flips on every other letter" },
        { "deadbeefcafe", true, "hex without digits" },
        { "xkqzvbtwplmr", true, "random lower case: long consonant runs" },
        { "responsibilities", false, "a long English word" },
        { "strengths", false, "five consonants in a row, but a real word" },
        { "JavaScript", false, "camel case brand name" },
        { "Straße", false, "short, non-ASCII" },
        { "Gesundheitsministerium", false, "long German compound" },
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public void RandomLookingTokensAreRecognised(string token, bool random, string reason)
    {
        _ = reason;
        Assert.Equal(random, TextNormalizer.LooksRandom(token));
    }

    [Fact]
    public void UrlsDifferingOnlyInQueryFragmentAndRandomPathPartsHashEqual()
    {
        TextNormalizer.HashUrl("https://www.shop.example/c/8f3a9b2c7d11/sale?utm_source=a&uid=1#top", FingerprintHash.LinkSalt, out ulong first);
        TextNormalizer.HashUrl("http://shop.example:8080/c/0b1c2d3e4f55/sale?utm_source=b&uid=2", FingerprintHash.LinkSalt, out ulong second);

        Assert.Equal(first, second);
    }

    [Fact]
    public void UrlsWithDifferentPathsHashDifferently()
    {
        TextNormalizer.HashUrl("https://shop.example/spring/sale", FingerprintHash.LinkSalt, out ulong first);
        TextNormalizer.HashUrl("https://shop.example/winter/sale", FingerprintHash.LinkSalt, out ulong second);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void ZeroWidthCharactersInsideAWordAreIgnored()
    {
        Assert.Equal(Hash("free offer"), Hash("fr\u200Bee of\u00ADfer"));
    }

    [Fact]
    public void CaseWhiteSpaceAndNumbersAreNormalised()
    {
        Assert.Equal(Hash("Pay 120.00 EUR by 12/05/2025"), Hash("pay   9,999.99\teur\r\n by 1/1/2026"));
    }

    [Fact]
    public void EmailAddressesBecomeOnePlaceholder()
    {
        Assert.Equal(Hash("write to john.smith@example.com today"), Hash("write to <mary@example.org> today"));
    }

    [Fact]
    public void NamesAfterAGreetingAtTheStartOfALineAreDropped()
    {
        Assert.Equal(Hash("Dear Mr John Smith,\nyour order shipped"), Hash("Dear Aisha,\nyour order shipped"));
        Assert.Equal(Hash("Hi Mary\nyour order shipped"), Hash("Hi Bob\nyour order shipped"));
    }

    [Fact]
    public void AGreetingWordInsideALineIsKeptWithItsFollowingWords()
    {
        Assert.NotEqual(Hash("we say hello world"), Hash("we say hello there"));
    }

    internal static ulong Hash(string text)
    {
        var accumulator = FingerprintAccumulator.Rent();
        try
        {
            TextNormalizer.Tokenize(text, accumulator);
            return accumulator.Build().ExactHash;
        }
        finally
        {
            FingerprintAccumulator.Return(accumulator);
        }
    }
}
