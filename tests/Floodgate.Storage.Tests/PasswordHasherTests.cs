using Floodgate.Storage.Accounts;

namespace Floodgate.Storage.Tests;

public sealed class PasswordHasherTests
{
    private static readonly PasswordHasher Cheap = new(new PasswordHashOptions { MemoryKiB = 64, Iterations = 1 });

    [Fact]
    public void DefaultHashIsOwaspMinimumPhcString()
    {
        var hash = new PasswordHasher().Hash("correct horse");

        Assert.Matches(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$", hash);
        Assert.True(new PasswordHasher().Verify("correct horse", hash));
    }

    [Fact]
    public void WrongPasswordDoesNotVerify()
    {
        var hash = Cheap.Hash("correct horse");

        Assert.False(Cheap.Verify("correct hors", hash));
    }

    [Fact]
    public void SamePasswordHashesDifferentlyEachTime()
    {
        Assert.NotEqual(Cheap.Hash("correct horse"), Cheap.Hash("correct horse"));
    }

    [Fact]
    public void VerifyUsesTheCostStoredInTheHash()
    {
        var hash = Cheap.Hash("correct horse");

        Assert.True(new PasswordHasher().Verify("correct horse", hash));
        Assert.True(new PasswordHasher().NeedsRehash(hash));
        Assert.False(Cheap.NeedsRehash(hash));
    }

    [Fact]
    public void TamperedHashDoesNotVerify()
    {
        var hash = Cheap.Hash("correct horse");
        var parts = hash.Split('$');
        var digest = parts[5].ToCharArray();
        digest[10] = digest[10] == 'A' ? 'B' : 'A';
        parts[5] = new string(digest);

        Assert.False(Cheap.Verify("correct horse", string.Join('$', parts)));
        Assert.False(Cheap.Verify("correct horse", hash.Replace("t=1", "t=2", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(null, "no hash stored")]
    [InlineData("", "empty")]
    [InlineData("plaintext", "not a PHC string")]
    [InlineData("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "argon2i, not argon2id")]
    [InlineData("$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "old version")]
    [InlineData("$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "memory beyond the bound")]
    [InlineData("$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "zero iterations")]
    [InlineData("$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA", "salt not Base64")]
    [InlineData("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA", "hash too short")]
    [InlineData("$argon2id$v=19$m=64,t=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "missing parallelism")]
    [InlineData("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA$extra", "extra field")]
    public void MalformedStoredHashIsFalseNotAnException(string? stored, string reason)
    {
        Assert.False(Cheap.Verify("password", stored), reason);
    }
}
