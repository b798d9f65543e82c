using Floodgate.Storage.Accounts;

namespace Floodgate.Storage.Tests.Passwords;

/// <summary>Every supported scheme, hashed by Dovecot's own doveadm, imported through TryRead and verified.</summary>
public sealed class DovecotHashTests
{
    private const string Password = "correct horse ß battery";
    private static readonly PasswordHasher Hasher = new();

    public static TheoryData<string> Schemes()
    {
        var data = new TheoryData<string>();
        foreach (var s in PasswordSchemes.All)
        {
            data.Add(s.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void DoveadmHashVerifiesAndAWrongPasswordDoesNot(string scheme)
    {
        var made = Doveadm.Pw(scheme, Password);

        Assert.True(PasswordSchemes.TryRead(made, allowWeak: true, out var stored, out var read, out var error), error);
        Assert.Equal(scheme, read!.Name);
        Assert.True(Hasher.Verify(Password, stored), $"{scheme}: {made}");
        Assert.False(Hasher.Verify(Password + "!", stored), $"{scheme}: a wrong password verified");
        Assert.False(Hasher.Verify(string.Empty, stored), $"{scheme}: an empty password verified");
        Assert.True(Hasher.NeedsRehash(stored), $"{scheme}: an imported hash is upgraded at the next login");
    }

    [Theory]
    [InlineData("SHA512-CRYPT", 1000, "the spec's floor")]
    [InlineData("SHA256-CRYPT", 20000, "named rounds above the default")]
    [InlineData("BLF-CRYPT", 4, "bcrypt's lowest cost")]
    public void DoveadmHashWithOtherRoundsVerifies(string scheme, int rounds, string reason)
    {
        var made = Doveadm.Pw(scheme, Password, rounds);

        Assert.True(PasswordSchemes.TryRead(made, allowWeak: false, out var stored, out _, out var error), error);
        Assert.True(Hasher.Verify(Password, stored), reason);
        Assert.False(Hasher.Verify("correct horse", stored), reason);
    }

    [Fact]
    public void HexDigestAsDovecotWritesItVerifies()
    {
        var hex = Doveadm.Pw("SHA256.HEX", Password)["{SHA256.HEX}".Length..];

        Assert.True(PasswordSchemes.TryRead("{SHA256}" + hex, allowWeak: true, out var stored, out _, out var error), error);
        Assert.True(Hasher.Verify(Password, stored));
        Assert.False(Hasher.Verify("nope", stored));
    }

    [Theory]
    [InlineData("SSHA512.HEX", "SSHA512")]
    [InlineData("SHA512.HEX", "SHA512")]
    [InlineData("SSHA.HEX", "SSHA")]
    [InlineData("SHA1.b64", "SHA1")]
    public void DoveadmEncodingSuffixIsReadIntoTheScheme(string doveadmScheme, string stored)
    {
        var made = Doveadm.Pw(doveadmScheme, Password);

        Assert.True(PasswordSchemes.TryRead(made, allowWeak: true, out var read, out var scheme, out var error), error);
        Assert.Equal(stored, scheme!.Name);
        Assert.StartsWith("{" + stored + "}", read, StringComparison.Ordinal);
        Assert.True(Hasher.Verify(Password, read), made);
        Assert.False(Hasher.Verify("nope", read), made);
    }

    [Fact]
    public void WeakDoveadmHashIsRefusedWithoutTheSetting()
    {
        var made = Doveadm.Pw("SSHA512", Password);

        Assert.False(PasswordSchemes.TryRead(made, allowWeak: false, out _, out _, out var error));
        Assert.Contains("Accounts:AllowWeakPasswordSchemes", error, StringComparison.Ordinal);
    }
}
