using Floodgate.Core.Lists;

namespace Floodgate.Core.Tests.Lists;

public sealed class ListTokensTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly ListTokens _tokens = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void ATokenVerifiesForItsPurposeAndNamesItsMember()
    {
        var token = _tokens.Create(TokenPurpose.Unsubscribe, 123456, null);
        Assert.Equal(ListTokens.Length, token.Length);
        Assert.Equal(TokenCheck.Valid, _tokens.Verify(token, TokenPurpose.Unsubscribe, Now, out var member));
        Assert.Equal(123456, member);
    }

    [Fact]
    public void ATokenIsLowerCaseAndSurvivesAnMtaThatUpperCasesIt()
    {
        var token = _tokens.Create(TokenPurpose.Bounce, 7, null);
        Assert.Equal(token.ToLowerInvariant(), token);
        Assert.Equal(TokenCheck.Valid, _tokens.Verify(token.ToUpperInvariant(), TokenPurpose.Bounce, Now, out var member));
        Assert.Equal(7, member);
    }

    [Fact]
    public void ATokenOfAnotherPurposeIsRefused()
    {
        var confirm = _tokens.Create(TokenPurpose.Confirm, 5, Now.AddDays(7));
        Assert.Equal(TokenCheck.Forged, _tokens.Verify(confirm, TokenPurpose.Unsubscribe, Now, out var member));
        Assert.Equal(0, member);
    }

    [Fact]
    public void AnExpiredTokenIsRefused()
    {
        var token = _tokens.Create(TokenPurpose.Confirm, 5, Now.AddHours(1));
        Assert.Equal(TokenCheck.Valid, _tokens.Verify(token, TokenPurpose.Confirm, Now.AddMinutes(59), out _));
        Assert.Equal(TokenCheck.Expired, _tokens.Verify(token, TokenPurpose.Confirm, Now.AddHours(2), out _));
    }

    [Fact]
    public void ATokenSignedWithAnotherKeyIsForged()
    {
        var other = new ListTokens(new byte[32]);
        var token = other.Create(TokenPurpose.Unsubscribe, 5, null);
        Assert.Equal(TokenCheck.Forged, _tokens.Verify(token, TokenPurpose.Unsubscribe, Now, out _));
    }

    [Fact]
    public void EveryChangedCharacterIsCaught()
    {
        var token = _tokens.Create(TokenPurpose.Unsubscribe, 42, null);
        for (var i = 0; i < token.Length; i++)
        {
            var chars = token.ToCharArray();
            chars[i] = chars[i] == 'a' ? 'b' : 'a';
            Assert.NotEqual(TokenCheck.Valid, _tokens.Verify(new string(chars), TokenPurpose.Unsubscribe, Now, out _));
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("abc", "too short")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too long")]
    [InlineData("aaaaaaaaaaaaaaa!aaaaaaaaaaaaaaa", "a character outside base32")]
    [InlineData("aaaaaaaaaaaaaaa1aaaaaaaaaaaaaaa", "1 is not base32")]
    public void MalformedInputIsRefusedWithoutThrowing(string token, string why)
    {
        Assert.True(_tokens.Verify(token, TokenPurpose.Unsubscribe, Now, out _) is TokenCheck.Malformed or TokenCheck.Forged, why);
    }

    [Fact]
    public void AShortKeyIsRefused() => Assert.Throws<ArgumentException>(() => new ListTokens(new byte[8]));
}
